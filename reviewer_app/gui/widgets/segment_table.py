"""The segment table view: follows and sets the shared selection."""
from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from reviewer_app.gui.models.segment_model import COLUMNS, ID_ROLE, SegmentTableModel


VISUAL_ORDER = ("Category", "Status", "Start", "End", "Source", "Score", "Role", "Evidence", "Note")
WIDTHS = {"Category": 112, "Status": 72, "Start": 54, "End": 54, "Source": 88, "Score": 46, "Role": 64,
          "Evidence": 260}


class SegmentTable(QTableView):
    segmentActivated = Signal(int)  # the user picked a row (click or arrow keys)

    def __init__(self, model: SegmentTableModel, parent=None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self._model = model
        self._syncing = False
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setDefaultSectionSize(24)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The key columns first and compact, so that a laptop's half-width table still shows them;
        # the long text (evidence, note) last, to scroll to.
        for visual, name in enumerate(VISUAL_ORDER):
            header.moveSection(header.visualIndex(COLUMNS.index(name)), visual)
        for name, width in WIDTHS.items():
            self.setColumnWidth(COLUMNS.index(name), width)
        header.setStretchLastSection(True)
        self.selectionModel().currentRowChanged.connect(self._row_changed)

    def _row_changed(self, current, _previous) -> None:
        if self._syncing or not current.isValid():
            return
        sid = self._model.index(current.row(), 0).data(ID_ROLE)
        if sid is not None:
            self.segmentActivated.emit(int(sid))

    def show_segment(self, segment_id: int) -> None:
        """Follow the shared selection without echoing it back."""
        row = self._model.row_of(segment_id)
        self._syncing = True
        try:
            if row < 0:
                self.clearSelection()
                return
            index = self._model.index(row, 0)
            self.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        finally:
            self._syncing = False
