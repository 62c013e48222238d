"""Initial schema: calls, turns, words, segments, label_events, model_versions.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(32), nullable=False),
        sa.Column("score_value", sa.Integer(), nullable=False),
        sa.Column("score_grade", sa.String(16), nullable=False),
        sa.Column("deductions", sa.JSON(), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("review_status", sa.String(16), nullable=False),
        sa.Column("analysed_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
        sa.CheckConstraint(
            "review_status IN ('new', 'in_review', 'reviewed')", name="ck_calls_review_status"
        ),
    )
    op.create_index("ix_calls_sha256", "calls", ["sha256"], unique=True)

    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("turn_index", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_turns"),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name="fk_turns_call_id_calls", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("call_id", "turn_index", name="uq_turns_call_id_turn_index"),
    )

    op.create_table(
        "words",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("turn_index", sa.Integer(), nullable=False),
        sa.Column("word_index", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("word", sa.Text(), nullable=False),
        sa.Column("prob", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_words"),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name="fk_words_call_id_calls", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "call_id", "turn_index", "word_index", name="uq_words_call_id_turn_index_word_index"
        ),
    )

    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_segments"),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name="fk_segments_call_id_calls", ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "status IN ('predicted', 'confirmed', 'rejected', 'edited', 'added')",
            name="ck_segments_status",
        ),
        sa.CheckConstraint('start >= 0 AND "end" >= start', name="ck_segments_interval"),
        sa.CheckConstraint("version >= 1", name="ck_segments_version"),
    )
    op.create_index("ix_segments_call_id", "segments", ["call_id"])
    op.create_index("ix_segments_category", "segments", ["category"])
    op.create_index("ix_segments_status", "segments", ["status"])

    op.create_table(
        "label_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=True),
        sa.Column("reviewer", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_label_events"),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name="fk_label_events_call_id_calls", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name="fk_label_events_segment_id_segments",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_label_events_call_id", "label_events", ["call_id"])
    op.create_index("ix_label_events_segment_id", "label_events", ["segment_id"])

    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_versions"),
        sa.UniqueConstraint("version", name="uq_model_versions_version"),
    )


def downgrade() -> None:
    op.drop_table("model_versions")
    op.drop_index("ix_label_events_segment_id", table_name="label_events")
    op.drop_index("ix_label_events_call_id", table_name="label_events")
    op.drop_table("label_events")
    op.drop_index("ix_segments_status", table_name="segments")
    op.drop_index("ix_segments_category", table_name="segments")
    op.drop_index("ix_segments_call_id", table_name="segments")
    op.drop_table("segments")
    op.drop_table("words")
    op.drop_table("turns")
    op.drop_index("ix_calls_sha256", table_name="calls")
    op.drop_table("calls")
