"""The data side of every undoable review action.

Each command is applied once with `do(session)` (which writes through
LabelStore at once) and can then be undone and redone any number of times.
Every undo is one audited LabelStore write with action "undo" (LabelStore.undo):

* confirm / reject  -> undo sets the previous status back
* edit (bounds, category, role) -> undo puts the old values and the old status back
* add    -> undo deletes it; redo restores the same row (same id)
* delete -> undo restores it
* note   -> undo sets the old note
* turn text -> undo writes the old text back

Expected versions come from the session's copy of the segment at the moment
the command runs, so a change made by someone else in between raises
ConflictError instead of being overwritten.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reviewer_app.core.review.viewport import mmss
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.core.storage.repository import StoredSegment

if TYPE_CHECKING:
    from reviewer_app.core.review.session import ReviewSession

EDIT_FIELDS = ("start", "end", "category", "role")


def set_status(store: LabelStore, segment_id: int, reviewer: str, status: str, *,
               expected_version: int | None) -> StoredSegment:
    """Put a segment back in `status` (the inverse of confirm / reject / edit), audited."""
    return store.set_status(segment_id, reviewer, status, expected_version=expected_version)


class Command:
    """One undoable change. `text` is shown in the Edit menu (Undo <text>)."""

    text = ""

    def do(self, session: "ReviewSession") -> None:
        raise NotImplementedError

    def undo(self, session: "ReviewSession") -> None:
        raise NotImplementedError

    def redo(self, session: "ReviewSession") -> None:
        self.do(session)


@dataclass
class SetStatus(Command):
    segment_id: int
    status: str  # "confirmed" | "rejected"
    before: str | None = None

    @property
    def text(self) -> str:  # type: ignore[override]
        return f"{'Confirm' if self.status == 'confirmed' else 'Reject'} segment {self.segment_id}"

    def do(self, session: "ReviewSession") -> None:
        seg = session.require(self.segment_id)
        if self.before is None:
            self.before = seg.status
        call = session.store.confirm if self.status == "confirmed" else session.store.reject
        session.updated(call(seg.id, session.reviewer, expected_version=seg.version))

    def undo(self, session: "ReviewSession") -> None:
        seg = session.require(self.segment_id)
        session.updated(session.store.undo(seg.id, session.reviewer, expected_version=seg.version,
                                           status=self.before or "predicted"))


@dataclass
class Edit(Command):
    """Change bounds, category or role. Consecutive nudges of one segment merge into one step."""

    segment_id: int
    after: dict[str, Any]
    before: dict[str, Any] = field(default_factory=dict)
    before_status: str | None = None
    nudge: bool = False  # a keyboard nudge: merges with the nudges right after it

    @property
    def text(self) -> str:  # type: ignore[override]
        parts = []
        for k, v in self.after.items():
            parts.append(f"{k} {mmss(v, 2)}" if k in ("start", "end") else f"{k} {v}")
        return f"Edit segment {self.segment_id}: " + ", ".join(parts)

    def do(self, session: "ReviewSession") -> None:
        seg = session.require(self.segment_id)
        if self.before_status is None:
            self.before = {k: getattr(seg, k) for k in self.after}
            self.before_status = seg.status
        session.updated(session.store.edit(seg.id, session.reviewer, expected_version=seg.version,
                                           **self.after))

    def undo(self, session: "ReviewSession") -> None:
        seg = session.require(self.segment_id)
        back = {k: v for k, v in self.before.items() if getattr(seg, k) != v}
        if self.before_status and seg.status != self.before_status:
            back["status"] = self.before_status
        if back:
            session.updated(session.store.undo(seg.id, session.reviewer, expected_version=seg.version, **back))

    def merge(self, later: "Edit") -> bool:
        """Fold a later edit of the same segment and fields into this one (already applied)."""
        if not (self.nudge and later.nudge):
            return False
        if later.segment_id != self.segment_id or set(later.after) != set(self.after):
            return False
        self.after = dict(later.after)
        return True


@dataclass
class Add(Command):
    call_id: int
    start: float
    end: float
    category: str
    role: str
    note: str | None = None
    segment_id: int | None = None
    deleted_version: int | None = None

    @property
    def text(self) -> str:  # type: ignore[override]
        return f"Add {self.category} {mmss(self.start, 1)}-{mmss(self.end, 1)}"

    def do(self, session: "ReviewSession") -> None:
        if self.segment_id is None:
            self.segment_id = session.store.add(self.call_id, session.reviewer, self.start, self.end,
                                                self.category, self.role, note=self.note)
            session.refresh()
        else:
            session.updated(session.store.restore(self.segment_id, session.reviewer,
                                                  expected_version=self.deleted_version))

    def undo(self, session: "ReviewSession") -> None:
        seg = session.require(self.segment_id)
        session.store.undo(seg.id, session.reviewer, expected_version=seg.version, deleted=True)
        self.deleted_version = seg.version + 1
        session.removed(seg.id)


@dataclass
class Delete(Command):
    segment_id: int
    deleted_version: int | None = None

    @property
    def text(self) -> str:  # type: ignore[override]
        return f"Delete segment {self.segment_id}"

    def do(self, session: "ReviewSession") -> None:
        seg = session.require(self.segment_id)
        session.store.delete(seg.id, session.reviewer, expected_version=seg.version)
        self.deleted_version = seg.version + 1  # delete bumps the version by one
        session.removed(seg.id)

    def undo(self, session: "ReviewSession") -> None:
        session.updated(session.store.undo(self.segment_id, session.reviewer,
                                           expected_version=self.deleted_version, deleted=False))


@dataclass
class SetNote(Command):
    segment_id: int
    note: str | None
    before: str | None = None
    _done_once: bool = False

    @property
    def text(self) -> str:  # type: ignore[override]
        return f"Note on segment {self.segment_id}"

    def do(self, session: "ReviewSession") -> None:
        seg = session.require(self.segment_id)
        if not self._done_once:
            self.before, self._done_once = seg.note, True
        session.updated(session.store.set_note(seg.id, session.reviewer, self.note,
                                               expected_version=seg.version))

    def undo(self, session: "ReviewSession") -> None:
        seg = session.require(self.segment_id)
        session.updated(session.store.undo(seg.id, session.reviewer, expected_version=seg.version,
                                           note=self.before or None))


@dataclass
class EditTurnText(Command):
    turn_index: int
    text_after: str
    text_before: str | None = None

    @property
    def text(self) -> str:  # type: ignore[override]
        return f"Edit turn {self.turn_index + 1}"

    def do(self, session: "ReviewSession") -> None:
        current = session.analysis.transcript[self.turn_index].text
        if self.text_before is None:
            self.text_before = current
        session.write_turn_text(self.turn_index, self.text_after, expected_text=current)

    def undo(self, session: "ReviewSession") -> None:
        current = session.analysis.transcript[self.turn_index].text
        session.write_turn_text(self.turn_index, self.text_before or "", expected_text=current, action="undo")
