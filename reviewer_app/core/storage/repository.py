"""Save and load analysed calls. Every function returns plain dataclasses, never ORM rows.

A call is identified by the sha256 of its audio bytes: importing the same audio
again updates the same call. Each function is one short transaction.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Engine, Select, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from reviewer_app.core.domain import (
    BOTH,
    AudioInfo,
    CallAnalysis,
    CallScore,
    Segment,
    Turn,
    Word,
)
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.settings import ScoreSettings
from reviewer_app.core.storage import model_tracks
from reviewer_app.core.storage.db import writer
from reviewer_app.core.storage.models import CallRow, LabelEventRow, SegmentRow, TurnRow, WordRow, utcnow
from reviewer_app.core.storage.redactions import current_user, record_redaction


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
    details: dict | None = None  # structured evidence: "explain", "disagreement" (see Segment)

    @property
    def segment(self) -> Segment:
        return Segment(
            self.start, self.end, self.role, self.category, self.score, self.source, self.evidence,
            self.details,
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
    # score_value / score_grade are the score of record; the detector's score stays beside it.
    detector_score: int | None = None
    detector_grade: str | None = None
    score_source: str = "detector"  # "reviewed" once a reviewer has judged the call
    deductions: dict[str, int] = field(default_factory=dict)  # of the score of record

    @property
    def reviewed_score(self) -> bool:
        return self.score_source == "reviewed"

    @property
    def score_text(self) -> str:
        """`75` or `detector 75 → reviewed 88`."""
        if not self.reviewed_score or self.detector_score is None:
            return str(self.score_value)
        return f"detector {self.detector_score} → reviewed {self.score_value}"


@dataclass(frozen=True)
class SavedAnalysis:
    """What `save_analysis_report` stored beyond the analysis it was given."""

    call_id: int
    transcript: list[Turn]  # as stored: reviewer-corrected turns in place of the new ASR's
    warnings: list[str]  # one line per corrected turn the new ASR heard differently
    kept_turns: int = 0  # reviewer-corrected turns kept
    kept_labels: int = 0  # segments a reviewer touched, kept
    dropped_findings: int = 0  # new findings a reviewer had already judged

    def applied_to(self, analysis: CallAnalysis) -> CallAnalysis:
        """`analysis` with the stored transcript and these warnings added."""
        return replace(analysis, transcript=list(self.transcript),
                       warnings=[*analysis.warnings, *self.warnings])


def save_analysis(engine: Engine, analysis: CallAnalysis, score_settings: ScoreSettings | None = None) -> int:
    """Store `analysis` in one transaction and return the call id (see save_analysis_report)."""
    return save_analysis_report(engine, analysis, score_settings).call_id


def save_analysis_report(engine: Engine, analysis: CallAnalysis,
                         score_settings: ScoreSettings | None = None) -> SavedAnalysis:
    """Store `analysis` in one transaction; a re-analysis never overwrites a reviewer's work.

    If the audio was stored before, its score and the machine's output are replaced:
    the ASR's turns and the predictions nobody touched. What reviewers did is kept:

    * a turn a reviewer corrected (`LabelStore.edit_turn_text`) stays with its text and
      words; the new ASR turns of the same role overlapping it are dropped, and when what
      they heard differs from the reviewer's text the result has a warning saying so;
    * a segment a reviewer touched (any status other than predicted, a reviewer name, a
      note, a deletion, or added by a reviewer) stays as it is, with the review status;
      a new finding overlapping it, or the finding it was before the reviewer changed it,
      with the same category and role ("both" matches either side) is dropped, as the
      reviewer has already judged it.

    The analysis's score is stored as the detector's score; on a call a reviewer has judged the
    score of record is computed again from the reviewed labels (`score_settings`).
    """
    audio = analysis.audio
    now = utcnow()
    try:
        with Session(writer(engine)) as s, s.begin():
            # Locks are taken as LabelStore takes them (turn or segment rows first, the call row
            # last), so a reviewer saving a change meanwhile waits or is waited for, never deadlocks.
            call = s.scalars(select(CallRow).where(CallRow.sha256 == audio.sha256)).one_or_none()
            corrected: list[_CorrectedTurn] = []
            if call is None:
                call = CallRow(sha256=audio.sha256, review_status="new", created_at=now)
                s.add(call)
            else:
                corrected = _corrected_turns(s, call.id)
                _drop_machine_output(s, call.id)
            _fill_call(call, analysis, now)
            s.flush()
            transcript, warnings = _keep_corrected(corrected, analysis.transcript, audio.path)
            _insert_transcript(s, call.id, transcript, {id(c.turn): c.reviewer for c in corrected})
            kept = s.scalars(select(SegmentRow).where(SegmentRow.call_id == call.id)).all()
            judged = _judged_findings(s, call.id, kept)
            dropped = 0
            for seg in analysis.segments:
                if any(_same_finding(seg, *j) for j in judged):
                    dropped += 1
                else:
                    s.add(_segment_row(call.id, seg, now))
            s.flush()
            model_tracks.replace_track(s, call.id, analysis.model_track, now)
            refresh_problem_counts(s, call)
            refresh_score_of_record(s, call, score_settings)
            record_redaction(s, call.id, analysis.pii, current_user(), now)  # [privacy] redact: the audit entry
            return SavedAnalysis(call.id, transcript, warnings, len(corrected), len(kept), dropped)
    except SQLAlchemyError as exc:
        cause = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise ReviewerError(f"cannot save the analysis of {audio.path}: {cause}") from exc


@dataclass(frozen=True)
class _CorrectedTurn:
    turn: Turn
    reviewer: str


def _corrected_turns(s: Session, call_id: int) -> list[_CorrectedTurn]:
    """The call's reviewer-corrected turns with their words.

    Every turn row is locked first (PostgreSQL): a correction being saved right now is
    waited for and read, not deleted unseen with the ASR's turns.
    """
    rows = [r for r in s.scalars(select(TurnRow).where(TurnRow.call_id == call_id)
                                 .order_by(TurnRow.turn_index).with_for_update())
            if r.edited_by is not None]
    if not rows:
        return []
    words: dict[int, list[Word]] = defaultdict(list)
    for w in s.scalars(select(WordRow).where(WordRow.call_id == call_id,
                                             WordRow.turn_index.in_([r.turn_index for r in rows]))
                       .order_by(WordRow.turn_index, WordRow.word_index)):
        words[w.turn_index].append(Word(w.word, w.start, w.end, w.prob))
    return [_CorrectedTurn(Turn(r.role, r.start, r.end, r.text, tuple(words[r.turn_index])), r.edited_by)
            for r in rows]


def _keep_corrected(corrected: list[_CorrectedTurn], new: list[Turn], path: str
                    ) -> tuple[list[Turn], list[str]]:
    """The new transcript with each corrected turn in place of the new speech it covers.

    A new turn of the same role overlapping a corrected one gives up the words inside it
    (by their midpoint); its words outside stay, as turns of their own. A new turn without
    word times that overlaps is replaced whole. What was given up is what "the new ASR heard".
    """
    if not corrected:
        return list(new), []
    heard: dict[int, list[str]] = defaultdict(list)
    kept_new: list[Turn] = []
    for turn in new:
        hits = [i for i, c in enumerate(corrected) if _same_speech(turn, c.turn)]
        if not hits:
            kept_new.append(turn)
        elif not turn.words:
            for i in hits:
                heard[i].append(turn.text)
        else:
            kept_new.extend(_outside(turn, [corrected[i].turn for i in hits], heard, hits))
    transcript = sorted([*kept_new, *(c.turn for c in corrected)], key=lambda t: (t.start, t.role, t.end))
    index = {id(t): i for i, t in enumerate(transcript)}
    warnings = []
    for i, c in enumerate(corrected):
        asr = " ".join(" ".join(t.split()) for t in heard[i] if t.strip())
        if _comparable(asr) == _comparable(c.turn.text):
            continue
        said = f"heard {_quote(asr)}" if asr else "heard nothing there"
        warnings.append(f"{path}: turn {index[id(c.turn)]} ({c.turn.role} {c.turn.start:.1f} s): "
                        f"kept {c.reviewer}'s text {_quote(c.turn.text)}; the new ASR {said}")
    return transcript, warnings


def _outside(turn: Turn, spans: list[Turn], heard: dict[int, list[str]], hits: list[int]) -> list[Turn]:
    """`turn`'s runs of words outside every span, as turns; the words inside go to `heard`."""
    sep = " " if " " in turn.text.strip() else ""  # Chinese turns are written without spaces
    runs: list[list[Word]] = [[]]
    inside: dict[int, list[str]] = defaultdict(list)
    for w in turn.words:
        mid = (w.start + w.end) / 2
        owner = next((k for k, span in enumerate(spans) if _covers(span, mid, w)), None)
        if owner is None:
            runs[-1].append(w)
        else:
            inside[owner].append(w.word)
            if runs[-1]:
                runs.append([])
    if not inside:
        return [turn]
    for k, words in inside.items():
        heard[hits[k]].append(sep.join(words))
    return [Turn(turn.role, r[0].start, r[-1].end, sep.join(w.word for w in r), tuple(r)) for r in runs if r]


def _covers(span: Turn, mid: float, word: Word) -> bool:
    if span.end <= span.start:
        return word.start <= span.start <= word.end
    return span.start <= mid <= span.end


def _same_speech(turn: Turn, kept: Turn) -> bool:
    if turn.role != kept.role:
        return False
    if kept.end <= kept.start:  # an empty corrected turn: anything touching its instant
        return turn.start <= kept.start <= turn.end
    return turn.start < kept.end and kept.start < turn.end


def _comparable(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


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
            score=_detector_score(call),
            timings_s=dict(call.timings),
            versions=dict(call.versions),
            analysed_by=dict(call.analysed_by or {}),
            model_track=model_tracks.track_of(s, call.id),
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
    """Delete the ASR's turns and words and the predictions nobody touched."""
    s.execute(delete(WordRow).where(WordRow.call_id == call_id))
    s.execute(delete(TurnRow).where(TurnRow.call_id == call_id))  # corrected ones are re-inserted
    s.execute(
        delete(SegmentRow).where(
            SegmentRow.call_id == call_id,
            SegmentRow.status == "predicted",
            SegmentRow.reviewer.is_(None),
            SegmentRow.note.is_(None),
            SegmentRow.deleted_at.is_(None),
            SegmentRow.source != "reviewer",
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
    call.detector_score = analysis.score.value
    call.detector_grade = analysis.score.grade
    call.detector_deductions = dict(analysis.score.deductions)
    call.score_source = "detector"
    call.timings = dict(analysis.timings_s)
    call.versions = dict(analysis.versions)
    call.analysed_by = dict(analysis.analysed_by)
    call.analysed_at = now
    call.updated_at = now


def _insert_transcript(s: Session, call_id: int, transcript: Iterable[Turn],
                       edited_by: dict[int, str] | None = None) -> None:
    """Insert `transcript`; `edited_by` maps id(turn) to the reviewer of a corrected turn."""
    edited_by = edited_by or {}
    turns, words = [], []
    for ti, turn in enumerate(transcript):
        turns.append(
            dict(call_id=call_id, turn_index=ti, role=turn.role, start=turn.start,
                 end=turn.end, text=turn.text, edited_by=edited_by.get(id(turn)))
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
        score=seg.score, source=seg.source, evidence=seg.evidence, details=seg.details, status="predicted",
        version=1, created_at=now, updated_at=now,
    )


_Finding = tuple[float, float, str, str]  # start, end, category, role


def _judged_findings(s: Session, call_id: int, kept: Iterable[SegmentRow]) -> list[_Finding]:
    """Each kept segment as it is now and as it was before each reviewer change (audit log)."""
    kept = list(kept)
    judged = [(r.start, r.end, r.category, r.role) for r in kept]
    ids = [r.id for r in kept]
    if ids:
        befores = s.scalars(select(LabelEventRow.before).where(
            LabelEventRow.call_id == call_id, LabelEventRow.segment_id.in_(ids),
            LabelEventRow.before.is_not(None)))
        for b in befores:
            try:
                judged.append((float(b["start"]), float(b["end"]), str(b["category"]), str(b["role"])))
            except (KeyError, TypeError, ValueError):
                continue  # a snapshot without bounds (not a segment change)
    return judged


def _same_finding(seg: Segment, start: float, end: float, category: str, role: str) -> bool:
    same_role = seg.role == role or BOTH in (seg.role, role)
    return seg.category == category and same_role and seg.start < end and start < seg.end


def _stored(r: SegmentRow) -> StoredSegment:
    return StoredSegment(
        id=r.id, call_id=r.call_id, start=r.start, end=r.end, role=r.role,
        category=r.category, score=r.score, source=r.source, evidence=r.evidence,
        status=r.status, reviewer=r.reviewer, note=r.note, version=r.version,
        updated_at=r.updated_at, details=r.details,
    )


def refresh_problem_counts(s: Session, call: CallRow) -> None:
    """Recount `call`'s live, not rejected segments per category (inside the caller's transaction)."""
    rows = s.execute(
        select(SegmentRow.category, func.count())
        .where(SegmentRow.call_id == call.id, SegmentRow.status != "rejected", SegmentRow.deleted_at.is_(None))
        .group_by(SegmentRow.category)
    ).all()
    call.problem_counts = dict(sorted((category, n) for category, n in rows))


def refresh_score_of_record(s: Session, call: CallRow, settings: ScoreSettings | None = None) -> None:
    """Set `call`'s score of record (inside the caller's transaction, after the segment changes).

    A call nobody has judged (review status "new") has the detector's score. Once a reviewer has
    touched it, the score is that of its reviewed labels: every live segment not rejected (an
    untouched prediction still counts as the detector scored it; a label the reviewer added counts
    in full); deleted and rejected ones deduct nothing.
    """
    from reviewer_app.core.scoring import score_call

    if call.detector_score is None:  # stored before 0005 without a backfill: the stored score was the detector's
        call.detector_score, call.detector_grade = call.score_value, call.score_grade
        call.detector_deductions = dict(call.deductions or {})
    if call.review_status == "new":
        call.score_value, call.score_grade = call.detector_score, call.detector_grade
        call.deductions = dict(call.detector_deductions or {})
        call.score_source = "detector"
        return
    rows = s.execute(select(SegmentRow.start, SegmentRow.end, SegmentRow.role, SegmentRow.category,
                            SegmentRow.score)
                     .where(SegmentRow.call_id == call.id, SegmentRow.status != "rejected",
                            SegmentRow.deleted_at.is_(None))).all()
    score = score_call([Segment(r.start, r.end, r.role, r.category, r.score, "", "") for r in rows],
                       settings or ScoreSettings())
    call.score_value, call.score_grade, call.deductions = score.value, score.grade, dict(score.deductions)
    call.score_source = "reviewed"


def _detector_score(call: CallRow) -> CallScore:
    if call.detector_score is None:
        return CallScore(call.score_value, call.score_grade, dict(call.deductions))
    return CallScore(call.detector_score, call.detector_grade or call.score_grade,
                     dict(call.detector_deductions or {}))


def _summary(call: CallRow) -> CallSummary:
    return CallSummary(
        id=call.id, sha256=call.sha256, path=call.path, duration_s=call.duration_s,
        score_value=call.score_value, score_grade=call.score_grade,
        review_status=call.review_status, problem_counts=dict(call.problem_counts or {}),
        analysed_at=call.analysed_at,
        detector_score=call.detector_score if call.detector_score is not None else call.score_value,
        detector_grade=call.detector_grade or call.score_grade, score_source=call.score_source or "detector",
        deductions=dict(call.deductions or {}),
    )
