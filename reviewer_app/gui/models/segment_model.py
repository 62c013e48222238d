"""The segment table: one row per live segment of the open call (session.segments)."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from reviewer_app.core.review.viewport import mmss
from reviewer_app.core.storage.repository import StoredSegment
from reviewer_app.gui.theme import CATEGORY_COLORS, CATEGORY_LABELS, STATUS_LABELS, role_label

COLUMNS = ("Category", "Role", "Start", "End", "Score", "Source", "Status", "Evidence", "Note")
ID_ROLE = Qt.ItemDataRole.UserRole + 1


class SegmentTableModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[StoredSegment] = []

    def set_segments(self, segments: list[StoredSegment]) -> None:
        if [s.id for s in segments] == [s.id for s in self._rows]:
            self._rows = list(segments)  # same rows: repaint, keep the view's selection and scroll
            if self._rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self._rows = list(segments)
        self.endResetModel()

    def apply(self, change, segments: list[StoredSegment]) -> None:
        """A SegmentsChanged: when it only rewrote rows in place, repaint just those rows; otherwise
        (added, removed, reordered) take the new list."""
        if change is None or change.removed or [s.id for s in segments] != [s.id for s in self._rows]:
            self.set_segments(segments)
            return
        for seg in change.changed:
            row = self.row_of(seg.id)
            if row >= 0:
                self._rows[row] = seg
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def segment_at(self, row: int) -> StoredSegment | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, segment_id: int | None) -> int:
        return next((i for i, s in enumerate(self._rows) if s.id == segment_id), -1)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return COLUMNS[section] if orientation == Qt.Orientation.Horizontal else str(section + 1)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        seg = self._rows[index.row()]
        col = COLUMNS[index.column()]
        if role == ID_ROLE:
            return seg.id
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(seg, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return seg.evidence if col == "Evidence" else (seg.note or None) if col == "Note" else None
        if role == Qt.ItemDataRole.DecorationRole and col == "Category":
            return QColor(CATEGORY_COLORS.get(seg.category, "#888888"))
        if role == Qt.ItemDataRole.ForegroundRole and seg.status == "rejected":
            return QBrush(QColor("#8a8a8a"))
        if role == Qt.ItemDataRole.FontRole and seg.status == "rejected":
            font = QFont()
            font.setStrikeOut(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and col in ("Start", "End", "Score"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _display(seg: StoredSegment, col: str) -> str:
    if col == "Category":
        return CATEGORY_LABELS.get(seg.category, seg.category)
    if col == "Role":
        return role_label(seg.role)
    if col == "Start":
        return mmss(seg.start, 2)
    if col == "End":
        return mmss(seg.end, 2)
    if col == "Score":
        return f"{seg.score:.2f}"
    if col == "Source":
        return seg.source
    if col == "Status":
        return STATUS_LABELS.get(seg.status, seg.status)
    if col == "Evidence":
        return seg.evidence
    if col == "Note":
        return seg.note or ""
    return ""
