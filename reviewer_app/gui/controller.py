"""The review controller: turns user intents into core review commands on QUndoStacks, and runs
every write on the window's serial write lane (gui/ops.py), never on the GUI thread.

A command is checked against the review rules (core/review/rules.py) on the
GUI thread, pushed on its call's QUndoStack, and its do / undo / redo each
submit one write operation: core.review.changes.apply runs it through the
core's ReviewSession and LabelStore in the reviewer's name, with the version
the window last saw, and returns what it changed (SegmentsChanged or
TranscriptChanged, the call's new summary included). The views update from
that change. Writes land in the order they were made, so an undo pressed
before its change has landed still undoes the right thing.

Each call keeps its own QUndoStack in one QUndoGroup for the whole session of
the app, so undo and redo still work after a call is closed and reopened. A
failed write (a ConflictError: someone else changed the segment; a lock that
timed out) is reported, the call is reloaded and its history cleared, since it
no longer describes what is stored.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoGroup, QUndoStack

from reviewer_app.core.domain import CATEGORIES
from reviewer_app.core.review import changes, rules
from reviewer_app.core.review.commands import Add, Command, Delete, Edit, EditTurnText, SetNote, SetStatus
from reviewer_app.core.review.session import ReviewSession
from reviewer_app.core.storage.repository import CallSummary
from reviewer_app.gui.ops import Failure, Lane, Ops

NUDGE_S = rules.NUDGE_S
MIN_SEGMENT_S = rules.MIN_SEGMENT_S

Then = Callable[[changes.ReviewChange], None] | None


class _UndoAdapter(QUndoCommand):
    """A QUndoCommand around a core command: each of do (the first redo), undo and redo is one
    write operation on the write lane."""

    def __init__(self, controller: "ReviewController", call_id: int, command: Command, then: Then = None) -> None:
        super().__init__(command.text)
        self.controller = controller
        self.call_id = call_id
        self.command = command
        self._then = then
        self._done = False

    def redo(self) -> None:
        how = "redo" if self._done else "do"  # QUndoStack.push calls redo at once: the first one is `do`
        self._done = True
        self.controller._submit(self.call_id, self.command, how, self._then)
        self._then = None

    def undo(self) -> None:
        self.controller._submit(self.call_id, self.command, "undo")

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
    segmentsChanged = Signal(object)  # core.review.changes.SegmentsChanged of the open call
    transcriptChanged = Signal(object)  # core.review.changes.TranscriptChanged of the open call
    callChanged = Signal(object)  # CallSummary as stored after a write: review status, counts
    error = Signal(str)
    info = Signal(str)

    def __init__(self, engine, reviewer: Callable[[], str], ops: Ops, parent: QObject | None = None,
                 score_settings: Callable[[], object] | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._score_settings = score_settings  # the weights the score of record is kept with
        self.ops = ops
        self._reviewer = reviewer
        self.undo_group = QUndoGroup(self)
        self._stacks: dict[int, QUndoStack] = {}
        self.session: ReviewSession | None = None
        # Makes the session of a call opened from now on (gui/calibration.py: a blind calibration review);
        # None: the library's labels of record.
        self.session_factory: Callable[[CallSummary], ReviewSession] | None = None
        self._bounds_sent: dict[int, tuple[float, float]] = {}  # bounds written but not landed yet
        self._status_sent: dict[int, str] = {}  # confirm / reject written but not landed yet

    # --- opening ----------------------------------------------------------------

    @property
    def reviewer(self) -> str:
        return self._reviewer()

    def new_session(self, call: CallSummary) -> ReviewSession:
        """Load a call's analysis and segments (raises ReviewerError); run it on a worker."""
        from reviewer_app.core.storage.labels import LabelStore

        if self.session_factory is not None:
            return self.session_factory(call)
        score = self._score_settings() if self._score_settings is not None else None
        return ReviewSession(self.engine, call, self.reviewer, LabelStore(self.engine, score))

    def session_lane(self) -> Lane:
        """Where to load a session: behind the writes still in flight (so it reads them), else the read lane."""
        return Lane.WRITE if self.ops.pending(Lane.WRITE) else Lane.READ

    def adopt(self, session: ReviewSession) -> ReviewSession:
        """Make a loaded session the open call, with its undo history active."""
        self.session = session
        self.undo_group.setActiveStack(self.stack_for(session.call_id))
        self.sessionChanged.emit(session)
        return session

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
        """Read the open call's segments and summary again (behind the writes in flight)."""
        session = self.session
        if session is not None:
            self.ops.write(lambda _c: self._reread(session), owner=self,
                           on_success=lambda change: self._applied(session, change, None),
                           on_failure=lambda f: self.error.emit(f.message))

    @staticmethod
    def _reread(session: ReviewSession) -> changes.SegmentsChanged:
        session.refresh()
        return changes.SegmentsChanged(session.call_id, tuple(session.segments), (), session.call)

    # --- actions -------------------------------------------------------------------

    def _target(self, segment_id: int | None) -> int | None:
        if self.session is None or segment_id is None or self.session.get(segment_id) is None:
            self.info.emit("Select a segment first.")
            return None
        return segment_id

    def confirm(self, segment_id: int | None, then: Then = None) -> bool:
        sid = self._target(segment_id)
        if sid is None or self.status_of(sid) == "confirmed":  # a second C before the first lands: no-op
            return False
        return self._execute(SetStatus(sid, "confirmed"), then)

    def reject(self, segment_id: int | None, then: Then = None) -> bool:
        sid = self._target(segment_id)
        if sid is None or self.status_of(sid) == "rejected":
            return False
        return self._execute(SetStatus(sid, "rejected"), then)

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
        try:
            wanted = rules.clamp_bounds(start, end, self.session.call.duration_s)
        except rules.RuleRefused as why:
            self.info.emit(str(why))
            return False
        after = rules.changed_bounds(self.bounds_of(sid), wanted)
        if not after:
            return False
        self._bounds_sent[sid] = wanted
        return self._execute(Edit(sid, after, nudge=nudge))

    def bounds_of(self, segment_id: int) -> tuple[float, float]:
        """A segment's bounds as the reviewer last set them (written, or on their way to the database)."""
        seg = self.session.get(segment_id)
        return self._bounds_sent.get(segment_id, (seg.start, seg.end))

    def status_of(self, segment_id: int) -> str:
        """A segment's review status as the reviewer last set it (written, or on its way to the database)."""
        return self._status_sent.get(segment_id) or self.session.get(segment_id).status

    def nudge(self, segment_id: int | None, edge: str, dt: float = NUDGE_S) -> bool:
        sid = self._target(segment_id)
        if sid is None:
            return False
        return self.set_bounds(sid, *rules.nudged(*self.bounds_of(sid), edge, dt), nudge=True)

    def add(self, start: float, end: float, category: str, role: str, note: str | None = None,
            then: Callable[[int], None] | None = None) -> bool:
        """Add a span; `then(new segment id)` runs once it is stored."""
        if self.session is None:
            return False
        try:
            start, end = rules.new_span(start, end)
        except rules.RuleRefused as why:
            self.info.emit(str(why))
            return False
        command = Add(self.session.call_id, start, end, category, role, note)
        return self._execute(command, (lambda _change: then(command.segment_id)) if then else None)

    def delete(self, segment_id: int | None, then: Then = None) -> bool:
        sid = self._target(segment_id)
        return sid is not None and self._execute(Delete(sid), then)

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
        session = self.session
        if session is None:
            return False
        session.reviewer = reviewer = self.reviewer

        def done(change) -> None:
            self._applied(session, change, None)
            self.info.emit(f"{session.call.path}: marked reviewed by {reviewer}.")

        self.ops.write(lambda _c: changes.mark_reviewed(session), owner=self, on_success=done,
                       on_failure=lambda f: self.error.emit(f.message))
        return True

    # --- plumbing ---------------------------------------------------------------------

    def _execute(self, command: Command, then: Then = None) -> bool:
        """Push the command on its call's stack: the push submits its write."""
        self.stack_for(self.session.call_id).push(_UndoAdapter(self, self.session.call_id, command, then))
        return True

    def _submit(self, call_id: int, command: Command, how: str, then: Then = None) -> None:
        session = self.session
        if session is None or session.call_id != call_id:
            self.error.emit("Undo/redo applies to the open call only.")
            return
        session.reviewer = self.reviewer
        if isinstance(command, SetStatus):  # an undo's status is known once it lands: until then, the stored one
            if how == "undo":
                self._status_sent.pop(command.segment_id, None)
            else:
                self._status_sent[command.segment_id] = command.status
        self.ops.write(lambda _c: changes.apply(session, command, how), owner=self,
                       on_success=lambda change: self._applied(session, change, then),
                       on_failure=lambda failure: self._failed(session, failure))

    def _landed(self) -> None:
        if self.ops.pending(Lane.WRITE) <= 1:  # the write calling this is the last in flight
            self._bounds_sent.clear()
            self._status_sent.clear()

    def _applied(self, session: ReviewSession, change: changes.ReviewChange, then: Then) -> None:
        self._landed()
        if change.call is not None:
            self.callChanged.emit(change.call)
        if session is not self.session:
            return  # the call was closed meanwhile: its write landed, nothing on screen to update
        if isinstance(change, changes.TranscriptChanged):
            self.transcriptChanged.emit(change)
        else:
            self.segmentsChanged.emit(change)
        if then is not None:
            then(change)

    def _failed(self, session: ReviewSession, failure: Failure) -> None:
        self._bounds_sent.clear()
        self._status_sent.clear()
        self.error.emit(f"{failure.message} (reloaded)" if failure.conflict else failure.message)
        stack = self._stacks.get(session.call_id)
        if stack is not None:
            stack.clear()  # its commands no longer describe what is stored
        if session is self.session:
            self.reload()
