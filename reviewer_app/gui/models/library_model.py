"""The library table: one row per stored call (a CallSummary), sorted and filtered by a proxy."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor

from reviewer_app.core.review.viewport import mmss
from reviewer_app.core.storage.repository import CallSummary
from reviewer_app.gui.theme import CATEGORY_LABELS, GRADE_COLORS, REVIEW_STATUS_LABELS

COLUMNS = ("File", "Status", "Score", "Grade", "Duration", "Problems", "Analysed")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
CALL_ROLE = Qt.ItemDataRole.UserRole + 2
_STATUS_ORDER = {"new": 0, "in_review": 1, "reviewed": 2}


class LibraryModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._calls: list[CallSummary] = []

    def set_calls(self, calls: list[CallSummary]) -> None:
        self.beginResetModel()
        self._calls = list(calls)
        self.endResetModel()

    def update_call(self, call: CallSummary) -> None:
        for row, old in enumerate(self._calls):
            if old.id == call.id:
                self._calls[row] = call
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                return

    def upsert_calls(self, calls) -> None:
        """Put these summaries in place: changed rows are repainted, new ones appended."""
        for call in calls:
            row = self.row_of(call.id)
            if row >= 0:
                self._calls[row] = call
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            else:
                self.beginInsertRows(QModelIndex(), len(self._calls), len(self._calls))
                self._calls.append(call)
                self.endInsertRows()

    def find_sha(self, sha256: str) -> CallSummary | None:
        return next((c for c in self._calls if c.sha256 == sha256), None)

    def call_at(self, row: int) -> CallSummary | None:
        return self._calls[row] if 0 <= row < len(self._calls) else None

    def row_of(self, call_id: int) -> int:
        return next((i for i, c in enumerate(self._calls) if c.id == call_id), -1)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._calls)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        call = self._calls[index.row()]
        col = COLUMNS[index.column()]
        if role == CALL_ROLE:
            return call
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(call, col)
        if role == SORT_ROLE:
            return _sort_key(call, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == "Problems":
                return "\n".join(f"{CATEGORY_LABELS.get(k, k)}: {v}" for k, v in call.problem_counts.items()) \
                    or "no problems"
            if col in ("Score", "Grade"):
                return (f"score of record {call.score_text} ({call.score_grade})" if call.reviewed_score
                        else f"detector's score {call.score_value} (not reviewed yet)")
            return call.path
        if role == Qt.ItemDataRole.ForegroundRole and col == "Grade":
            return QBrush(QColor(GRADE_COLORS.get(call.score_grade, "#000000")))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in ("Score", "Duration", "Problems"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _display(call: CallSummary, col: str):
    if col == "File":
        return Path(call.path).name
    if col == "Status":
        return REVIEW_STATUS_LABELS.get(call.review_status, call.review_status)
    if col == "Score":  # the score of record; "75 → 88" once a reviewer has changed it
        if call.reviewed_score and call.detector_score is not None and call.detector_score != call.score_value:
            return f"{call.detector_score} → {call.score_value}"
        return str(call.score_value)
    if col == "Grade":
        return call.score_grade
    if col == "Duration":
        return mmss(call.duration_s)
    if col == "Problems":
        return str(sum(call.problem_counts.values()))
    if col == "Analysed":
        return _local(call.analysed_at)
    return ""


def _sort_key(call: CallSummary, col: str):
    if col == "Status":
        return _STATUS_ORDER.get(call.review_status, 9)
    if col == "Score":
        return call.score_value
    if col == "Duration":
        return call.duration_s
    if col == "Problems":
        return sum(call.problem_counts.values())
    if col == "Analysed":
        return call.analysed_at.timestamp() if call.analysed_at else 0.0
    return _display(call, col).lower()


def _local(at: datetime | None) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M") if at else ""


class LibraryFilter(QSortFilterProxyModel):
    """Text filter over file name, grade and problem categories, plus a review-status filter."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._status: str | None = None
        self._text = ""

    def set_text(self, text: str) -> None:
        self._refilter(lambda: setattr(self, "_text", text.strip().lower()))

    def set_status(self, status: str | None) -> None:
        self._refilter(lambda: setattr(self, "_status", status or None))

    def _refilter(self, change) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802
        call = self.sourceModel().call_at(row)
        if call is None:
            return False
        if self._status and call.review_status != self._status:
            return False
        if not self._text:
            return True
        hay = " ".join([Path(call.path).name, call.score_grade, *call.problem_counts]).lower()
        return all(word in hay for word in self._text.split())
