"""What a write changed, as plain data: every database write of the window returns one of these,
and the views update from it instead of reloading everything.

`apply(session, command, how)` runs one review command (do, undo or redo) and says which
segments it wrote, which it removed, whether the transcript changed, and the call's summary as
it is now stored (review status, problem counts) — all read on the thread that wrote.
"""
from __future__ import annotations

from dataclasses import dataclass

from reviewer_app.core.review.commands import Command, EditTurnText
from reviewer_app.core.review.session import ReviewSession
from reviewer_app.core.storage.repository import CallSummary, StoredSegment


@dataclass(frozen=True)
class SegmentsChanged:
    """Segments of one call were written (`changed`, as stored now) or removed (`removed` ids)."""

    call_id: int
    changed: tuple[StoredSegment, ...] = ()
    removed: tuple[int, ...] = ()
    call: CallSummary | None = None  # the call's summary after the write


@dataclass(frozen=True)
class TranscriptChanged:
    call_id: int
    turn_index: int
    call: CallSummary | None = None


@dataclass(frozen=True)
class LibraryRowsChanged:
    """These calls were added or changed in the library (their summaries as stored now)."""

    calls: tuple[CallSummary, ...]

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(c.id for c in self.calls)


ReviewChange = SegmentsChanged | TranscriptChanged


def apply(session: ReviewSession, command: Command, how: str = "do") -> ReviewChange:
    """Run `command.do|undo|redo(session)` and return what it changed. Raises what the command raises."""
    before = {s.id: s for s in session.segments}
    getattr(command, how)(session)
    session.refresh_call()
    if isinstance(command, EditTurnText):
        return TranscriptChanged(session.call_id, command.turn_index, session.call)
    after = {s.id: s for s in session.segments}
    changed = tuple(s for sid, s in after.items() if before.get(sid) != s)
    removed = tuple(sid for sid in before if sid not in after)
    return SegmentsChanged(session.call_id, changed, removed, session.call)


def mark_reviewed(session: ReviewSession) -> SegmentsChanged:
    """Mark the call reviewed; the change carries the call's new summary."""
    session.mark_reviewed()
    return SegmentsChanged(session.call_id, call=session.call)
