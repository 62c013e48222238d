"""Migrations carry existing data forward: a library made by schema 0001 opens under the newest."""
from __future__ import annotations

from sqlalchemy import text

from reviewer_app.core.storage.db import _create_engine, open_database, upgrade
from reviewer_app.core.storage.repository import list_calls
from sqlalchemy import make_url


def test_upgrade_from_0001_backfills_problem_counts(db_url):
    old = _create_engine(make_url(db_url))
    upgrade(old, "0001")
    now = "2026-01-01 00:00:00"
    with old.begin() as c:
        c.execute(text(
            "INSERT INTO calls (id, sha256, path, duration_s, sample_rate, channels, roles, language, score_value,"
            " score_grade, deductions, timings, versions, review_status, analysed_at, created_at, updated_at)"
            " VALUES (1, :sha, '/a.wav', 60, 8000, 2, '[]', 'en', 90, 'high', '{}', '{}', '{}', 'new',"
            " :now, :now, :now)"), {"sha": "a" * 64, "now": now})
        for i, (category, status) in enumerate([("dead_air", "predicted"), ("dead_air", "confirmed"),
                                                ("overtalk", "rejected"), ("overtalk", "added")]):
            c.execute(text(
                "INSERT INTO segments (call_id, start, \"end\", role, category, score, source, evidence, status,"
                " version, created_at, updated_at) VALUES (1, :s, :e, 'both', :cat, 1.0, 'rule:x', '', :st, 1,"
                " :now, :now)"), {"s": i, "e": i + 0.5, "cat": category, "st": status, "now": now})
    old.dispose()
    engine = open_database(db_url)
    [call] = list_calls(engine)
    assert call.problem_counts == {"dead_air": 2, "overtalk": 1}
    engine.dispose()
