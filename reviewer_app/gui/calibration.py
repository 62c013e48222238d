"""Calibration in the window: the Team menu's Calibration… dialog, and the blind-review mode.

In blind review the window opens the session's calls with a BlindReviewSession (core.calibration.
blind_session) in place of the library's labels: the findings as this reviewer decided them, every
confidence alike, and the keys, drags and undo write the reviewer's calibration decisions, never the
labels of record. The library, history and queue docks (they show scores and other people's labels)
are hidden, the title shows no score, and the panel (widgets/calibration_panel.py) shows the model's
score and the other reviewers' decisions on a call only once this reviewer has submitted it.
All database work goes through Ops.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDockWidget

from reviewer_app.gui.context import WindowContext
from reviewer_app.gui.ops import Failure
from reviewer_app.gui.widgets.calibration_panel import NO_SCORE, BlindReviewPanel

HIDDEN_DOCKS = ("library_dock", "history_dock", "queue_dock")  # they show scores and others' labels
LIBRARY_ONLY_ACTIONS = ("note", "mark_reviewed", "edit_turn", "rerun_rules", "scorecard")


def revealed_text(view) -> str:
    """What the model and the other reviewers said about the call (a submitted BlindView)."""
    lines = [f"Model's score: {view.model_score}.  Your score: {view.own.score}."]
    for name, review in view.others.items():
        lines.append(f"{name}'s score: {review.score}.")
    if not view.others:
        lines.append("No other reviewer has submitted this call yet.")
    for f in view.call.findings:
        said = [f"you {_said(view.own.decision_on(f.segment_id))}"]
        said += [f"{name} {_said(r.decision_on(f.segment_id))}" for name, r in view.others.items()]
        lines.append(f"{f.category.replace('_', ' ')} {f.start:.1f}–{f.end:.1f} s (model {f.score:.2f}): "
                     + ", ".join(said))
    for name, review in [("you", view.own), *view.others.items()]:
        for d in review.added:
            lines.append(f"added by {name}: {d.category.replace('_', ' ')} {d.start:.1f}–{d.end:.1f} s ({d.role})")
    return "\n".join(lines)


def _said(decision) -> str:
    if decision is None:
        return "–"
    if decision.decision == "edit":
        return f"moved to {decision.start:.1f}–{decision.end:.1f}"
    return {"confirm": "confirmed", "reject": "rejected"}.get(decision.decision, decision.decision)


class CalibrationFeature(QObject):
    blindChanged = Signal(bool)
    submitted = Signal(int)  # call id this reviewer submitted

    def __init__(self, window, ctx: WindowContext, controller, calls, library_actions=None) -> None:
        super().__init__(window)
        self.window, self.ctx, self.controller, self.calls = window, ctx, controller, calls
        self.library_actions = library_actions
        self.session_id: int | None = None
        self.reviewer: str | None = None
        self.session_name = ""
        self.summaries: dict[int, object] = {}  # call id -> CallSummary of the session's calls
        self._hidden_docks: list[QDockWidget] = []
        self.dialog = None
        self.panel = BlindReviewPanel()
        self.dock = QDockWidget("Calibration review", window)
        self.dock.setObjectName("calibration_review")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self.panel.callPicked.connect(self.open_session_call)
        self.panel.scoreGiven.connect(self.give_score)
        self.panel.submitRequested.connect(self.submit_call)
        self.panel.leaveRequested.connect(self.stop_blind)
        controller.segmentsChanged.connect(lambda _change: self._show_progress())
        controller.callChanged.connect(lambda _call: self._title())
        calls.callReady.connect(self._on_call_ready)

    def actions(self) -> dict:
        return {"calibration": self.open_dialog}

    @property
    def blind(self) -> bool:
        return self.session_id is not None

    # --- the dialog ----------------------------------------------------------------------------

    def open_dialog(self) -> None:
        from reviewer_app.gui.dialogs.calibration_dialog import CalibrationDialog

        if self.dialog is None:
            settings = self.ctx.settings
            self.dialog = CalibrationDialog(self.ctx.engine, self.ctx.ops, settings.reviewer.name, settings.score,
                                            self.window)
            self.dialog.reviewRequested.connect(self.start_blind)
            self.dialog.adopted.connect(self._adopted)
        self.dialog.lead = self.ctx.settings.reviewer.name
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.refresh()

    def _adopted(self, _session_id: int) -> None:
        if self.library_actions is not None and not self.blind:
            self.library_actions.refresh_library()
        if self.controller.session is not None and not self.blind:
            self.controller.reload()

    # --- blind review ----------------------------------------------------------------------------

    def start_blind(self, session_id: int, reviewer: str) -> None:
        """Review `session_id`'s calls blind as `reviewer`; its first call not yet submitted opens."""
        from reviewer_app.core.calibration.blind_session import BlindReviewSession

        engine = self.ctx.engine
        self.calls.close_call()
        self.session_id, self.reviewer = session_id, reviewer
        self.controller.session_factory = lambda call: BlindReviewSession(engine, call, reviewer, session_id)
        if not self._hidden_docks:
            for name in HIDDEN_DOCKS:
                dock = getattr(self.window, name, None)
                if dock is not None and dock.isVisible():
                    self._hidden_docks.append(dock)
                    dock.hide()
        self.dock.show()
        self.dock.raise_()
        self.blindChanged.emit(True)
        self._load_session(open_first=True)

    def stop_blind(self) -> None:
        if not self.blind:
            return
        self.calls.close_call()
        self.controller.session_factory = None
        self._forget_undo(self.summaries)
        self.session_id = self.reviewer = None
        self.dock.hide()
        for dock in self._hidden_docks:
            dock.show()
        self._hidden_docks = []
        self.blindChanged.emit(False)
        if self.library_actions is not None:
            self.library_actions.refresh_library()

    def _load_session(self, open_first: bool = False) -> None:
        from reviewer_app.core.calibration.sessions import load_session
        from reviewer_app.core.storage.repository import list_calls

        engine, session_id, reviewer = self.ctx.engine, self.session_id, self.reviewer

        def read(_c):
            data = load_session(engine, session_id)
            if reviewer not in data.summary.reviewers:
                from reviewer_app.core.errors import ReviewerError

                raise ReviewerError(f"{reviewer} is not a reviewer of calibration session {session_id}")
            summaries = {c.id: c for c in list_calls(engine) if c.id in data.summary.call_ids}
            return data, summaries

        def loaded(result) -> None:
            data, summaries = result
            if self.session_id != session_id:
                return
            if open_first:
                self._forget_undo(summaries)
            self.summaries = summaries
            self.session_name = data.summary.name
            calls = [(c.call_id, c.path, data.reviews[(c.call_id, reviewer)].submitted) for c in data.calls]
            self.panel.set_session(f"<b>Blind review</b>: session {session_id} “{data.summary.name}” as "
                                   f"<b>{reviewer}</b>", calls)
            if open_first and calls:
                first = next((c for c, _p, done in calls if not done), calls[0][0])
                self.open_session_call(first)

        self.ctx.ops.query(read, owner=self, on_success=loaded, on_failure=self._failed)

    def _forget_undo(self, call_ids) -> None:
        """Clear these calls' undo history: a blind review's steps must never be undone on the labels of
        record (after leaving it), nor the library's steps in a blind review."""
        for call_id in call_ids:
            self.controller.stack_for(call_id).clear()

    def open_session_call(self, call_id: int) -> None:
        summary = self.summaries.get(call_id)
        if not self.blind or summary is None:
            return
        self.panel.select_call(call_id)
        self.calls.open_call(summary)

    def _blind_session(self):
        from reviewer_app.core.calibration.blind_session import BlindReviewSession

        session = self.controller.session
        return session if isinstance(session, BlindReviewSession) else None

    def _on_call_ready(self, _call_id: int) -> None:
        if self._blind_session() is None:
            return
        for name in LIBRARY_ONLY_ACTIONS:
            action = self.window.act.get(name) if hasattr(self.window, "act") else None
            if action is not None:
                action.setEnabled(False)
        transcript = getattr(self.window, "transcript", None)
        if transcript is not None:
            transcript.editable = False
        self._show_progress()
        self._title()

    def _show_progress(self) -> None:
        session = self._blind_session()
        if session is None or session.blind is None:
            return
        view = session.blind
        decided = sum(1 for f in view.call.findings if view.own.decision_on(f.segment_id) is not None)
        state = "submitted" if view.revealed else "not submitted"
        progress = (f"{Path(view.call.path).name}: {decided} of {len(view.call.findings)} finding(s) decided, "
                    f"{len(view.own.added)} added; {state}. C / R confirm or reject, drag edges to correct, "
                    "Shift-drag to add.")
        self.panel.show_call(progress, view.own.score, view.revealed, revealed_text(view) if view.revealed else "")

    def _title(self) -> None:
        session = self._blind_session()
        if session is None:
            return
        self.window.setWindowTitle(f"{Path(session.call.path).name} — blind calibration review (session "
                                   f"{self.session_id}, {self.reviewer}) — Call review")

    def give_score(self, score: int) -> None:
        from reviewer_app.core.calibration.sessions import record

        session = self._blind_session()
        if session is None or score == NO_SCORE:
            return
        engine, session_id, call_id, reviewer = self.ctx.engine, self.session_id, session.call_id, self.reviewer
        self.ctx.ops.write(lambda _c: record(engine, session_id, call_id, reviewer, score=score), owner=self,
                           on_success=lambda _review: self.controller.reload(), on_failure=self._failed)

    def submit_call(self) -> None:
        from reviewer_app.core.calibration.sessions import record, submit

        session = self._blind_session()
        if session is None:
            return
        engine, session_id, call_id, reviewer = self.ctx.engine, self.session_id, session.call_id, self.reviewer
        score = self.panel.score.value()
        weights = self.ctx.settings.score

        def write(_c):
            if score != NO_SCORE:
                record(engine, session_id, call_id, reviewer, score=score)
            return submit(engine, session_id, reviewer, [call_id], weights)

        def done(_calls) -> None:
            self.ctx.show_info(f"Submitted call {call_id} as {reviewer}: the model's score and the other "
                               "reviewers' decisions are shown now.")
            self.submitted.emit(call_id)
            self.controller.reload()
            self._load_session()

        self.ctx.ops.write(write, owner=self, on_success=done, on_failure=self._failed)

    def _failed(self, failure: Failure) -> None:
        self.ctx.show_error(failure.message)
