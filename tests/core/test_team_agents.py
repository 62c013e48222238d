"""Agents from file names or a metadata CSV, and the dashboard's per-agent figures."""
from __future__ import annotations

from datetime import date

import pytest

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange.library import iter_records
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage import repository
from reviewer_app.core.team.agents import build_dashboard, load_metadata
from reviewer_app.core.team.metadata import CallMeta, from_csv, from_pattern, parse_date
from reviewer_app.core.team.metrics import call_metrics
from tests.core.test_team_sample_library import PATTERN, library  # noqa: F401 (fixture)


def test_pattern_names_agent_team_and_date(library):
    engine, ids = library
    meta = from_pattern(repository.list_calls(engine), PATTERN)
    assert len(meta) == 8 and ids["basic"] not in meta
    assert meta[ids["chen-2-0"]] == CallMeta("chen", "south", date(2024, 3, 2))
    with pytest.raises(ReviewerError, match=r"needs a named group \(\?P<agent>"):
        from_pattern([], r"(?P<team>\w+)")
    with pytest.raises(ReviewerError, match="file-name pattern"):
        from_pattern([], r"(?P<agent>")


def test_csv_finds_calls_by_sha256_path_or_file_name(library, tmp_path):
    engine, ids = library
    calls = {c.id: c for c in repository.list_calls(engine)}
    csv_path = tmp_path / "meta.csv"
    csv_path.write_text(
        "\ufeffAgent_ID,Team,Date,sha256,file\n"
        f"zoe,west,2024/04/05,{calls[ids['basic']].sha256},\n"
        f"yan,west,20240406,,{calls[ids['mono']].path}\n"
        "alice,north,2024-03-09T10:00:00Z,,2024-03-01_north_alice_0.wav\n"
        "ghost,west,2024-04-07,,nowhere.wav\n", encoding="utf-8")
    meta = from_csv(calls.values(), csv_path)
    assert meta == {ids["basic"]: CallMeta("zoe", "west", date(2024, 4, 5)),
                    ids["mono"]: CallMeta("yan", "west", date(2024, 4, 6)),
                    ids["alice-1-0"]: CallMeta("alice", "north", date(2024, 3, 9))}
    # the CSV wins over the pattern where both name a call
    both = load_metadata(engine, pattern=PATTERN, csv_path=csv_path)
    assert both[ids["alice-1-0"]].date == date(2024, 3, 9) and both[ids["bob-1-0"]].agent == "bob"
    bad = tmp_path / "bad.csv"
    bad.write_text("name,team\nx,y\n")
    with pytest.raises(ReviewerError, match="needs an 'agent' column"):
        from_csv(calls.values(), bad)
    assert parse_date("not a date") is None and parse_date("2024-02-30") is None


def test_call_metrics_measure_talk_rate_dead_air_and_overtalk(library):
    engine, ids = library
    records = {r.summary.id: r for r in iter_records(engine)}
    bob = call_metrics(records[ids["bob-1-0"]], Settings())
    assert bob.talk_share == pytest.approx((4 + 20) / (4 + 20 + 15 + 2))  # agent 4+20 s, customer 15+2 s
    assert bob.speech_rate == pytest.approx(60 * (8 + 50) / 24)  # 8 greeting words + 50 at 150 wpm, over 24 s
    assert bob.dead_air_share == pytest.approx(8 / 60) and bob.overtalk_share == pytest.approx(2 / 60)
    mono = call_metrics(records[ids["mono"]], Settings())
    assert mono.talk_share is None and mono.speech_rate is None
    # after review: the rejected forbidden phrase deducts nothing, the two added labels do
    basic = call_metrics(records[ids["basic"]], Settings())
    assert basic.categories == {"dead_air": 1, "fast_speech": 1, "negative_emotion": 1, "overtalk": 1}
    assert basic.score == 100 - (round(4 * 0.9) + round(2 * 0.9) + 3 + 5)


def test_dashboard_groups_calls_by_agent_with_a_trend(library):
    engine, _ = library
    board = build_dashboard(engine, load_metadata(engine, pattern=PATTERN))
    assert [a.agent for a in board.agents] == ["alice", "bob", "chen", "dana"]
    assert board.teams == {"north": ["alice", "bob"], "south": ["chen", "dana"]}
    assert len(board.unassigned) == 2 and board.date_range == (date(2024, 3, 1), date(2024, 3, 2))
    bob = board.agents[1]
    assert [d for d, _ in bob.trend] == [date(2024, 3, 1), date(2024, 3, 2)]
    assert bob.score_change < 0  # the forbidden phrase on day 2
    assert bob.category_counts == {"dead_air": 2, "overtalk": 2, "forbidden_phrase": 1}
    assert sum(bob.category_shares.values()) == pytest.approx(1.0)
    chen = board.agents[2]
    assert chen.speech_rate[1] == "wpm" and chen.speech_rate[0] > 200 > board.agents[0].speech_rate[0]
    assert board.agents[0].category_counts == {} and board.agents[0].mean_score == 100
