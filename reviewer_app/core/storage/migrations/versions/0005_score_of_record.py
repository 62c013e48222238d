"""The score of record: the detector's score is kept beside the call's score, which becomes the
score of the reviewed labels once a reviewer judges the call.

Existing calls: the detector's score is the stored score; a call a reviewer has touched gets the
score of its reviewed labels (live, not rejected segments) under the default score settings.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("detector_score", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("detector_grade", sa.String(16), nullable=True))
        batch.add_column(sa.Column("detector_deductions", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("score_source", sa.String(16), nullable=False, server_default="detector"))
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE calls SET detector_score = score_value, detector_grade = score_grade, "
                         "detector_deductions = deductions"))
    from reviewer_app.core.domain import Segment
    from reviewer_app.core.scoring import score_call
    from reviewer_app.core.settings import ScoreSettings

    reviewed = [r[0] for r in bind.execute(sa.text("SELECT id FROM calls WHERE review_status != 'new'"))]
    if not reviewed:
        return
    segments: dict[int, list[Segment]] = defaultdict(list)
    for call_id, start, end, role, category, score in bind.execute(sa.text(
            "SELECT call_id, start, \"end\", role, category, score FROM segments "
            "WHERE status != 'rejected' AND deleted_at IS NULL")):
        segments[call_id].append(Segment(start, end, role, category, score, "", ""))
    calls = sa.table("calls", sa.column("id", sa.Integer), sa.column("score_value", sa.Integer),
                     sa.column("score_grade", sa.String), sa.column("deductions", sa.JSON),
                     sa.column("score_source", sa.String))
    settings = ScoreSettings()
    for call_id in reviewed:
        score = score_call(segments[call_id], settings)
        bind.execute(calls.update().where(calls.c.id == call_id).values(
            score_value=score.value, score_grade=score.grade, deductions=score.deductions,
            score_source="reviewed"))


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE calls SET score_value = detector_score, score_grade = detector_grade, "
                         "deductions = detector_deductions WHERE detector_score IS NOT NULL"))
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("score_source")
        batch.drop_column("detector_deductions")
        batch.drop_column("detector_grade")
        batch.drop_column("detector_score")
