"""Storage on real databases: migrations, round trips, re-analysis, atomicity, labels.

Tests taking `engine` or `db_url` run twice: on a SQLite file and on a real PostgreSQL server.
"""
from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.orm import Session

from reviewer_app.core.domain import AudioInfo, CallAnalysis, CallScore, Segment, Turn, Word
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.db import alembic_config, open_database
from reviewer_app.core.storage.labels import ConflictError, LabelStore
from reviewer_app.core.storage.models import (
    Base,
    CallRow,
    LabelEventRow,
    SegmentRow,
    TurnRow,
    WordRow,
)
from reviewer_app.core.storage.repository import (
    find_call,
    list_calls,
    load_analysis,
    load_segments,
    save_analysis,
)

SHA = "ab" * 32
TABLES = {"calls", "turns", "words", "segments", "label_events", "model_versions"}


def make_analysis(sha: str = SHA, segments: list[Segment] | None = None,
                  text_suffix: str = "") -> CallAnalysis:
    w = Word
    return CallAnalysis(
        audio=AudioInfo(path="/calls/2024/call 01.wav", sha256=sha, duration_s=61.25,
                        sample_rate=8000, channels=2, roles=("customer", "agent")),
        language="en",
        transcript=[
            Turn("agent", 0.5, 2.1, "Thank you for calling" + text_suffix,
                 (w("Thank", 0.5, 0.8, 0.99), w("you", 0.8, 1.0, 0.97),
                  w("for", 1.0, 1.2, 0.9), w("calling", 1.2, 2.1, 0.1 + 0.2))),
            Turn("customer", 2.3, 4.0, "你好，我的订单", (w("你好，", 2.3, 3.0, 0.5),
                                                          w("我的订单", 3.0, 4.0, 1 / 3))),
            Turn("agent", 5.0, 5.5, "", ()),  # a turn with no words survives too
        ],
        segments=segments if segments is not None else [
            Segment(10.0, 17.5, "both", "dead_air", 1.0, "rule:dead_air", "7.5 s of silence"),
            Segment(20.1, 21.7, "both", "overtalk", 0.8, "rule:overtalk", "1.6 s"),
            Segment(30.0, 31.0, "agent", "forbidden_phrase", 0.95, "model:v1", "'calm down'"),
        ],
        score=CallScore(72, "medium", {"dead_air": 10, "overtalk": 8, "forbidden_phrase": 10}),
        timings_s={"decode": 0.12, "asr": 3.4},
        versions={"app": "0.1.0", "detector": "v1"},
    )


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "nested" / "reviewer.sqlite3"


@pytest.fixture
def engine(db_url):
    engine = open_database(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(db_path):
    engine = open_database(f"sqlite:///{db_path}")
    yield engine
    engine.dispose()


def count(engine: Engine, model) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


# --- database and migrations -------------------------------------------------

def test_migrated_schema_matches_models(engine):
    with engine.connect() as conn:
        assert TABLES <= set(inspect(conn).get_table_names())
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                 Base.metadata)
        assert diffs == []
        current = MigrationContext.configure(conn).get_current_revision()
    assert current == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_downgrade_to_base_and_upgrade_again(engine):
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    with engine.connect() as conn:
        assert not TABLES & set(inspect(conn).get_table_names())
    engine.dispose()
    reopened = open_database(str(engine.url))
    save_analysis(reopened, make_analysis())
    reopened.dispose()


def test_file_database_pragmas(sqlite_engine, db_path):
    assert db_path.is_file()  # parent folders were created
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_reopening_keeps_data(engine, db_url):
    save_analysis(engine, make_analysis())
    engine.dispose()
    again = open_database(db_url)
    assert load_analysis(again, SHA) == make_analysis()
    again.dispose()


def test_in_memory_database():
    engine = open_database("sqlite://")
    call_id = save_analysis(engine, make_analysis())
    assert load_analysis(engine, SHA) == make_analysis()
    assert [c.id for c in list_calls(engine)] == [call_id]


@pytest.mark.parametrize("url", [
    "not a url",
    "nosuchdialect://user:hunter2@host/db",
    "postgresql+nosuchdriver://user:hunter2@localhost/db",
])
def test_bad_url_raises_reviewer_error_with_masked_password(url):
    with pytest.raises(ReviewerError) as info:
        open_database(url)
    message = str(info.value)
    assert "\n" not in message and "hunter2" not in message
    assert ("***" in message) if "hunter2" in url else (url in message)


def test_unopenable_sqlite_file_raises_reviewer_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(ReviewerError, match="a_file"):
        open_database(f"sqlite:///{blocker / 'db.sqlite3'}")
    with pytest.raises(ReviewerError, match="cannot open database"):
        open_database(f"sqlite:///{tmp_path}")  # a folder, not a file


def test_core_storage_does_not_import_qt():
    code = ("import sys, reviewer_app.core.storage, reviewer_app.core.storage.labels; "
            "assert 'PySide6' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- repository ----------------------------------------------------------------

def test_save_then_load_round_trips_exactly(engine):
    analysis = make_analysis()
    call_id = save_analysis(engine, analysis)
    loaded = load_analysis(engine, SHA)
    assert loaded == analysis
    assert isinstance(loaded.audio.roles, tuple) and isinstance(loaded.transcript[0].words, tuple)
    assert load_analysis(engine, "00" * 32) is None

    stored = load_segments(engine, call_id)
    assert [s.segment for s in stored] == analysis.segments
    assert {(s.status, s.version, s.reviewer, s.note) for s in stored} == {
        ("predicted", 1, None, None)}
    summary = find_call(engine, SHA)
    assert summary is not None and list_calls(engine) == [summary]
    assert (summary.id, summary.sha256, summary.path, summary.duration_s) == (
        call_id, SHA, analysis.audio.path, 61.25)
    assert (summary.score_value, summary.score_grade, summary.review_status) == (
        72, "medium", "new")
    assert summary.problem_counts == {"dead_air": 1, "forbidden_phrase": 1, "overtalk": 1}
    assert summary.analysed_at.tzinfo is not None
    assert abs((datetime.now(UTC) - summary.analysed_at).total_seconds()) < 60
    assert find_call(engine, "00" * 32) is None


def test_resave_replaces_predictions_and_keeps_human_labels(engine):
    call_id = save_analysis(engine, make_analysis())
    dead_air, overtalk, forbidden = load_segments(engine, call_id)
    labels = LabelStore(engine)
    labels.confirm(dead_air.id, "ann")
    labels.reject(overtalk.id, "ann")
    added = labels.add(call_id, "ann", 40.0, 42.0, "repetition", "agent")

    new_segments = [
        Segment(10.2, 17.0, "both", "dead_air", 0.9, "rule:dead_air", "again"),  # judged: dropped
        Segment(20.0, 21.5, "both", "overtalk", 0.7, "rule:overtalk", "again"),  # judged: dropped
        Segment(50.0, 55.0, "agent", "fast_speech", 0.6, "rule:fast_speech", "240 wpm"),
    ]
    second = make_analysis(segments=new_segments, text_suffix=" today")
    second.score = CallScore(80, "high", {"fast_speech": 5})
    assert save_analysis(engine, second) == call_id

    assert count(engine, CallRow) == 1
    rows = {s.id: s for s in load_segments(engine, call_id)}
    assert rows[dead_air.id].status == "confirmed" and rows[overtalk.id].status == "rejected"
    assert rows[added].status == "added"
    assert forbidden.id not in rows  # an untouched prediction is replaced
    assert sorted(s.category for s in rows.values()) == [
        "dead_air", "fast_speech", "overtalk", "repetition"]
    loaded = load_analysis(engine, SHA)
    assert loaded.transcript == second.transcript and loaded.score == second.score
    summary = find_call(engine, SHA)
    assert summary.review_status == "in_review"  # kept, not reset to "new"
    assert summary.problem_counts == {"dead_air": 1, "fast_speech": 1, "repetition": 1}
    assert count(engine, WordRow) == 6 and count(engine, TurnRow) == 3


def test_two_calls_are_kept_apart(engine):
    a = save_analysis(engine, make_analysis())
    b = save_analysis(engine, make_analysis(sha="cd" * 32, segments=[]))
    assert a != b
    assert [c.sha256 for c in list_calls(engine)] == [SHA, "cd" * 32]
    assert load_analysis(engine, "cd" * 32).segments == []
    assert list_calls(engine)[1].problem_counts == {}


def test_failed_save_leaves_no_trace(engine):
    bad = make_analysis(segments=[
        Segment(1.0, 2.0, "both", "dead_air", 1.0, "rule", ""),
        Segment(-5.0, 2.0, "both", "dead_air", 1.0, "rule", ""),  # violates the check
    ])
    with pytest.raises(ReviewerError, match="call 01.wav"):
        save_analysis(engine, bad)
    assert find_call(engine, SHA) is None
    for model in (CallRow, TurnRow, WordRow, SegmentRow):
        assert count(engine, model) == 0


def test_failed_resave_keeps_the_previous_analysis(engine, monkeypatch):
    save_analysis(engine, make_analysis())
    before = load_analysis(engine, SHA)

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(repository, "_insert_transcript", explode)
    with pytest.raises(RuntimeError):
        save_analysis(engine, make_analysis(segments=[], text_suffix="!"))
    assert load_analysis(engine, SHA) == before
    monkeypatch.undo()
    with pytest.raises(RuntimeError):
        monkeypatch.setattr(repository, "_insert_transcript", explode)
        save_analysis(engine, make_analysis(sha="ef" * 32))
    assert find_call(engine, "ef" * 32) is None and count(engine, CallRow) == 1


# --- labels ---------------------------------------------------------------------

@pytest.fixture
def call(engine):
    call_id = save_analysis(engine, make_analysis())
    return call_id, load_segments(engine, call_id)


def only_new_event(labels: LabelStore, call_id: int, seen: int):
    events = labels.events(call_id)
    assert len(events) == seen + 1
    return events[-1]


@pytest.mark.parametrize("action,status", [("confirm", "confirmed"), ("reject", "rejected")])
def test_confirm_and_reject(engine, call, action, status):
    call_id, segs = call
    labels = LabelStore(engine)
    result = getattr(labels, action)(segs[0].id, "ann", expected_version=1)
    assert (result.status, result.reviewer, result.version) == (status, "ann", 2)
    assert result.updated_at > segs[0].updated_at
    assert load_segments(engine, call_id)[0] == result
    event = only_new_event(labels, call_id, 0)
    assert (event.action, event.reviewer, event.segment_id) == (action, "ann", segs[0].id)
    assert event.before["status"] == "predicted" and event.before["version"] == 1
    assert event.after["status"] == status and event.after["version"] == 2
    assert event.after["reviewer"] == "ann" and event.before["reviewer"] is None
    assert find_call(engine, SHA).review_status == "in_review"


def test_edit(engine, call):
    call_id, segs = call
    labels = LabelStore(engine)
    result = labels.edit(segs[1].id, "bob", start=20.5, category="dead_air", role="agent")
    assert (result.start, result.end, result.category, result.role) == (
        20.5, 21.7, "dead_air", "agent")
    assert (result.status, result.version) == ("edited", 2)
    event = only_new_event(labels, call_id, 0)
    assert event.action == "edit"
    assert {k: event.before[k] for k in ("start", "category", "role")} == {
        "start": 20.1, "category": "overtalk", "role": "both"}
    assert {k: event.after[k] for k in ("start", "end", "category", "role", "status")} == {
        "start": 20.5, "end": 21.7, "category": "dead_air", "role": "agent", "status": "edited"}


def test_add(engine, call):
    call_id, segs = call
    labels = LabelStore(engine)
    new_id = labels.add(call_id, "ann", 40.0, 42.5, "missing_closing", "agent")
    row = next(s for s in load_segments(engine, call_id) if s.id == new_id)
    assert (row.start, row.end, row.category, row.role, row.status, row.version) == (
        40.0, 42.5, "missing_closing", "agent", "added", 1)
    event = only_new_event(labels, call_id, 0)
    assert (event.action, event.segment_id, event.before) == ("add", new_id, None)
    assert event.after["status"] == "added" and event.after["start"] == 40.0
    assert Segment(40.0, 42.5, "agent", "missing_closing", 1.0, "reviewer", "") in (
        load_analysis(engine, SHA).segments)
    labels.edit(new_id, "ann", end=43.0)
    assert next(s for s in load_segments(engine, call_id) if s.id == new_id).status == "added"


def test_delete_and_restore(engine, call):
    call_id, segs = call
    labels = LabelStore(engine)
    labels.delete(segs[2].id, "ann", expected_version=1)
    assert segs[2].id not in {s.id for s in load_segments(engine, call_id)}
    assert len(load_analysis(engine, SHA).segments) == 2
    assert "forbidden_phrase" not in find_call(engine, SHA).problem_counts
    event = only_new_event(labels, call_id, 0)
    assert (event.action, event.after) == ("delete", None)
    assert event.before["category"] == "forbidden_phrase" and event.before["version"] == 1
    with pytest.raises(ReviewerError, match="already deleted"):
        labels.confirm(segs[2].id, "ann")

    restored = labels.restore(segs[2].id, "ann", expected_version=2)
    assert restored.version == 3 and restored.segment == segs[2].segment
    assert only_new_event(labels, call_id, 1).action == "restore"
    assert len(load_segments(engine, call_id)) == 3


def test_set_note(engine, call):
    call_id, segs = call
    labels = LabelStore(engine)
    result = labels.set_note(segs[0].id, "ann", "customer put on hold, fine")
    assert (result.note, result.status, result.version) == (
        "customer put on hold, fine", "predicted", 2)
    event = only_new_event(labels, call_id, 0)
    assert (event.action, event.before["note"], event.after["note"]) == (
        "note", None, "customer put on hold, fine")
    assert labels.set_note(segs[0].id, "ann", "").note is None


def test_mark_reviewed(engine, call):
    call_id, _ = call
    labels = LabelStore(engine)
    labels.mark_reviewed(call_id, "ann")
    assert find_call(engine, SHA).review_status == "reviewed"
    event = only_new_event(labels, call_id, 0)
    assert (event.action, event.segment_id, event.before, event.after) == (
        "review", None, {"review_status": "new"}, {"review_status": "reviewed"})
    assert event.at.tzinfo is not None


def test_stale_version_raises_conflict_naming_the_other_reviewer(engine, db_url, call):
    call_id, segs = call
    other_engine = open_database(db_url)
    LabelStore(other_engine).edit(segs[0].id, "bob", start=11.0, expected_version=1)
    other_engine.dispose()
    labels = LabelStore(engine)
    with pytest.raises(ConflictError) as info:
        labels.confirm(segs[0].id, "ann", expected_version=segs[0].version)
    message = str(info.value)
    assert "bob" in message and "start 10.0 -> 11.0" in message and "\n" not in message
    assert (info.value.expected, info.value.actual, info.value.other_reviewer) == (1, 2, "bob")
    assert isinstance(info.value, ReviewerError)
    assert load_segments(engine, call_id)[0].status == "edited"  # nothing overwritten
    assert len(labels.events(call_id)) == 1
    for method, kwargs in [("reject", {}), ("delete", {}), ("set_note", {"note": "x"}),
                           ("edit", {"end": 12.0})]:
        with pytest.raises(ConflictError):
            getattr(labels, method)(segs[0].id, "ann", expected_version=1, **kwargs)
    assert labels.confirm(segs[0].id, "ann", expected_version=2).version == 3


@pytest.mark.parametrize("kwargs,match", [
    ({"category": "rudeness"}, "unknown category 'rudeness'"),
    ({"role": "supervisor"}, "unknown role 'supervisor'"),
    ({"start": -1.0}, r"segment \d+ of call \d+: bad bounds -1.0..17.5"),
    ({"start": 18.0}, "bad bounds"),  # after the end (17.5)
    ({"end": 10.0}, "bad bounds"),  # equal to the start
    ({"end": float("nan")}, "bad bounds"),
    ({"end": 1e308}, r"ends at .* s, past the call's end"),
    ({}, "give start, end, category or role"),
])
def test_bad_edit_is_refused(engine, call, kwargs, match):
    call_id, segs = call
    labels = LabelStore(engine)
    with pytest.raises(ReviewerError, match=match):
        labels.edit(segs[0].id, "ann", **kwargs)
    assert load_segments(engine, call_id)[0] == segs[0] and labels.events(call_id) == []


def test_bad_label_inputs_are_refused(engine, call):
    call_id, segs = call
    labels = LabelStore(engine)
    with pytest.raises(ReviewerError, match="unknown category"):
        labels.add(call_id, "ann", 1.0, 2.0, "nope", "agent")
    with pytest.raises(ReviewerError, match=f"new segment on call {call_id}: bad bounds 3.0..2.0"):
        labels.add(call_id, "ann", 3.0, 2.0, "dead_air", "agent")
    with pytest.raises(ReviewerError, match="past the call's end"):
        labels.add(call_id, "ann", 100.0, 200.0, "dead_air", "agent")
    with pytest.raises(ReviewerError, match="call 999 does not exist"):
        labels.add(999, "ann", 1.0, 2.0, "dead_air", "agent")
    with pytest.raises(ReviewerError, match="segment 999 does not exist"):
        labels.confirm(999, "ann")
    with pytest.raises(ReviewerError, match="reviewer name"):
        labels.confirm(segs[0].id, "  ")
    with pytest.raises(ReviewerError, match="not deleted"):
        labels.restore(segs[0].id, "ann")
    with pytest.raises(ReviewerError, match="call 999 does not exist"):
        labels.mark_reviewed(999, "ann")
    assert labels.events(call_id) == [] and len(load_segments(engine, call_id)) == 3


# --- several processes ------------------------------------------------------------

def test_two_engines_write_the_same_database_without_lock_errors(db_url):
    first, second = open_database(db_url), open_database(db_url)
    call_id = save_analysis(first, make_analysis())
    seg_id = load_segments(first, call_id)[0].id
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(engine: Engine, name: str, n: int) -> None:
        labels = LabelStore(engine)
        try:
            start.wait()
            for i in range(25):
                labels.set_note(seg_id, name, f"{name} {i}")  # read-then-write on one row
                save_analysis(engine, make_analysis(sha=f"{n:02d}{i:02d}".ljust(64, "0")))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(e, name, n))
               for n, (e, name) in enumerate([(first, "ann"), (second, "bob")])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert count(first, CallRow) == 51
    assert load_segments(second, call_id)[0].version == 51
    assert count(second, LabelEventRow) == 50
    if first.dialect.name == "sqlite":
        with first.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    first.dispose()
    second.dispose()


def test_frozen_results(engine, call):
    _, segs = call
    with pytest.raises(dataclasses.FrozenInstanceError):
        segs[0].status = "confirmed"  # type: ignore[misc]
