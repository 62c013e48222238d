"""The review controller: turns user intents into core review commands on QUndoStacks.

Every change is written to the database at once (through the core's
ReviewSession and LabelStore, in the reviewer's name, with the version the
window last saw). Each call keeps its own QUndoStack in one QUndoGroup for
the whole session of the app, so undo and redo still work after a call is
closed and reopened. A ConflictError (someone else changed the segment) is
reported, the call is reloaded and its history cleared, since it no longer
describes what is stored.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoGroup, QUndoStack

from reviewer_app.core.domain import CATEGORIES
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.review.commands import Add, Command, Delete, Edit, EditTurnText, SetNote, SetStatus
from reviewer_app.core.review.session import ReviewSession
from reviewer_app.core.storage.labels import ConflictError
from reviewer_app.core.storage.repository import CallSummary

NUDGE_S = 0.05
MIN_SEGMENT_S = 0.05


class _UndoAdapter(QUndoCommand):
    """A QUndoCommand around a core command that has already been applied when pushed."""

    def __init__(self, controller: "ReviewController", call_id: int, command: Command) -> None:
        super().__init__(command.text)
        self.controller = controller
        self.call_id = call_id
        self.command = command
        self._pushed = False

    def redo(self) -> None:
        if not self._pushed:  # QUndoStack.push calls redo at once: the change is already made
            self._pushed = True
            return
        self.controller._replay(self.call_id, self.command, undo=False)

    def undo(self) -> None:
        self.controller._replay(self.call_id, self.command, undo=True)

    def id(self) -> int:
        return 4242 if isinstance(self.command, Edit) and self.command.nudge else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt override
        if isinstance(other, _UndoAdapter) and isinstance(self.command, Edit) \
                and isinstance(other.command, Edit) and self.command.merge(other.command):
            self.setText(self.command.text)
            return True
        return False


class ReviewController(QObject):
    sessionChanged = Signal(object)  # ReviewSession | None
    segmentsChanged = Signal()
    transcriptChanged = Signal()
    callChanged = Signal(object)  # CallSummary: review status, counts
    error = Signal(str)
    info = Signal(str)

    def __init__(self, engine, reviewer: Callable[[], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._reviewer = reviewer
        self.undo_group = QUndoGroup(self)
        self._stacks: dict[int, QUndoStack] = {}
        self.session: ReviewSession | None = None

    # --- opening ----------------------------------------------------------------

    @property
    def reviewer(self) -> str:
        return self._reviewer()

    def new_session(self, call: CallSummary) -> ReviewSession:
        """Load a call's analysis and segments (raises ReviewerError); safe on a worker thread."""
        return ReviewSession(self.engine, call, self.reviewer)

    def adopt(self, session: ReviewSession) -> ReviewSession:
        """Make a loaded session the open call, with its undo history active."""
        self.session = session
        self.undo_group.setActiveStack(self.stack_for(session.call_id))
        self.sessionChanged.emit(session)
        return session

    def open_call(self, call: CallSummary) -> ReviewSession:
        """Load and adopt in one go (on the calling thread)."""
        return self.adopt(self.new_session(call))

    def close_call(self) -> None:
        self.session = None
        self.undo_group.setActiveStack(None)
        self.sessionChanged.emit(None)

    def stack_for(self, call_id: int) -> QUndoStack:
        stack = self._stacks.get(call_id)
        if stack is None:
            stack = QUndoStack(self.undo_group)
            self._stacks[call_id] = stack
        return stack

    def reload(self) -> None:
        if self.session is not None:
            self.session.refresh()
            self.segmentsChanged.emit()
            self.callChanged.emit(self.session.call)

    # --- actions -------------------------------------------------------------------

    def _target(self, segment_id: int | None) -> int | None:
        if self.session is None or segment_id is None or self.session.get(segment_id) is None:
            self.info.emit("Select a segment first.")
            return None
        return segment_id

    def confirm(self, segment_id: int | None) -> bool:
        sid = self._target(segment_id)
        if sid is None or self.session.get(sid).status == "confirmed":
            return False
        return self._execute(SetStatus(sid, "confirmed"))

    def reject(self, segment_id: int | None) -> bool:
        sid = self._target(segment_id)
        if sid is None or self.session.get(sid).status == "rejected":
            return False
        return self._execute(SetStatus(sid, "rejected"))

    def set_category(self, segment_id: int | None, category: str) -> bool:
        sid = self._target(segment_id)
        if sid is None or category not in CATEGORIES or self.session.get(sid).category == category:
            return False
        return self._execute(Edit(sid, {"category": category}))

    def set_role(self, segment_id: int | None, role: str) -> bool:
        sid = self._target(segment_id)
        if sid is None or self.session.get(sid).role == role:
            return False
        return self._execute(Edit(sid, {"role": role}))

    def set_bounds(self, segment_id: int | None, start: float, end: float, nudge: bool = False) -> bool:
        sid = self._target(segment_id)
        if sid is None:
            return False
        seg = self.session.get(sid)
        duration = self.session.call.duration_s
        start = round(min(max(0.0, start), duration), 3)
        end = round(min(max(0.0, end), duration), 3)
        if end - start < MIN_SEGMENT_S:
            self.info.emit("A segment must be at least 50 ms long.")
            return False
        after = {k: v for k, v in (("start", start), ("end", end)) if abs(getattr(seg, k) - v) > 1e-6}
        if not after:
            return False
        return self._execute(Edit(sid, after, nudge=nudge))

    def nudge(self, segment_id: int | None, edge: str, dt: float = NUDGE_S) -> bool:
        sid = self._target(segment_id)
        if sid is None:
            return False
        seg = self.session.get(sid)
        start, end = seg.start, seg.end
        if edge == "start":
            start += dt
        else:
            end += dt
        return self.set_bounds(sid, start, end, nudge=True)

    def add(self, start: float, end: float, category: str, role: str, note: str | None = None) -> int | None:
        if self.session is None:
            return None
        start, end = sorted((start, end))
        if end - start < MIN_SEGMENT_S:
            self.info.emit("A new span must be at least 50 ms long.")
            return None
        command = Add(self.session.call_id, round(start, 3), round(end, 3), category, role, note)
        return command.segment_id if self._execute(command) else None

    def delete(self, segment_id: int | None) -> bool:
        sid = self._target(segment_id)
        return sid is not None and self._execute(Delete(sid))

    def set_note(self, segment_id: int | None, note: str | None) -> bool:
        sid = self._target(segment_id)
        if sid is None or (self.session.get(sid).note or None) == (note or None):
            return False
        return self._execute(SetNote(sid, note or None))

    def edit_turn(self, turn_index: int, text: str) -> bool:
        if self.session is None:
            return False
        if " ".join(text.split()) == self.session.analysis.transcript[turn_index].text:
            return False
        return self._execute(EditTurnText(turn_index, text))

    def mark_reviewed(self) -> bool:
        if self.session is None:
            return False
        try:
            self.session.mark_reviewed()
        except ReviewerError as exc:
            self.error.emit(str(exc))
            return False
        self.callChanged.emit(self.session.call)
        self.info.emit(f"{self.session.call.path}: marked reviewed by {self.reviewer}.")
        return True

    # --- plumbing ---------------------------------------------------------------------

    def _execute(self, command: Command) -> bool:
        session = self.session
        session.reviewer = self.reviewer
        try:
            session.run(command)
        except ReviewerError as exc:
            self._failed(session, exc)
            return False
        self.stack_for(session.call_id).push(_UndoAdapter(self, session.call_id, command))
        self._changed(command)
        return True

    def _replay(self, call_id: int, command: Command, undo: bool) -> None:
        session = self.session
        if session is None or session.call_id != call_id:
            self.error.emit("Undo/redo applies to the open call only.")
            return
        session.reviewer = self.reviewer
        try:
            (command.undo if undo else command.redo)(session)
        except ReviewerError as exc:
            self._failed(session, exc)
            stack = self._stacks.get(call_id)
            if stack is not None:
                QTimer.singleShot(0, stack.clear)  # never clear a stack from inside its own undo()
            return
        self._changed(command)

    def _changed(self, command: Command) -> None:
        if isinstance(command, EditTurnText):
            self.transcriptChanged.emit()
        else:
            self.segmentsChanged.emit()
        self.session.refresh_call()
        self.callChanged.emit(self.session.call)

    def _failed(self, session: ReviewSession, exc: ReviewerError) -> None:
        if isinstance(exc, ConflictError):
            self.error.emit(f"{exc} (reloaded)")
        else:
            self.error.emit(str(exc))
        try:
            session.refresh()
        except ReviewerError as again:
            self.error.emit(str(again))
        self.segmentsChanged.emit()
