"""The segment table view: follows and sets the shared selection."""
from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from reviewer_app.gui.models.segment_model import COLUMNS, ID_ROLE, SegmentTableModel


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
        widths = {"Category": 150, "Role": 80, "Start": 78, "End": 78, "Score": 56, "Source": 120,
                  "Status": 100, "Evidence": 320}
        for i, name in enumerate(COLUMNS):
            if name in widths:
                self.setColumnWidth(i, widths[name])
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
