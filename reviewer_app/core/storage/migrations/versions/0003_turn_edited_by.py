"""Turns a reviewer corrected carry the reviewer's name, so a re-analysis keeps them.

Until now a corrected turn was only told apart by its `turn_edit` audit entry, which names
it by position; a re-analysis renumbers the turns. The backfill marks a turn whose text is
still the one its latest `turn_edit` entry wrote (a later re-analysis may have replaced it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("edited_by", sa.String(length=128), nullable=True))
    bind = op.get_bind()
    events = sa.table("label_events", sa.column("id", sa.Integer), sa.column("call_id", sa.Integer),
                      sa.column("reviewer", sa.String), sa.column("action", sa.String),
                      sa.column("after", sa.JSON))
    latest: dict[tuple[int, int], tuple[str, str]] = {}
    rows = bind.execute(sa.select(events.c.call_id, events.c.reviewer, events.c.after)
                        .where(events.c.action == "turn_edit").order_by(events.c.id))
    for call_id, reviewer, after in rows:
        if isinstance(after, dict) and isinstance(after.get("turn_index"), int):
            latest[(call_id, after["turn_index"])] = (reviewer, str(after.get("text", "")))
    turns = sa.table("turns", sa.column("call_id", sa.Integer), sa.column("turn_index", sa.Integer),
                     sa.column("text", sa.Text), sa.column("edited_by", sa.String))
    for (call_id, turn_index), (reviewer, text) in latest.items():
        bind.execute(turns.update()
                     .where(turns.c.call_id == call_id, turns.c.turn_index == turn_index, turns.c.text == text)
                     .values(edited_by=reviewer))


def downgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("edited_by")
