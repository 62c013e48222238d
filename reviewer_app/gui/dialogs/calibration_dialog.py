"""Calibration sessions from the Team menu: the lead makes a session (calls from the library, reviewer
names), follows who has submitted, reads the agreement report, saves its PDF and adopts one outcome.
An open session's report is shown to its lead, or to anyone once every reviewer has submitted; never
to a reviewer who has not (sessions.report_refusal; the user is the settings' reviewer name). Only
the session's lead may adopt (sessions.adopt_refusal): the Adopt button is off for anyone else.
A reviewer opens a session's calls blind in the window from here (`reviewRequested`).

Every database read and write runs through Ops (the dialog never waits on the database); the
statistics and the report are core.calibration's and core.reports.calibration's.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.ops import Failure, Lane, Ops
from reviewer_app.gui.widgets.tables import read_only_table

SESSION_COLUMNS = ("#", "Name", "Lead", "Calls", "Submitted", "State")
MAJORITY = "majority"


def session_cells(s) -> list[str]:
    submitted = ", ".join(f"{r} {s.submitted.get(r, 0)}/{len(s.call_ids)}" for r in s.reviewers)
    state = "open" if s.state == "open" else f"adopted from {s.adopted_from}"
    return [str(s.id), s.name, s.created_by, str(len(s.call_ids)), submitted, state]


def reviewer_names(text: str) -> list[str]:
    return [n.strip() for n in text.replace(";", ",").split(",") if n.strip()]


class CalibrationDialog(QDialog):
    sessionCreated = Signal(int)
    adopted = Signal(int)  # the session whose outcome was written into the labels of record
    reviewRequested = Signal(int, str)  # session id, reviewer: review its calls blind in the window
    loaded = Signal()  # the calls and sessions were read
    reportShown = Signal(int)

    def __init__(self, engine, ops: Ops, lead: str, score_settings=None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibration sessions")
        self.setModal(False)
        self.resize(1200, 720)
        self.engine, self.ops, self.lead, self.score_settings = engine, ops, lead, score_settings
        self.sessions: list = []
        self.report_text = ""
        self._report_asked = 0  # the newest report asked for: an older one that arrives late is dropped
        layout = QVBoxLayout(self)
        intro = QLabel("Several reviewers label the same calls blind; their labels stay apart from the library's "
                       "until you adopt one outcome. The model counts as one more rater.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._new_session_box())
        split.addWidget(self._sessions_box())
        split.setSizes([380, 820])
        layout.addWidget(split, 1)
        self.status = QLabel("Reading the library…")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)

    def _new_session_box(self) -> QWidget:
        box = QGroupBox("New session")
        form = QFormLayout(box)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. week 48 billing calls")
        form.addRow("Name", self.name_edit)
        self.reviewers_edit = QLineEdit()
        self.reviewers_edit.setPlaceholderText("ana, bob, chen")
        form.addRow("Reviewers", self.reviewers_edit)
        self.calls_list = QListWidget()
        form.addRow("Calls", self.calls_list)
        self.create_button = QPushButton("Create session")
        self.create_button.clicked.connect(self._create_clicked)
        form.addRow(self.create_button)
        return box

    def _sessions_box(self) -> QWidget:
        box = QGroupBox("Sessions")
        layout = QVBoxLayout(box)
        self.table = read_only_table(SESSION_COLUMNS, row_height=24, select_rows=True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report.setPlaceholderText("Select a session to see its agreement report.")
        layout.addWidget(self.report, 2)
        row = QHBoxLayout()
        self.review_as = QComboBox()
        self.review_button = QPushButton("Review blind in the window")
        self.review_button.clicked.connect(self._review_clicked)
        row.addWidget(QLabel("Reviewer:"))
        row.addWidget(self.review_as)
        row.addWidget(self.review_button)
        row.addStretch(1)
        self.pdf_button = QPushButton("Save report PDF…")
        self.pdf_button.clicked.connect(lambda: self.save_pdf())
        row.addWidget(self.pdf_button)
        self.adopt_from = QComboBox()
        self.adopt_button = QPushButton("Adopt")
        self.adopt_button.setToolTip("write this outcome into the library's labels of record, as you")
        self.adopt_button.clicked.connect(lambda: self.adopt(self.selected_session(), self.adopt_from.currentText()))
        row.addWidget(QLabel("Outcome:"))
        row.addWidget(self.adopt_from)
        row.addWidget(self.adopt_button)
        layout.addLayout(row)
        return box

    # --- reading ---------------------------------------------------------------------------------

    def refresh(self, select: int | None = None) -> None:
        from reviewer_app.core.calibration.sessions import list_sessions
        from reviewer_app.core.storage.repository import list_calls

        engine = self.engine
        self.ops.query(lambda _c: (list_calls(engine), list_sessions(engine)), lane=Lane.TEAM, owner=self,
                       on_success=lambda result: self._loaded(*result, select), on_failure=self._failed)

    def _loaded(self, calls, sessions, select: int | None) -> None:
        checked = set(self.checked_calls())
        self.calls_list.clear()
        for call in calls:
            item = QListWidgetItem(f"{call.id}  {Path(call.path).name}  ({call.score_value})")
            item.setData(Qt.ItemDataRole.UserRole, call.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if call.id in checked else Qt.CheckState.Unchecked)
            self.calls_list.addItem(item)
        self.sessions = sessions
        current = select if select is not None else self.selected_session()
        self.table.setRowCount(len(sessions))
        for row, s in enumerate(sessions):
            for col, text in enumerate(session_cells(s)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        if current is not None:
            self.table.blockSignals(True)  # one report for the selection, asked for below
            for row, s in enumerate(sessions):
                if s.id == current:
                    self.table.selectRow(row)
            self.table.blockSignals(False)
        self.status.setText(f"{len(calls)} call(s) in the library; {len(sessions)} calibration session(s).")
        self._selection_changed()
        self.loaded.emit()

    def checked_calls(self) -> list[int]:
        out = []
        for i in range(self.calls_list.count()):
            item = self.calls_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def selected_session(self) -> int | None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) != 1:
            return None
        return self.sessions[rows.pop()].id

    def _summary(self, session_id: int | None):
        return next((s for s in self.sessions if s.id == session_id), None)

    def _selection_changed(self) -> None:
        summary = self._summary(self.selected_session())
        self.review_as.clear()
        self.adopt_from.clear()
        for widget in (self.review_button, self.pdf_button, self.adopt_button):
            widget.setEnabled(summary is not None)
        if summary is None:
            self.report.setPlainText("")
            return
        self.review_as.addItems(list(summary.reviewers))
        self.adopt_from.addItems([MAJORITY, *summary.reviewers])
        from reviewer_app.core.calibration.sessions import adopt_refusal

        refusal = adopt_refusal(summary, self.lead)
        self.adopt_button.setEnabled(summary.state == "open" and refusal is None)
        self.adopt_button.setToolTip(refusal or "write this outcome into the library's labels of record, as you")
        self.show_report(summary.id)

    def show_report(self, session_id: int) -> None:
        from reviewer_app.core.calibration.agreement import session_agreement
        from reviewer_app.core.calibration.sessions import load_session, report_refusal
        from reviewer_app.core.reports.calibration import render_tables

        engine, user = self.engine, self.lead

        def build(_c):
            data = load_session(engine, session_id)
            refusal = report_refusal(data.summary, user)
            if refusal:
                return f"Hidden from you ({user}): {refusal}."
            if not data.complete_reviewers():
                waiting = ", ".join(f"{r} {data.summary.submitted.get(r, 0)}/{len(data.summary.call_ids)}"
                                    for r in data.summary.reviewers)
                return f"No reviewer has submitted every call yet ({waiting}): the report comes once one has."
            return render_tables(session_agreement(data))

        self._report_asked += 1
        asked = self._report_asked

        def shown(text: str) -> None:
            if asked != self._report_asked:
                return
            self.report_text = text
            self.report.setPlainText(text)
            self.reportShown.emit(session_id)

        self.ops.query(build, lane=Lane.TEAM, owner=self, on_success=shown, on_failure=self._failed)

    # --- writing ---------------------------------------------------------------------------------

    def _create_clicked(self) -> None:
        self.create(self.checked_calls(), reviewer_names(self.reviewers_edit.text()), self.name_edit.text())

    def create(self, call_ids: list[int], reviewers: list[str], name: str = "") -> None:
        from reviewer_app.core.calibration.sessions import create_session

        if not call_ids or not reviewers:
            self.status.setText("Tick the calls and name the reviewers (comma-separated) first.")
            return
        engine, lead = self.engine, self.lead
        self.create_button.setEnabled(False)
        self.status.setText("Creating the session…")

        def created(session_id: int) -> None:
            self.status.setText(f"Session {session_id} created: {len(call_ids)} call(s) for {', '.join(reviewers)}.")
            self.sessionCreated.emit(session_id)
            self.refresh(select=session_id)

        self.ops.write(lambda _c: create_session(engine, call_ids, reviewers, lead, name), owner=self,
                       on_success=created, on_failure=self._failed,
                       on_done=lambda: self.create_button.setEnabled(True))

    def adopt(self, session_id: int | None, source: str) -> None:
        from reviewer_app.core.calibration.adopt import adopt

        if session_id is None or not source:
            return
        engine, lead, score = self.engine, self.lead, self.score_settings
        self.adopt_button.setEnabled(False)
        self.status.setText(f"Adopting {source}'s labels of session {session_id}…")

        def done(adoption) -> None:
            self.status.setText(f"Adopted {adoption.adopted_from}'s labels of session {session_id} as {lead}: "
                                f"{adoption.describe()}.")
            self.adopted.emit(session_id)
            self.refresh(select=session_id)

        self.ops.write(lambda _c: adopt(engine, session_id, source, lead, score), owner=self, on_success=done,
                       on_failure=self._failed)

    def save_pdf(self, path: str | None = None) -> None:
        from reviewer_app.core.calibration.agreement import session_agreement
        from reviewer_app.core.calibration.sessions import load_session, report_refusal
        from reviewer_app.core.calibration.trend import trend
        from reviewer_app.core.errors import ReviewerError
        from reviewer_app.core.reports.calibration import write_calibration_pdf

        session_id = self.selected_session()
        if session_id is None:
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save the calibration report",
                                                  str(Path.home() / f"calibration_{session_id}.pdf"), "PDF (*.pdf)")
            if not path:
                return
        engine, user = self.engine, self.lead

        def write(_c):
            data = load_session(engine, session_id)
            refusal = report_refusal(data.summary, user)
            if refusal:
                raise ReviewerError(f"{refusal}: no PDF written")
            points = [p for p in trend(engine, user).points if p.session_id <= session_id]
            return write_calibration_pdf(session_agreement(data), points, path)

        self.ops.query(write, lane=Lane.TEAM, owner=self, on_failure=self._failed,
                       on_success=lambda p: self.status.setText(f"Wrote {p}."))

    def _review_clicked(self) -> None:
        session_id, reviewer = self.selected_session(), self.review_as.currentText()
        if session_id is not None and reviewer:
            self.reviewRequested.emit(session_id, reviewer)

    def _failed(self, failure: Failure) -> None:
        self.status.setText(f"Failed: {failure.message}")
        self.create_button.setEnabled(True)
        self._selection_changed()
