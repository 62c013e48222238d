"""Per-call problem counts kept on the calls row, so the library view need not count segments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("problem_counts", sa.JSON(), nullable=False, server_default="{}"))
    bind = op.get_bind()
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = bind.execute(sa.text(
        "SELECT call_id, category, count(*) FROM segments "
        "WHERE status != 'rejected' AND deleted_at IS NULL GROUP BY call_id, category"
    ))
    for call_id, category, n in rows:
        counts[call_id][category] = n
    calls = sa.table("calls", sa.column("id", sa.Integer), sa.column("problem_counts", sa.JSON))
    for call_id, per_category in counts.items():
        bind.execute(calls.update().where(calls.c.id == call_id).values(problem_counts=dict(sorted(per_category.items()))))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("problem_counts")
