"""The lead adopts one outcome of a session: one reviewer's labels, or the majority's. Only then do
the library's labels of record change, through LabelStore, so each change is audited under the
lead's name like any other, and the call is marked reviewed. Only the session's lead (who made it)
adopts: anyone else is refused (sessions.adopt_refusal).

From a reviewer: their decisions as they made them (confirm, reject, edit, add). From the majority:
each unit (units.py) the majority of the session's complete reviewers marked (a tie follows the
model): a finding kept is confirmed, or moved to the median of the bounds its keepers gave; a finding
the majority left out is rejected; another unit is added with its keepers' median bounds and most
given role. Everything is checked before the first write (the findings are still in the library,
unchanged in bounds and category).

All or nothing: the session is read and checked, every change made (each with its audit entry), the
calls marked reviewed and the session marked adopted in ONE transaction, under the write lock
(SQLite) or the session's row lock (PostgreSQL). A failure part-way leaves the labels of record and
the session as they were, so adopting again does it once; a second adoption racing the first finds
the session adopted and is refused.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from reviewer_app.core.calibration.sessions import MAJORITY, SessionData, adopt_refusal, mark_adopted, read_session
from reviewer_app.core.calibration.units import MODEL, Span, build_units, majority
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.settings import ScoreSettings
from reviewer_app.core.storage.db import writer
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.core.storage.models import SegmentRow

SAME_BOUNDS_S = 1e-3


@dataclass(frozen=True)
class Change:
    """One change to the labels of record: confirm / reject / edit a finding, or add a segment."""

    call_id: int
    action: str
    segment_id: int | None = None
    span: Span | None = None


@dataclass(frozen=True)
class Adoption:
    session_id: int
    adopted_from: str
    changes: tuple[Change, ...]

    def counts(self) -> dict[str, int]:
        return dict(Counter(c.action for c in self.changes))

    def describe(self) -> str:
        counts = self.counts()
        return ", ".join(f"{counts.get(a, 0)} {word}" for a, word in
                         (("confirm", "confirmed"), ("edit", "edited"), ("reject", "rejected"), ("add", "added")))


def plan_adoption(data: SessionData, adopted_from: str) -> Adoption:
    """The changes adopting `adopted_from` (a reviewer of the session, or "majority") would make."""
    summary = data.summary
    if summary.state != "open":
        raise ReviewerError(f"calibration session {summary.id} was already adopted (from {summary.adopted_from}, "
                            f"by {summary.adopted_by})")
    changes: list[Change] = []
    if adopted_from == MAJORITY:
        reviewers = data.complete_reviewers()
        if not reviewers:
            raise ReviewerError(f"calibration session {summary.id}: no reviewer has submitted every call yet")
        for call in data.calls:
            labels = {MODEL: data.labels(call, MODEL), **{r: data.labels(call, r) for r in reviewers}}
            for unit in build_units(call.call_id, call.findings, labels):
                keep = majority(unit, reviewers)
                spans = [unit.spans[r] for r in reviewers if unit.present(r)]
                if unit.segment_id is not None and not keep:
                    changes.append(Change(call.call_id, "reject", unit.segment_id))
                elif unit.segment_id is not None:
                    finding = next(f for f in call.findings if f.segment_id == unit.segment_id)
                    span = _median(spans) if spans else finding.span
                    same = _same_bounds(span, finding.span)
                    changes.append(Change(call.call_id, "confirm" if same else "edit", unit.segment_id,
                                          None if same else span))
                elif keep and spans:
                    changes.append(Change(call.call_id, "add", None, _median(spans)))
        return Adoption(summary.id, MAJORITY, tuple(changes))
    if adopted_from not in summary.reviewers:
        raise ReviewerError(f"adopt from {adopted_from!r}: name a reviewer of session {summary.id} "
                            f"({', '.join(summary.reviewers)}) or {MAJORITY}")
    if not summary.complete(adopted_from):
        raise ReviewerError(f"{adopted_from} has submitted {summary.submitted.get(adopted_from, 0)} of "
                            f"{len(summary.call_ids)} calls of session {summary.id}: adopt once they have all")
    for call in data.calls:
        review = data.reviews[(call.call_id, adopted_from)]
        for d in review.decisions:
            if d.decision == "add":
                changes.append(Change(call.call_id, "add", None, d.span))
            elif d.decision == "edit":
                finding = next(f for f in call.findings if f.segment_id == d.segment_id)
                same = _same_bounds(d.span, finding.span) and d.span.category == finding.category \
                    and d.span.role == finding.role
                changes.append(Change(call.call_id, "confirm" if same else "edit", d.segment_id,
                                      None if same else d.span))
            else:
                changes.append(Change(call.call_id, d.decision, d.segment_id))
    return Adoption(summary.id, adopted_from, tuple(changes))


def adopt(engine: Engine, session_id: int, adopted_from: str, lead: str,
          score_settings: ScoreSettings | None = None) -> Adoption:
    """Write the adopted outcome into the labels of record as `lead` (the session's lead: anyone else
    is refused); the adoption."""
    if not isinstance(lead, str) or not lead.strip():
        raise ReviewerError("adopting a session needs the lead's name")
    lead = lead.strip()
    with Session(writer(engine)) as s, s.begin():
        data = read_session(s, session_id, lock=True)
        refusal = adopt_refusal(data.summary, lead)
        if refusal:
            raise ReviewerError(refusal)
        plan = plan_adoption(data, adopted_from)
        _check_findings_unchanged(s, data, plan)
        store = LabelStore(engine, score_settings).joined(s)
        for c in plan.changes:
            if c.action == "confirm":
                store.confirm(c.segment_id, lead)
            elif c.action == "reject":
                store.reject(c.segment_id, lead)
            elif c.action == "edit":
                store.edit(c.segment_id, lead, start=c.span.start, end=c.span.end, category=c.span.category,
                           role=c.span.role)
            else:
                store.add(c.call_id, lead, c.span.start, c.span.end, c.span.category, c.span.role,
                          note=f"calibration session {session_id}")
        for call_id in data.summary.call_ids:
            store.mark_reviewed(call_id, lead)
        mark_adopted(s, session_id, plan.adopted_from, lead)
    return plan


def _check_findings_unchanged(s: Session, data: SessionData, plan: Adoption) -> None:
    ids = {c.segment_id for c in plan.changes if c.segment_id is not None}
    rows = {r.id: (r.start, r.end, r.category, r.reviewer, r.deleted_at)
            for r in s.scalars(select(SegmentRow).where(SegmentRow.id.in_(ids)))}
    for call in data.calls:
        for f in call.findings:
            if f.segment_id not in ids:
                continue
            row = rows.get(f.segment_id)
            if row is None or row[4] is not None:
                raise ReviewerError(f"finding {f.segment_id} of call {call.call_id} is no longer in the library "
                                    f"(deleted or analysed again since session {data.summary.id} was made): "
                                    "nothing adopted")
            start, end, category, reviewer, _ = row
            if abs(start - f.start) > SAME_BOUNDS_S or abs(end - f.end) > SAME_BOUNDS_S or category != f.category:
                raise ReviewerError(f"finding {f.segment_id} of call {call.call_id} was changed in the library "
                                    f"since session {data.summary.id} was made (by {reviewer or 'someone'}): "
                                    "nothing adopted")


def _median(spans: list[Span]) -> Span:
    role = Counter(s.role for s in spans).most_common(1)[0][0]
    return Span(statistics.median(s.start for s in spans), statistics.median(s.end for s in spans), role,
                spans[0].category)


def _same_bounds(a: Span, b: Span) -> bool:
    return abs(a.start - b.start) <= SAME_BOUNDS_S and abs(a.end - b.end) <= SAME_BOUNDS_S
