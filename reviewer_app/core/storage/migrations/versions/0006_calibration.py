"""Calibration sessions: several reviewers label the same calls blind, kept apart from the labels
of record (segments, label_events) until the lead adopts one outcome.

calibration_sessions: name, lead, state (open / adopted) and what was adopted.
calibration_calls: the session's calls, each with the model's findings and score as they were.
calibration_reviewers: who takes part.
calibration_reviews: one per reviewer and call: the call score they gave and when they submitted.
calibration_decisions: a reviewer's confirm / reject / edit of a finding, or a segment they added.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _session_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["session_id"], ["calibration_sessions.id"],
                                   name=f"fk_{table}_session_id_calibration_sessions", ondelete="CASCADE")


def _call_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=f"fk_{table}_call_id_calls", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "calibration_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("adopted_from", sa.String(128), nullable=True),
        sa.Column("adopted_by", sa.String(128), nullable=True),
        sa.Column("adopted_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_calibration_sessions"),
        sa.CheckConstraint("state IN ('open', 'adopted')", name="ck_calibration_sessions_state"),
    )
    op.create_table(
        "calibration_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("model_score", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calibration_calls"),
        _session_key("calibration_calls"),
        _call_key("calibration_calls"),
        sa.UniqueConstraint("session_id", "call_id", name="uq_calibration_calls_session_id_call_id"),
    )
    op.create_index("ix_calibration_calls_session_id", "calibration_calls", ["session_id"])
    op.create_table(
        "calibration_reviewers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calibration_reviewers"),
        _session_key("calibration_reviewers"),
        sa.UniqueConstraint("session_id", "reviewer", name="uq_calibration_reviewers_session_id_reviewer"),
    )
    op.create_index("ix_calibration_reviewers_session_id", "calibration_reviewers", ["session_id"])
    op.create_table(
        "calibration_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(128), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calibration_reviews"),
        _session_key("calibration_reviews"),
        _call_key("calibration_reviews"),
        sa.UniqueConstraint("session_id", "call_id", "reviewer",
                            name="uq_calibration_reviews_session_id_call_id_reviewer"),
    )
    op.create_index("ix_calibration_reviews_session_id", "calibration_reviews", ["session_id"])
    op.create_table(
        "calibration_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("end", sa.Float(), nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("category", sa.String(32), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calibration_decisions"),
        sa.ForeignKeyConstraint(["review_id"], ["calibration_reviews.id"],
                                name="fk_calibration_decisions_review_id_calibration_reviews", ondelete="CASCADE"),
        sa.UniqueConstraint("review_id", "segment_id", name="uq_calibration_decisions_review_id_segment_id"),
        sa.CheckConstraint("decision IN ('confirm', 'reject', 'edit', 'add')",
                           name="ck_calibration_decisions_decision"),
    )
    op.create_index("ix_calibration_decisions_review_id", "calibration_decisions", ["review_id"])


def downgrade() -> None:
    for table in ("calibration_decisions", "calibration_reviews", "calibration_reviewers", "calibration_calls",
                  "calibration_sessions"):
        op.drop_table(table)
