"""A call of a calibration session reviewed blind in the window, with the window's own tools.

BlindReviewSession is a ReviewSession whose segments are the session's findings as this reviewer
has decided them (undecided ones "predicted", every confidence shown as 1.0 until they submit), plus
the segments they added; its store, BlindStore, answers the LabelStore calls the review commands make
(confirm, reject, edit, add, delete, restore, set_status, undo) by writing the reviewer's calibration
decisions, never the labels of record. So the keys, the drags, Shift-drag to add and undo all work as
usual, and nothing reaches segments or label_events. Notes, transcript edits and "mark reviewed" are
refused: a blind review ends with submitting it.

An added segment is shown with the id ADDED_ID_BASE + its decision row's id, apart from segment ids.
"""
from __future__ import annotations

from sqlalchemy import Engine

from reviewer_app.core.calibration.sessions import (
    BlindView, blind_view, drop_added, put_added, set_decision,
)
from reviewer_app.core.calibration.units import Decision, Finding, Span
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.review.session import ReviewSession
from reviewer_app.core.storage.models import utcnow
from reviewer_app.core.storage.repository import CallSummary, StoredSegment

ADDED_ID_BASE = 1_000_000_000  # fits a Qt int signal; no library holds this many segments
SHOWN_SCORE = 1.0  # every finding drawn alike while the model's confidences are hidden
_STATUS = {None: "predicted", "confirm": "confirmed", "reject": "rejected", "edit": "edited", "add": "added"}


def shown_segments(view: BlindView) -> list[StoredSegment]:
    """The findings as `view.reviewer` decided them, then what they added, by start."""
    now = utcnow()
    out = []
    for f in view.call.findings:
        d = view.own.decision_on(f.segment_id)
        span = d.span if d is not None and d.decision == "edit" and d.span is not None else f.span
        out.append(_stored(view, f.segment_id, span, f.score if view.revealed else SHOWN_SCORE, f.source,
                           f.evidence, _STATUS[d.decision if d else None], view.reviewer if d else None, now))
    for d in view.own.added:
        out.append(_stored(view, ADDED_ID_BASE + d.row_id, d.span, 1.0, "reviewer", "", "added", view.reviewer, now))
    out.sort(key=lambda s: (s.start, s.id))
    return out


def _stored(view: BlindView, sid: int, span: Span, score: float, source: str, evidence: str, status: str,
            reviewer: str | None, now) -> StoredSegment:
    return StoredSegment(sid, view.call.call_id, span.start, span.end, span.role, span.category, score, source,
                         evidence, status, reviewer, None, 1, now)


class BlindStore:
    """The LabelStore calls of core.review.commands, answered in one reviewer's calibration review."""

    def __init__(self, engine: Engine, session_id: int, call_id: int, reviewer: str) -> None:
        self.engine, self.session_id, self.call_id, self.reviewer = engine, session_id, call_id, reviewer
        self._removed: dict[int, Span] = {}  # added segments removed here, to put back on undo / redo

    def view(self) -> BlindView:
        return blind_view(self.engine, self.session_id, self.call_id, self.reviewer)

    def _segment(self, sid: int) -> StoredSegment:
        found = next((s for s in shown_segments(self.view()) if s.id == sid), None)
        if found is None:
            raise ReviewerError(f"segment {sid} is not in this calibration review")
        return found

    def _finding(self, sid: int) -> Finding:
        found = next((f for f in self.view().call.findings if f.segment_id == sid), None)
        if found is None:
            raise ReviewerError(f"segment {sid} is not one of the model's findings in this calibration review")
        return found

    def _decide(self, sid: int, decision: str | None, span: Span | None = None) -> StoredSegment:
        set_decision(self.engine, self.session_id, self.call_id, self.reviewer, sid, decision, span)
        return self._segment(sid)

    # --- what the review commands call -------------------------------------------------------

    def confirm(self, segment_id: int, reviewer: str, *, expected_version: int | None = None) -> StoredSegment:
        return self.set_status(segment_id, reviewer, "confirmed")

    def reject(self, segment_id: int, reviewer: str, *, expected_version: int | None = None) -> StoredSegment:
        return self.set_status(segment_id, reviewer, "rejected")

    def edit(self, segment_id: int, reviewer: str, *, start: float | None = None, end: float | None = None,
             category: str | None = None, role: str | None = None,
             expected_version: int | None = None) -> StoredSegment:
        return self._put(segment_id, dict(start=start, end=end, category=category, role=role), "edited")

    def set_status(self, segment_id: int, reviewer: str, status: str, *,
                   expected_version: int | None = None) -> StoredSegment:
        return self._put(segment_id, {}, status)

    def undo(self, segment_id: int, reviewer: str, *, expected_version: int | None = None,
             deleted: bool | None = None, **fields) -> StoredSegment | None:
        if fields.get("note"):
            raise ReviewerError("notes are not part of a calibration review")
        fields.pop("note", None)
        if deleted is True:
            self.delete(segment_id, reviewer)
            return None
        if deleted is False:
            self.restore(segment_id, reviewer)
        status = fields.pop("status", None)
        if not fields and status is None:
            return self._segment(segment_id)
        return self._put(segment_id, fields, status)

    def add(self, call_id: int, reviewer: str, start: float, end: float, category: str, role: str, *,
            note: str | None = None) -> int:
        row_id = put_added(self.engine, self.session_id, self.call_id, self.reviewer,
                           Span(float(start), float(end), role, category))
        return ADDED_ID_BASE + row_id

    def delete(self, segment_id: int, reviewer: str, *, expected_version: int | None = None) -> None:
        if segment_id < ADDED_ID_BASE:
            raise ReviewerError("a finding cannot be deleted in a calibration review: reject it")
        seg = self._segment(segment_id)
        drop_added(self.engine, self.session_id, self.call_id, self.reviewer, segment_id - ADDED_ID_BASE)
        self._removed[segment_id] = Span(seg.start, seg.end, seg.role, seg.category)

    def restore(self, segment_id: int, reviewer: str, *, expected_version: int | None = None) -> StoredSegment:
        span = self._removed.pop(segment_id, None)
        if span is None:
            raise ReviewerError(f"segment {segment_id} was not removed in this window: nothing to put back")
        put_added(self.engine, self.session_id, self.call_id, self.reviewer, span, segment_id - ADDED_ID_BASE)
        return self._segment(segment_id)

    def set_note(self, segment_id: int, reviewer: str, note: str | None, *,
                 expected_version: int | None = None) -> StoredSegment:
        raise ReviewerError("notes are not part of a calibration review")

    def mark_reviewed(self, call_id: int, reviewer: str) -> None:
        raise ReviewerError("a blind review is not marked reviewed: submit it from the Calibration panel")

    def edit_turn_text(self, *args, **kwargs) -> None:
        raise ReviewerError("the transcript is not corrected in a blind calibration review")

    def _put(self, segment_id: int, fields: dict, status: str | None) -> StoredSegment:
        """Set an added segment's bounds, or a finding's decision from the status and bounds wanted."""
        seg = self._segment(segment_id)
        span = Span(*(float(fields[k]) if fields.get(k) is not None else getattr(seg, k) for k in ("start", "end")),
                    fields.get("role") or seg.role, fields.get("category") or seg.category)
        if segment_id >= ADDED_ID_BASE:
            put_added(self.engine, self.session_id, self.call_id, self.reviewer, span, segment_id - ADDED_ID_BASE)
            return self._segment(segment_id)
        finding = self._finding(segment_id)
        status = status or seg.status
        if status == "predicted":
            return self._decide(segment_id, None)
        if status == "rejected":
            return self._decide(segment_id, "reject")
        if span == finding.span:
            return self._decide(segment_id, "confirm")
        return self._decide(segment_id, "edit", span)


class BlindReviewSession(ReviewSession):
    """The window's review session for one call of a calibration session, as one reviewer sees it."""

    def __init__(self, engine: Engine, call: CallSummary, reviewer: str, session_id: int) -> None:
        self.session_id = session_id
        self.blind: BlindView | None = None
        super().__init__(engine, call, reviewer, BlindStore(engine, session_id, call.id, reviewer))

    def refresh(self) -> None:
        self.blind = self.store.view()
        self.segments = shown_segments(self.blind)
        self.refresh_call()

    def updated(self, seg: StoredSegment) -> None:
        super().updated(seg)
        self.blind = self.store.view()

    def removed(self, segment_id: int) -> None:
        super().removed(segment_id)
        self.blind = self.store.view()

    def decision_on(self, segment_id: int) -> Decision | None:
        return self.blind.own.decision_on(segment_id) if self.blind else None
