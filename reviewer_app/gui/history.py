"""The History dock: the open call's audit log (who changed what, when, from what to what), and
Revert on any entry.

The log is read on the read lane; a revert is one write on the serial write
lane (LabelStore.revert: audited as "revert", checked against what changed
since), after which the call is read again. Nothing here waits on the database.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.core.review.history import HistoryLine, history_lines
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.gui.context import WindowContext

COLUMNS = ("When (UTC)", "Who", "Change")


class HistoryPanel(QWidget):
    revertRequested = Signal(int)  # an audit entry's id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: list[HistoryLine] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.revert_button = QPushButton("Revert this change")
        self.revert_button.setToolTip("Put back what the selected change changed (recorded in the history too)")
        self.revert_button.setEnabled(False)
        self.revert_button.clicked.connect(self._revert)
        self.table.itemSelectionChanged.connect(self._selection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.revert_button)
        layout.addLayout(row)

    def set_lines(self, lines: list[HistoryLine]) -> None:
        self.lines = list(lines)
        self.table.setRowCount(len(self.lines))
        for r, line in enumerate(self.lines):
            for c, text in enumerate((f"{line.at:%Y-%m-%d %H:%M:%S}", line.reviewer, line.what)):
                item = QTableWidgetItem(text)
                item.setToolTip(line.what)
                item.setData(Qt.ItemDataRole.UserRole, line.event_id)
                self.table.setItem(r, c, item)
        self._selection()

    def select_event(self, event_id: int) -> None:
        for r, line in enumerate(self.lines):
            if line.event_id == event_id:
                self.table.selectRow(r)

    def selected(self) -> HistoryLine | None:
        rows = self.table.selectionModel().selectedRows()
        return self.lines[rows[0].row()] if rows else None

    def _selection(self) -> None:
        line = self.selected()
        self.revert_button.setEnabled(line is not None and line.revertible)

    def _revert(self) -> None:
        line = self.selected()
        if line is not None and line.revertible:
            self.revertRequested.emit(line.event_id)


class HistoryFeature(QObject):
    """The History panel of the open call: given the context, the controller and the call opener."""

    def __init__(self, ctx: WindowContext, controller, calls, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.controller = ctx, controller
        self.panel = HistoryPanel()
        self.panel.revertRequested.connect(self.revert_change)
        calls.callReady.connect(lambda *_: self.refresh_history())
        controller.segmentsChanged.connect(lambda *_: self.refresh_history())
        controller.transcriptChanged.connect(lambda *_: self.refresh_history())
        controller.callChanged.connect(lambda *_: self.refresh_history())
        controller.sessionChanged.connect(self._history_session)

    def _history_session(self, session) -> None:
        if session is None:
            self.panel.set_lines([])

    def refresh_history(self) -> None:
        session = self.controller.session
        if session is None:
            self.panel.set_lines([])
            return
        engine, call_id = self.ctx.engine, session.call_id

        def show(lines) -> None:
            current = self.controller.session
            if current is not None and current.call_id == call_id:
                self.panel.set_lines(lines)

        self.ctx.ops.query(lambda _c: history_lines(LabelStore(engine).events(call_id)), owner=self.panel,
                           on_success=show, on_failure=lambda f: self.ctx.show_error(f.message))

    def revert_change(self, event_id: int) -> None:
        """Revert one audit entry (any reviewer's, any session's) on the write lane, then reload the call."""
        if self.controller.session is None:
            return
        engine, reviewer = self.ctx.engine, self.ctx.settings.reviewer.name
        score = self.ctx.settings.score

        def done(event) -> None:
            self.ctx.show_info(f"Reverted change #{event_id} ({event.reviewer}).")
            self.controller.reload()

        self.ctx.ops.write(lambda _c: LabelStore(engine, score).revert(event_id, reviewer), owner=self,
                           on_success=done,
                           on_failure=lambda f: (self.ctx.show_error(f.message), self.refresh_history()))
