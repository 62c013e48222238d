"""ORM tables. Only the storage package sees these rows; callers get domain dataclasses.

Any change here needs a new migration in migrations/versions/ (the test suite
checks that the migrated schema matches this metadata).
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Named constraints keep later batch migrations on SQLite possible.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

REVIEW_STATUSES = ("new", "in_review", "reviewed")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC, always read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: storage needs an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CallRow(Base):
    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint(
            "review_status IN ('new', 'in_review', 'reviewed')", name="review_status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    path: Mapped[str] = mapped_column(Text)
    duration_s: Mapped[float] = mapped_column(Float)
    sample_rate: Mapped[int] = mapped_column(Integer)
    channels: Mapped[int] = mapped_column(Integer)
    roles: Mapped[list[str]] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(32))
    score_value: Mapped[int] = mapped_column(Integer)
    score_grade: Mapped[str] = mapped_column(String(16))
    # score_value / score_grade / deductions are the score of record: the detector's until a reviewer
    # judges the call, then the score of the reviewed labels (migration 0005). The detector's score
    # stays beside it; score_source says which one the score of record is ("detector" | "reviewed").
    deductions: Mapped[dict[str, int]] = mapped_column(JSON)
    detector_score: Mapped[int | None] = mapped_column(Integer)
    detector_grade: Mapped[str | None] = mapped_column(String(16))
    detector_deductions: Mapped[dict[str, int] | None] = mapped_column(JSON)
    score_source: Mapped[str] = mapped_column(String(16), default="detector", server_default="detector")
    timings: Mapped[dict[str, float]] = mapped_column(JSON)
    versions: Mapped[dict[str, str]] = mapped_column(JSON)
    analysed_by: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # node, pid, device (migration 0004)
    review_status: Mapped[str] = mapped_column(String(16), default="new")
    # Live, not rejected segments per category; kept up to date in the transaction of every
    # change, so the library view reads one row per call instead of counting all segments.
    problem_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict, server_default="{}")
    analysed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TurnRow(Base):
    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("call_id", "turn_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    turn_index: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    # The reviewer who corrected this turn's text (None: as the ASR heard it). A re-analysis keeps
    # such a turn and reports what the new ASR heard instead of replacing it.
    edited_by: Mapped[str | None] = mapped_column(String(128))


class WordRow(Base):
    __tablename__ = "words"
    __table_args__ = (UniqueConstraint("call_id", "turn_index", "word_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    turn_index: Mapped[int] = mapped_column(Integer)
    word_index: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    word: Mapped[str] = mapped_column(Text)
    prob: Mapped[float] = mapped_column(Float)


class SegmentRow(Base):
    __tablename__ = "segments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('predicted', 'confirmed', 'rejected', 'edited', 'added')", name="status"
        ),
        CheckConstraint('start >= 0 AND "end" >= start', name="interval"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    role: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32), index=True)
    score: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[str] = mapped_column(Text)
    # Structured evidence (migration 0007): a model finding's branch shares, words and frames
    # ("explain"), a rule/model "disagreement". None for rules' findings that need none.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True, default="predicted")
    reviewer: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ModelTrackRow(Base):
    """The learned model's probability over time for one call (migration 0007), replaced with each
    analysis: one row of float16 values per (category, role), `hop_s` apart, in `values` (little-endian,
    row after row)."""

    __tablename__ = "model_tracks"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(64))
    hop_s: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    rows: Mapped[list[list[str]]] = mapped_column(JSON)
    frames: Mapped[int] = mapped_column(Integer)
    values: Mapped[bytes] = mapped_column(LargeBinary)
    disagreements: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LabelEventRow(Base):
    """Append-only: rows are inserted, never updated or deleted (except with their call)."""

    __tablename__ = "label_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("segments.id", ondelete="SET NULL"), index=True
    )
    reviewer: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ModelVersionRow(Base):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")


# --- calibration sessions (migration 0006): reviewers label the same calls blind, apart from the
# labels of record (segments / label_events), until the lead adopts one outcome.

CALIBRATION_STATES = ("open", "adopted")
CALIBRATION_DECISIONS = ("confirm", "reject", "edit", "add")


class CalibrationSessionRow(Base):
    __tablename__ = "calibration_sessions"
    __table_args__ = (CheckConstraint("state IN ('open', 'adopted')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="open")
    adopted_from: Mapped[str | None] = mapped_column(String(128))  # a reviewer's name, or "majority"
    adopted_by: Mapped[str | None] = mapped_column(String(128))
    adopted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CalibrationCallRow(Base):
    """A call of a session, with the model's findings and score as they were when the session was made."""

    __tablename__ = "calibration_calls"
    __table_args__ = (UniqueConstraint("session_id", "call_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    model_score: Mapped[int] = mapped_column(Integer)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class CalibrationReviewerRow(Base):
    __tablename__ = "calibration_reviewers"
    __table_args__ = (UniqueConstraint("session_id", "reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.id", ondelete="CASCADE"), index=True)
    reviewer: Mapped[str] = mapped_column(String(128))


class CalibrationReviewRow(Base):
    """One reviewer's review of one call of a session: the call score they gave, and when they submitted."""

    __tablename__ = "calibration_reviews"
    __table_args__ = (UniqueConstraint("session_id", "call_id", "reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    reviewer: Mapped[str] = mapped_column(String(128))
    score: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CalibrationDecisionRow(Base):
    """A reviewer's decision on one finding (segment_id) or a segment they added (segment_id None)."""

    __tablename__ = "calibration_decisions"
    __table_args__ = (
        CheckConstraint("decision IN ('confirm', 'reject', 'edit', 'add')", name="decision"),
        UniqueConstraint("review_id", "segment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("calibration_reviews.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[int | None] = mapped_column(Integer)  # the finding's segment id (a snapshot, no key)
    decision: Mapped[str] = mapped_column(String(16))
    start: Mapped[float | None] = mapped_column(Float)  # edit and add: the bounds, category and role given
    end: Mapped[float | None] = mapped_column(Float)
    role: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
