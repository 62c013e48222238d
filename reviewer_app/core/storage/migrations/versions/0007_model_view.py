"""The learned model's view of each call: segments get structured details (a model finding's
explanation, a rule/model disagreement) and calls a model track (its probability over time per
category and role, for the window's model lane).

Calls stored before this revision have no track and their segments no details (NULL) until they
are analysed again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("segments") as batch:
        batch.add_column(sa.Column("details", sa.JSON(), nullable=True))
    op.create_table(
        "model_tracks",
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("hop_s", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("values", sa.LargeBinary(), nullable=False),
        sa.Column("disagreements", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_model_tracks_call_id_calls",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("call_id", name="pk_model_tracks"),
    )


def downgrade() -> None:
    op.drop_table("model_tracks")
    with op.batch_alter_table("segments") as batch:
        batch.drop_column("details")
