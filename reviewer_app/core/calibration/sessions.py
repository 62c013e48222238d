"""Calibration sessions in the library database: create, list, load, record a reviewer's decisions,
submit, and the blind view a reviewer works from.

A session freezes its calls' findings and the model's score when it is made; reviewers' decisions
are stored in the calibration tables, never in segments or label_events, so the labels of record do
not change until the lead adopts an outcome (adopt.py). A submitted review is final.

Blind: a reviewer's view of a call shows the findings' bounds, category, role and evidence, and their
own decisions; the model's confidences and call score, and the other reviewers' decisions and scores,
are shown only once they have submitted that call. Names are not authenticated: blindness keeps an
honest team from anchoring on each other, it does not stop someone who types another name.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from reviewer_app.core.calibration.units import (
    MODEL, Decision, Finding, RaterLabels, Span, model_labels, reviewer_labels, scored_segments,
)
from reviewer_app.core.domain import CATEGORIES, ROLES
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.messages import show_value
from reviewer_app.core.settings import ScoreSettings
from reviewer_app.core.storage.db import writer
from reviewer_app.core.storage.models import (
    CalibrationCallRow, CalibrationDecisionRow, CalibrationReviewerRow, CalibrationReviewRow,
    CalibrationSessionRow, CallRow, SegmentRow, utcnow,
)

MAJORITY = "majority"
RESERVED_NAMES = (MODEL, MAJORITY)  # rater names the statistics and `adopt --from` use
END_TOLERANCE_S = 0.5  # as the labels of record allow


@dataclass(frozen=True)
class SessionSummary:
    id: int
    name: str
    created_by: str
    created_at: datetime
    state: str  # "open" | "adopted"
    adopted_from: str | None
    adopted_by: str | None
    adopted_at: datetime | None
    call_ids: tuple[int, ...]
    reviewers: tuple[str, ...]
    submitted: dict[str, int] = field(default_factory=dict)  # reviewer -> calls submitted

    def complete(self, reviewer: str) -> bool:
        return self.submitted.get(reviewer, 0) == len(self.call_ids)


@dataclass(frozen=True)
class SessionCall:
    call_id: int
    path: str
    duration_s: float
    model_score: int
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Review:
    reviewer: str
    call_id: int
    score: int | None
    submitted_at: datetime | None
    decisions: tuple[Decision, ...]

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    def decision_on(self, segment_id: int) -> Decision | None:
        return next((d for d in self.decisions if d.segment_id == segment_id), None)

    @property
    def added(self) -> list[Decision]:
        return [d for d in self.decisions if d.decision == "add"]


@dataclass(frozen=True)
class SessionData:
    """A whole session, as the statistics, the report and adoption need it."""

    summary: SessionSummary
    calls: tuple[SessionCall, ...]
    reviews: dict[tuple[int, str], Review]

    def call(self, call_id: int) -> SessionCall:
        for c in self.calls:
            if c.call_id == call_id:
                return c
        raise ReviewerError(f"call {call_id} is not in calibration session {self.summary.id}")

    def labels(self, call: SessionCall, rater: str) -> RaterLabels:
        if rater == MODEL:
            return model_labels(call.findings)
        return reviewer_labels(call.findings, self.reviews[(call.call_id, rater)].decisions)

    def complete_reviewers(self) -> list[str]:
        """Reviewers who submitted every call of the session, in the session's order."""
        return [r for r in self.summary.reviewers if self.summary.complete(r)]


@dataclass(frozen=True)
class BlindView:
    """What `reviewer` may see of one call of a session."""

    session: SessionSummary
    call: SessionCall  # findings with confidence 0 and model_score -1 until the reviewer submitted
    reviewer: str
    own: Review
    others: dict[str, Review]  # reviewers who submitted this call; empty until `reviewer` has
    model_score: int | None  # None until `reviewer` has submitted

    @property
    def revealed(self) -> bool:
        return self.own.submitted


def create_session(engine: Engine, call_ids: Sequence[int], reviewers: Sequence[str], created_by: str,
                   name: str | None = None) -> int:
    """A new open session on `call_ids` for `reviewers`; its id. The calls' live findings of the model
    (not segments reviewers added) and the detector's score are frozen into the session."""
    created_by = _name(created_by, "the lead")
    reviewers = [_name(r, "a reviewer") for r in reviewers]
    if not reviewers:
        raise ReviewerError("a calibration session needs at least one reviewer")
    if len(set(reviewers)) != len(reviewers):
        raise ReviewerError(f"a reviewer is named twice in {', '.join(reviewers)}")
    for r in reviewers:
        if r.lower() in RESERVED_NAMES:
            raise ReviewerError(f"{r!r} cannot be a reviewer's name here: it names the model or the majority")
    call_ids = list(dict.fromkeys(int(c) for c in call_ids))
    if not call_ids:
        raise ReviewerError("a calibration session needs at least one call")
    now = utcnow()
    with Session(writer(engine)) as s, s.begin():
        row = CalibrationSessionRow(name=(name or "").strip() or f"calibration {now:%Y-%m-%d %H:%M}",
                                    created_by=created_by, created_at=now, state="open")
        s.add(row)
        s.flush()
        for position, call_id in enumerate(call_ids):
            call = s.get(CallRow, call_id)
            if call is None:
                raise ReviewerError(f"call {call_id} does not exist")
            segments = s.scalars(select(SegmentRow).where(
                SegmentRow.call_id == call_id, SegmentRow.deleted_at.is_(None), SegmentRow.source != "reviewer")
                .order_by(SegmentRow.start, SegmentRow.id)).all()
            findings = [{"segment_id": g.id, "start": g.start, "end": g.end, "role": g.role, "category": g.category,
                         "score": g.score, "source": g.source, "evidence": g.evidence} for g in segments]
            model_score = call.detector_score if call.detector_score is not None else call.score_value
            s.add(CalibrationCallRow(session_id=row.id, call_id=call_id, position=position,
                                     model_score=model_score, findings=findings))
            for reviewer in reviewers:
                s.add(CalibrationReviewRow(session_id=row.id, call_id=call_id, reviewer=reviewer, updated_at=now))
        s.add_all(CalibrationReviewerRow(session_id=row.id, reviewer=r) for r in reviewers)
        return row.id


def list_sessions(engine: Engine) -> list[SessionSummary]:
    """Every session, oldest first."""
    with Session(engine) as s, s.begin():
        rows = s.scalars(select(CalibrationSessionRow).order_by(CalibrationSessionRow.id)).all()
        return [_summary(s, row) for row in rows]


def load_session(engine: Engine, session_id: int) -> SessionData:
    with Session(engine) as s, s.begin():
        return read_session(s, session_id)


def read_session(s: Session, session_id: int, *, lock: bool = False) -> SessionData:
    """The session, read in the caller's transaction; `lock`: its row locked for the rest of it (adopt.py)."""
    row = _session(s, session_id, lock)
    summary = _summary(s, row)
    paths = dict(s.execute(select(CallRow.id, CallRow.path).where(CallRow.id.in_(summary.call_ids))).all())
    durations = dict(s.execute(select(CallRow.id, CallRow.duration_s)
                               .where(CallRow.id.in_(summary.call_ids))).all())
    calls = tuple(
        SessionCall(c.call_id, paths[c.call_id], durations[c.call_id], c.model_score,
                    tuple(Finding(**f) for f in c.findings))
        for c in s.scalars(select(CalibrationCallRow).where(CalibrationCallRow.session_id == session_id)
                           .order_by(CalibrationCallRow.position)))
    reviews = {(r.call_id, r.reviewer): r for r in _reviews(s, session_id)}
    return SessionData(summary, calls, reviews)


def report_refusal(summary: SessionSummary, viewer: str | None) -> str | None:
    """Why `viewer` may not read the session's agreement report now (one line naming the session), or
    None when they may. The report sets the reviewers' decisions and scores side by side, so while the
    session is open it is shown to its lead (who made it) or, once every reviewer has submitted every
    call, to anyone; never to a reviewer of it who has not submitted every call. An adopted session's
    report is shown to anyone."""
    if summary.state != "open":
        return None
    viewer = (viewer or "").strip() or None
    total = len(summary.call_ids)
    if viewer in summary.reviewers and not summary.complete(viewer):
        return (f"{viewer} reviews in calibration session {summary.id} and has submitted "
                f"{summary.submitted.get(viewer, 0)} of {total} calls: its report stays hidden from them until "
                "they have submitted every call (a blind review)")
    waiting = [r for r in summary.reviewers if not summary.complete(r)]
    if not waiting or viewer == summary.created_by:
        return None
    return (f"calibration session {summary.id} is open and "
            f"{', '.join(f'{r} ({summary.submitted.get(r, 0)}/{total})' for r in waiting)} "
            f"{'has' if len(waiting) == 1 else 'have'} not submitted every call: until they have, only its lead, "
            f"{summary.created_by}, may read its report")


def adopt_refusal(summary: SessionSummary, who: str | None) -> str | None:
    """Why `who` may not adopt an outcome of the session (one line naming the session and its lead),
    or None when they may: only the session's lead (who made it) adopts."""
    who = (who or "").strip()
    if who == summary.created_by:
        return None
    return (f"only its lead, {summary.created_by}, may adopt an outcome of calibration session {summary.id}"
            f" ({'no name was given' if not who else f'not {who}'})")


def blind_view(engine: Engine, session_id: int, call_id: int, reviewer: str) -> BlindView:
    data = load_session(engine, session_id)
    reviewer = _member(data.summary, reviewer)
    call = data.call(call_id)
    own = data.reviews[(call_id, reviewer)]
    if not own.submitted:
        hidden = tuple(Finding(f.segment_id, f.start, f.end, f.role, f.category, 0.0, f.source, f.evidence)
                       for f in call.findings)
        return BlindView(data.summary, SessionCall(call.call_id, call.path, call.duration_s, -1, hidden),
                         reviewer, own, {}, None)
    others = {r: data.reviews[(call_id, r)] for r in data.summary.reviewers
              if r != reviewer and data.reviews[(call_id, r)].submitted}
    return BlindView(data.summary, call, reviewer, own, others, call.model_score)


def record(engine: Engine, session_id: int, call_id: int, reviewer: str, *, confirm: Iterable[int] = (),
           reject: Iterable[int] = (), edit: Iterable[Decision] = (), add: Iterable[Decision] = (),
           undecide: Iterable[int] = (), remove_added: Iterable[int] = (), score: int | None = None,
           replace: bool = False) -> Review:
    """Record `reviewer`'s decisions on one call of a session (one transaction); their review after it.

    A later decision on a finding replaces an earlier one; `undecide` forgets one; `remove_added` drops
    added segments by their position in Review.added; `replace` starts from no decisions (an import).
    `score` is the reviewer's call score (0-100). Refused once the reviewer has submitted the call.
    `remove_added` names added segments by their Decision.row_id.
    """
    if score is not None and (isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100):
        raise ReviewerError(f"a call score is a whole number from 0 to 100, got {show_value(score)}")
    confirm, reject, edit, add = list(confirm), list(reject), list(edit), list(add)
    now = utcnow()
    with Session(writer(engine)) as s, s.begin():
        review, findings, duration = _open_review(s, session_id, call_id, reviewer)
        where = f"call {call_id} of session {session_id}"
        named = confirm + reject + [d.segment_id for d in edit] + list(undecide)
        for segment_id in named:
            if segment_id not in findings:
                raise ReviewerError(f"finding {show_value(segment_id)} is not one of {where}'s findings "
                                    f"({', '.join(map(str, findings)) or 'it has none'})")
        if len(set(named)) != len(named):
            raise ReviewerError(f"{where}: a finding is given two decisions at once")
        rows: list[CalibrationDecisionRow] = []
        for segment_id in confirm:
            rows.append(CalibrationDecisionRow(segment_id=segment_id, decision="confirm"))
        for segment_id in reject:
            rows.append(CalibrationDecisionRow(segment_id=segment_id, decision="reject"))
        for d in edit:
            f = findings[d.segment_id]
            start, end = _value(d.start, f.start), _value(d.end, f.end)
            category, role = d.category or f.category, d.role or f.role
            _check_span(start, end, category, role, duration, f"edit of finding {d.segment_id} on {where}")
            rows.append(CalibrationDecisionRow(segment_id=d.segment_id, decision="edit", start=start, end=end,
                                               role=role, category=category))
        for d in add:
            _check_span(d.start, d.end, d.category, d.role, duration, f"new segment on {where}")
            rows.append(CalibrationDecisionRow(segment_id=None, decision="add", start=float(d.start),
                                               end=float(d.end), role=d.role, category=d.category))
        existing = s.scalars(select(CalibrationDecisionRow).where(CalibrationDecisionRow.review_id == review.id)
                             .order_by(CalibrationDecisionRow.id)).all()
        added = {r.id for r in existing if r.segment_id is None}
        dropped = set()
        for row_id in remove_added:
            if row_id not in added:
                raise ReviewerError(f"{where}: {review.reviewer} has no added segment {show_value(row_id)}")
            dropped.add(row_id)
        replaced = {r.segment_id for r in rows if r.segment_id is not None} | set(undecide)
        for old in existing:
            if replace or old.id in dropped or (old.segment_id is not None and old.segment_id in replaced):
                s.delete(old)
        s.flush()
        for r in rows:
            r.review_id, r.at = review.id, now
        s.add_all(rows)
        if score is not None:
            review.score = score
        review.updated_at = now
        s.flush()
        return _review(s, review)


def set_decision(engine: Engine, session_id: int, call_id: int, reviewer: str, segment_id: int,
                 decision: str | None, span: Span | None = None) -> Review:
    """One decision on one finding: "confirm", "reject", "edit" (with `span`), or None to forget it."""
    now = utcnow()
    with Session(writer(engine)) as s, s.begin():
        review, findings, duration = _open_review(s, session_id, call_id, reviewer)
        if segment_id not in findings:
            raise ReviewerError(f"finding {show_value(segment_id)} is not one of call {call_id}'s findings in "
                                f"session {session_id}")
        row = s.scalars(select(CalibrationDecisionRow).where(CalibrationDecisionRow.review_id == review.id,
                                                             CalibrationDecisionRow.segment_id == segment_id)
                        ).one_or_none()
        if decision is None:
            if row is not None:
                s.delete(row)
        else:
            if decision not in ("confirm", "reject", "edit"):
                raise ReviewerError(f"unknown decision {show_value(decision)} on a finding")
            if decision == "edit":
                _check_span(span.start, span.end, span.category, span.role, duration,
                            f"edit of finding {segment_id} on call {call_id} of session {session_id}")
            if row is None:
                row = CalibrationDecisionRow(review_id=review.id, segment_id=segment_id)
                s.add(row)
            row.decision, row.at = decision, now
            row.start, row.end, row.role, row.category = (
                (float(span.start), float(span.end), span.role, span.category) if decision == "edit"
                else (None, None, None, None))
        review.updated_at = now
        s.flush()
        return _review(s, review)


def put_added(engine: Engine, session_id: int, call_id: int, reviewer: str, span: Span,
              row_id: int | None = None) -> int:
    """Add a segment to a reviewer's review, or move the added segment `row_id` (put it back under
    that id when it was removed: an undo); its row id."""
    now = utcnow()
    with Session(writer(engine)) as s, s.begin():
        review, _findings, duration = _open_review(s, session_id, call_id, reviewer)
        _check_span(span.start, span.end, span.category, span.role, duration,
                    f"new segment on call {call_id} of session {session_id}")
        row = s.get(CalibrationDecisionRow, row_id) if row_id is not None else None
        if row is not None and (row.review_id != review.id or row.segment_id is not None):
            raise ReviewerError(f"segment {row_id} is not one {review.reviewer} added on call {call_id}")
        if row is None:
            row = CalibrationDecisionRow(id=row_id, review_id=review.id, segment_id=None, decision="add")
            s.add(row)
        row.start, row.end, row.role, row.category, row.at = (float(span.start), float(span.end), span.role,
                                                              span.category, now)
        review.updated_at = now
        s.flush()
        return row.id


def drop_added(engine: Engine, session_id: int, call_id: int, reviewer: str, row_id: int) -> None:
    """Remove a segment the reviewer added."""
    with Session(writer(engine)) as s, s.begin():
        review, _findings, _duration = _open_review(s, session_id, call_id, reviewer)
        row = s.get(CalibrationDecisionRow, row_id)
        if row is None or row.review_id != review.id or row.segment_id is not None:
            raise ReviewerError(f"segment {row_id} is not one {review.reviewer} added on call {call_id}")
        s.delete(row)
        review.updated_at = utcnow()


def submit(engine: Engine, session_id: int, reviewer: str, call_ids: Iterable[int] | None = None,
           score_settings: ScoreSettings | None = None) -> list[int]:
    """Submit `reviewer`'s reviews of `call_ids` (default: every call not yet submitted); the calls
    submitted. Every finding needs a decision; a call without a score the reviewer gave gets the score
    of their labels (`score_settings`' weights). All or nothing: one incomplete call refuses them all."""
    data = load_session(engine, session_id)
    reviewer = _member(data.summary, reviewer)
    if data.summary.state != "open":
        raise ReviewerError(f"calibration session {session_id} is {data.summary.state}: its reviews are closed")
    wanted = [data.call(int(c)).call_id for c in call_ids] if call_ids is not None else list(data.summary.call_ids)
    todo = [c for c in wanted if not data.reviews[(c, reviewer)].submitted]
    scores = {}
    from reviewer_app.core.scoring import score_call

    for call_id in todo:
        call, review = data.call(call_id), data.reviews[(call_id, reviewer)]
        decided = {d.segment_id for d in review.decisions}
        open_ids = [f.segment_id for f in call.findings if f.segment_id not in decided]
        if open_ids:
            shown = ", ".join(map(str, open_ids[:8])) + (" ..." if len(open_ids) > 8 else "")
            raise ReviewerError(f"{reviewer} has not decided on finding(s) {shown} of call {call_id} "
                                f"in session {session_id}: confirm, reject or edit each before submitting")
        if review.score is None:
            labels = data.labels(call, reviewer)
            weights = score_settings or ScoreSettings()
            scores[call_id] = score_call(scored_segments(call.findings, labels), weights).value
    now = utcnow()
    with Session(writer(engine)) as s, s.begin():
        for call_id in todo:
            row = _review_row(s, session_id, call_id, reviewer)
            if row.submitted_at is not None:
                continue
            if row.score is None:
                row.score = scores[call_id]
            row.submitted_at = now
            row.updated_at = now
    return todo


def delete_session(engine: Engine, session_id: int) -> None:
    """Drop a session and everything reviewers recorded in it (the labels of record are not touched)."""
    with Session(writer(engine)) as s, s.begin():
        _session(s, session_id)
        review_ids = select(CalibrationReviewRow.id).where(CalibrationReviewRow.session_id == session_id)
        s.execute(delete(CalibrationDecisionRow).where(CalibrationDecisionRow.review_id.in_(review_ids)))
        for table in (CalibrationReviewRow, CalibrationReviewerRow, CalibrationCallRow):
            s.execute(delete(table).where(table.session_id == session_id))
        s.execute(delete(CalibrationSessionRow).where(CalibrationSessionRow.id == session_id))


def mark_adopted(s: Session, session_id: int, adopted_from: str, lead: str) -> None:
    """Inside the caller's transaction: the session is adopted (adopt.py)."""
    row = _session(s, session_id)
    row.state, row.adopted_from, row.adopted_by, row.adopted_at = "adopted", adopted_from, lead, utcnow()


def _open_review(s: Session, session_id: int, call_id: int, reviewer: str
                 ) -> tuple[CalibrationReviewRow, dict[int, Finding], float]:
    """The reviewer's review of the call, locked, while it can still change; the call's findings and length."""
    session = _session(s, session_id)
    if session.state != "open":
        raise ReviewerError(f"calibration session {session_id} is {session.state}: its reviews are closed")
    review = _review_row(s, session_id, call_id, reviewer)
    if review.submitted_at is not None:
        raise ReviewerError(f"{review.reviewer} submitted call {call_id} of session {session_id} "
                            f"at {review.submitted_at:%Y-%m-%d %H:%M} UTC: a submitted review is final")
    call_row = s.scalars(select(CalibrationCallRow).where(CalibrationCallRow.session_id == session_id,
                                                          CalibrationCallRow.call_id == call_id)).one()
    findings = {f["segment_id"]: Finding(**f) for f in call_row.findings}
    return review, findings, s.get(CallRow, call_id).duration_s


def _session(s: Session, session_id: int, lock: bool = False) -> CalibrationSessionRow:
    row = s.get(CalibrationSessionRow, session_id, with_for_update=lock)
    if row is None:
        raise ReviewerError(f"calibration session {session_id} does not exist (see `reviewer-app calibrate list`)")
    return row


def _summary(s: Session, row: CalibrationSessionRow) -> SessionSummary:
    calls = tuple(s.scalars(select(CalibrationCallRow.call_id).where(CalibrationCallRow.session_id == row.id)
                            .order_by(CalibrationCallRow.position)))
    reviewers = tuple(s.scalars(select(CalibrationReviewerRow.reviewer)
                                .where(CalibrationReviewerRow.session_id == row.id)
                                .order_by(CalibrationReviewerRow.id)))
    submitted = dict.fromkeys(reviewers, 0)
    for reviewer in s.scalars(select(CalibrationReviewRow.reviewer).where(
            CalibrationReviewRow.session_id == row.id, CalibrationReviewRow.submitted_at.is_not(None))):
        submitted[reviewer] = submitted.get(reviewer, 0) + 1
    return SessionSummary(row.id, row.name, row.created_by, row.created_at, row.state, row.adopted_from,
                          row.adopted_by, row.adopted_at, calls, reviewers, submitted)


def _reviews(s: Session, session_id: int) -> list[Review]:
    rows = s.scalars(select(CalibrationReviewRow).where(CalibrationReviewRow.session_id == session_id)).all()
    return [_review(s, r) for r in rows]


def _review(s: Session, row: CalibrationReviewRow) -> Review:
    decisions = s.scalars(select(CalibrationDecisionRow).where(CalibrationDecisionRow.review_id == row.id)
                          .order_by(CalibrationDecisionRow.id)).all()
    return Review(row.reviewer, row.call_id, row.score, row.submitted_at,
                  tuple(Decision(d.segment_id, d.decision, d.start, d.end, d.role, d.category, d.id)
                        for d in decisions))


def _review_row(s: Session, session_id: int, call_id: int, reviewer: str) -> CalibrationReviewRow:
    reviewer = _name(reviewer, "a reviewer")
    row = s.scalars(select(CalibrationReviewRow).where(
        CalibrationReviewRow.session_id == session_id, CalibrationReviewRow.call_id == call_id,
        CalibrationReviewRow.reviewer == reviewer).with_for_update()).one_or_none()
    if row is None:
        summary = _summary(s, _session(s, session_id))
        if reviewer not in summary.reviewers:
            raise ReviewerError(f"{reviewer} is not a reviewer of calibration session {session_id} "
                                f"({', '.join(summary.reviewers)})")
        raise ReviewerError(f"call {call_id} is not in calibration session {session_id} "
                            f"(its calls: {', '.join(map(str, summary.call_ids))})")
    return row


def _member(summary: SessionSummary, reviewer: str) -> str:
    reviewer = _name(reviewer, "a reviewer")
    if reviewer not in summary.reviewers:
        raise ReviewerError(f"{reviewer} is not a reviewer of calibration session {summary.id} "
                            f"({', '.join(summary.reviewers)})")
    return reviewer


def _name(name: str, what: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ReviewerError(f"{what} needs a name")
    if len(name.strip()) > 128:
        raise ReviewerError(f"{what}'s name is over 128 characters")
    return name.strip()


def _value(given: float | None, default: float) -> float:
    return float(default if given is None else given)


def _check_span(start, end, category, role, duration_s: float, what: str) -> None:
    if category not in CATEGORIES:
        raise ReviewerError(f"{what}: unknown category {show_value(category)}: use one of {', '.join(CATEGORIES)}")
    if role not in ROLES:
        raise ReviewerError(f"{what}: unknown role {show_value(role)}: use one of {', '.join(ROLES)}")
    try:
        ok = 0 <= float(start) < float(end) and math.isfinite(float(end))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ReviewerError(f"{what}: bad bounds {show_value(start)}..{show_value(end)}: need 0 <= start < end")
    if float(end) > duration_s + END_TOLERANCE_S:
        raise ReviewerError(f"{what}: ends at {float(end):.2f} s, past the call's end ({duration_s:.2f} s)")
