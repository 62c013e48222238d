"""Save and load analysed calls. Every function returns plain dataclasses, never ORM rows.

A call is identified by the sha256 of its audio bytes: importing the same audio
again updates the same call. Each function is one short transaction.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, Select, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from reviewer_app.core.domain import (
    AudioInfo,
    CallAnalysis,
    CallScore,
    Segment,
    Turn,
    Word,
)
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.storage.db import writer
from reviewer_app.core.storage.models import CallRow, SegmentRow, TurnRow, WordRow, utcnow


@dataclass(frozen=True)
class StoredSegment:
    id: int
    call_id: int
    start: float
    end: float
    role: str
    category: str
    score: float
    source: str
    evidence: str
    status: str
    reviewer: str | None
    note: str | None
    version: int
    updated_at: datetime

    @property
    def segment(self) -> Segment:
        return Segment(
            self.start, self.end, self.role, self.category, self.score, self.source, self.evidence
        )

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class CallSummary:
    id: int
    sha256: str
    path: str
    duration_s: float
    score_value: int
    score_grade: str
    review_status: str
    problem_counts: dict[str, int] = field(default_factory=dict)  # non-rejected segments
    analysed_at: datetime | None = None


def save_analysis(engine: Engine, analysis: CallAnalysis) -> int:
    """Store `analysis` in one transaction and return the call id.

    If the audio was stored before, its transcript, score and untouched
    predictions are replaced. Segments a reviewer touched (any status other
    than predicted, a note, a deletion) and the review status are kept; a new
    prediction that overlaps a kept segment of the same category is dropped,
    as the reviewer has already judged that finding.
    """
    audio = analysis.audio
    now = utcnow()
    try:
        with Session(writer(engine)) as s, s.begin():
            call = s.scalars(select(CallRow).where(CallRow.sha256 == audio.sha256)).one_or_none()
            if call is None:
                call = CallRow(sha256=audio.sha256, review_status="new", created_at=now)
                s.add(call)
            else:
                _drop_machine_output(s, call.id)
            _fill_call(call, analysis, now)
            s.flush()
            _insert_transcript(s, call.id, analysis.transcript)
            kept = s.scalars(select(SegmentRow).where(SegmentRow.call_id == call.id)).all()
            for seg in analysis.segments:
                if not any(_same_finding(seg, k) for k in kept):
                    s.add(_segment_row(call.id, seg, now))
            s.flush()
            refresh_problem_counts(s, call)
            return call.id
    except SQLAlchemyError as exc:
        cause = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise ReviewerError(f"cannot save the analysis of {audio.path}: {cause}") from exc


def load_analysis(engine: Engine, sha256: str) -> CallAnalysis | None:
    """The stored analysis; segments are every non-deleted one, human labels included."""
    with Session(engine) as s, s.begin():
        call = s.scalars(select(CallRow).where(CallRow.sha256 == sha256)).one_or_none()
        if call is None:
            return None
        turns = s.scalars(
            select(TurnRow).where(TurnRow.call_id == call.id).order_by(TurnRow.turn_index)
        ).all()
        words = s.scalars(
            select(WordRow)
            .where(WordRow.call_id == call.id)
            .order_by(WordRow.turn_index, WordRow.word_index)
        ).all()
        segments = s.scalars(_live_segments(call.id).order_by(SegmentRow.id)).all()
        by_turn: dict[int, list[Word]] = defaultdict(list)
        for w in words:
            by_turn[w.turn_index].append(Word(w.word, w.start, w.end, w.prob))
        return CallAnalysis(
            audio=AudioInfo(
                path=call.path,
                sha256=call.sha256,
                duration_s=call.duration_s,
                sample_rate=call.sample_rate,
                channels=call.channels,
                roles=tuple(call.roles),
            ),
            language=call.language,
            transcript=[
                Turn(t.role, t.start, t.end, t.text, tuple(by_turn[t.turn_index])) for t in turns
            ],
            segments=[_stored(r).segment for r in segments],
            score=CallScore(call.score_value, call.score_grade, dict(call.deductions)),
            timings_s=dict(call.timings),
            versions=dict(call.versions),
        )


def load_segments(engine: Engine, call_id: int) -> list[StoredSegment]:
    """Non-deleted segments of a call with their review state, by start time."""
    with Session(engine) as s, s.begin():
        rows = s.scalars(_live_segments(call_id).order_by(SegmentRow.start, SegmentRow.id))
        return [_stored(r) for r in rows]


def find_call(engine: Engine, sha256: str) -> CallSummary | None:
    with Session(engine) as s, s.begin():
        call = s.scalars(select(CallRow).where(CallRow.sha256 == sha256)).one_or_none()
        if call is None:
            return None
        return _summary(call)


def list_calls(
    engine: Engine,
    *,
    review_status: str | None = None,
    grade: str | None = None,
    category: str | None = None,
    path_contains: str | None = None,
    max_score: int | None = None,
) -> list[CallSummary]:
    """Stored calls, oldest first, narrowed by any filters given (all done in SQL).

    `category` keeps calls with at least one live, not rejected segment of it.
    """
    query = select(CallRow).order_by(CallRow.id)
    if review_status is not None:
        query = query.where(CallRow.review_status == review_status)
    if grade is not None:
        query = query.where(CallRow.score_grade == grade)
    if path_contains:
        query = query.where(CallRow.path.contains(path_contains, autoescape=True))
    if max_score is not None:
        query = query.where(CallRow.score_value <= max_score)
    if category is not None:
        query = query.where(
            select(SegmentRow.id).where(
                SegmentRow.call_id == CallRow.id, SegmentRow.category == category,
                SegmentRow.status != "rejected", SegmentRow.deleted_at.is_(None),
            ).exists()
        )
    with Session(engine) as s, s.begin():
        return [_summary(c) for c in s.scalars(query).all()]


def _live_segments(call_id: int) -> Select[tuple[SegmentRow]]:
    return select(SegmentRow).where(
        SegmentRow.call_id == call_id, SegmentRow.deleted_at.is_(None)
    )


def _drop_machine_output(s: Session, call_id: int) -> None:
    s.execute(delete(WordRow).where(WordRow.call_id == call_id))
    s.execute(delete(TurnRow).where(TurnRow.call_id == call_id))
    s.execute(
        delete(SegmentRow).where(
            SegmentRow.call_id == call_id,
            SegmentRow.status == "predicted",
            SegmentRow.reviewer.is_(None),
            SegmentRow.note.is_(None),
            SegmentRow.deleted_at.is_(None),
        )
    )


def _fill_call(call: CallRow, analysis: CallAnalysis, now: datetime) -> None:
    audio = analysis.audio
    call.path = audio.path
    call.duration_s = audio.duration_s
    call.sample_rate = audio.sample_rate
    call.channels = audio.channels
    call.roles = list(audio.roles)
    call.language = analysis.language
    call.score_value = analysis.score.value
    call.score_grade = analysis.score.grade
    call.deductions = dict(analysis.score.deductions)
    call.timings = dict(analysis.timings_s)
    call.versions = dict(analysis.versions)
    call.analysed_at = now
    call.updated_at = now


def _insert_transcript(s: Session, call_id: int, transcript: Iterable[Turn]) -> None:
    turns, words = [], []
    for ti, turn in enumerate(transcript):
        turns.append(
            dict(call_id=call_id, turn_index=ti, role=turn.role, start=turn.start,
                 end=turn.end, text=turn.text)
        )
        words.extend(
            dict(call_id=call_id, turn_index=ti, word_index=wi, role=turn.role,
                 start=w.start, end=w.end, word=w.word, prob=w.prob)
            for wi, w in enumerate(turn.words)
        )
    if turns:
        s.execute(insert(TurnRow), turns)
    if words:
        s.execute(insert(WordRow), words)


def _segment_row(call_id: int, seg: Segment, now: datetime) -> SegmentRow:
    return SegmentRow(
        call_id=call_id, start=seg.start, end=seg.end, role=seg.role, category=seg.category,
        score=seg.score, source=seg.source, evidence=seg.evidence, status="predicted",
        version=1, created_at=now, updated_at=now,
    )


def _same_finding(seg: Segment, kept: SegmentRow) -> bool:
    return seg.category == kept.category and seg.start < kept.end and kept.start < seg.end


def _stored(r: SegmentRow) -> StoredSegment:
    return StoredSegment(
        id=r.id, call_id=r.call_id, start=r.start, end=r.end, role=r.role,
        category=r.category, score=r.score, source=r.source, evidence=r.evidence,
        status=r.status, reviewer=r.reviewer, note=r.note, version=r.version,
        updated_at=r.updated_at,
    )


def refresh_problem_counts(s: Session, call: CallRow) -> None:
    """Recount `call`'s live, not rejected segments per category (inside the caller's transaction)."""
    rows = s.execute(
        select(SegmentRow.category, func.count())
        .where(SegmentRow.call_id == call.id, SegmentRow.status != "rejected", SegmentRow.deleted_at.is_(None))
        .group_by(SegmentRow.category)
    ).all()
    call.problem_counts = dict(sorted((category, n) for category, n in rows))


def _summary(call: CallRow) -> CallSummary:
    return CallSummary(
        id=call.id, sha256=call.sha256, path=call.path, duration_s=call.duration_s,
        score_value=call.score_value, score_grade=call.score_grade,
        review_status=call.review_status, problem_counts=dict(call.problem_counts or {}),
        analysed_at=call.analysed_at,
    )
