"""A re-analysis (`analyze --force`, the re-score after a promotion, re-running the rules) never
overwrites a reviewer's work: corrected turns and human labels stay, what the new ASR heard
differently is reported, a killed re-analysis loses nothing. SQLite and PostgreSQL, real audio.
"""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import replace

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from reviewer_app.core.domain import Segment, Turn, Word
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.core.storage.models import SegmentRow, TurnRow
from reviewer_app.core.storage.repository import (
    find_call,
    load_analysis,
    load_segments,
    save_analysis,
    save_analysis_report,
)
from tests.conftest import FIXTURES, ROOT
from tests.core.test_storage import SHA, make_analysis

CALL = FIXTURES / "call_basic.wav"
PATH = "/calls/2024/call 01.wav"  # make_analysis's audio path
REVIEWED_WORDS = (Word("Thanks", 0.5, 0.9, 1.0), Word("for", 0.9, 1.2, 1.0), Word("calling", 1.2, 1.7, 1.0),
                  Word("Acme", 1.7, 2.1, 1.0))


@pytest.fixture
def engine(db_url):
    engine = open_database(db_url)
    yield engine
    engine.dispose()


def _edit_first_turn(engine) -> int:
    call_id = save_analysis(engine, make_analysis())
    LabelStore(engine).edit_turn_text(call_id, 0, "Thanks for calling Acme", list(REVIEWED_WORDS), "ann",
                                      expected_text="Thank you for calling")
    return call_id


# --- transcript corrections ---------------------------------------------------------

def test_a_corrected_turn_survives_reanalysis_and_the_disagreement_is_reported(engine):
    call_id = _edit_first_turn(engine)
    audit = LabelStore(engine).events(call_id)
    again = make_analysis(text_suffix=" today")  # the new ASR hears the turn differently
    again.transcript.insert(0, Turn("customer", 0.0, 0.4, "hello?", ()))  # and one turn more, before it

    saved = save_analysis_report(engine, again)

    stored = load_analysis(engine, SHA).transcript
    assert [t.text for t in stored] == ["hello?", "Thanks for calling Acme", "你好，我的订单", ""]
    assert stored[1] == Turn("agent", 0.5, 2.1, "Thanks for calling Acme", REVIEWED_WORDS)
    assert saved.transcript == stored and saved.kept_turns == 1
    assert saved.warnings == [f"{PATH}: turn 1 (agent 0.5 s): kept ann's text 'Thanks for calling Acme'; "
                              "the new ASR heard 'Thank you for calling'"]
    assert saved.applied_to(again).warnings == saved.warnings
    assert LabelStore(engine).events(call_id) == audit  # the audit log is the reviewer's, untouched

    # renumbered to turn 1, the correction is still known as one: a third analysis keeps it too
    third = save_analysis_report(engine, make_analysis(text_suffix=" today"))
    assert [t.text for t in load_analysis(engine, SHA).transcript][:1] == ["Thanks for calling Acme"]
    assert third.warnings == [f"{PATH}: turn 0 (agent 0.5 s): kept ann's text 'Thanks for calling Acme'; "
                              "the new ASR heard 'Thank you for calling'"]
    with Session(engine) as s:
        marks = s.execute(select(TurnRow.turn_index, TurnRow.edited_by).where(TurnRow.edited_by.is_not(None))).all()
    assert marks == [(0, "ann")]


def test_new_speech_around_a_corrected_turn_is_kept_as_turns_of_its_own(engine):
    _edit_first_turn(engine)  # agent 0.5-2.1 s: "Thanks for calling Acme"
    w = Word
    again = make_analysis()
    again.transcript[0] = Turn("agent", 0.0, 4.0, "Hello. Thank you for calling. How can I help?", (
        w("Hello.", 0.0, 0.4, 0.9), w("Thank", 0.5, 0.8, 0.9), w("you", 0.8, 1.0, 0.9), w("for", 1.0, 1.2, 0.9),
        w("calling.", 1.2, 2.0, 0.9), w("How", 2.6, 2.9, 0.9), w("can", 2.9, 3.1, 0.9), w("I", 3.1, 3.3, 0.9),
        w("help?", 3.3, 4.0, 0.9)))
    saved = save_analysis_report(engine, again)
    stored = load_analysis(engine, SHA).transcript
    assert [(t.role, t.start, t.end, t.text) for t in stored] == [
        ("agent", 0.0, 0.4, "Hello."), ("agent", 0.5, 2.1, "Thanks for calling Acme"),
        ("customer", 2.3, 4.0, "你好，我的订单"), ("agent", 2.6, 4.0, "How can I help?"),
        ("agent", 5.0, 5.5, "")]
    assert stored[3].words == again.transcript[0].words[5:]
    assert saved.warnings == [f"{PATH}: turn 1 (agent 0.5 s): kept ann's text 'Thanks for calling Acme'; "
                              "the new ASR heard 'Thank you for calling.'"]


def test_no_warning_when_the_new_asr_agrees_and_one_when_it_heard_nothing(engine):
    _edit_first_turn(engine)
    agrees = make_analysis()
    agrees.transcript[0] = replace(agrees.transcript[0], text="thanks, for calling ACME!", words=tuple(
        replace(w, word=word) for w, word in zip(REVIEWED_WORDS, ["thanks,", "for", "calling", "ACME!"])))
    assert save_analysis_report(engine, agrees).warnings == []
    assert load_analysis(engine, SHA).transcript[0].text == "Thanks for calling Acme"

    silent = make_analysis()
    del silent.transcript[0]
    saved = save_analysis_report(engine, silent)
    assert saved.warnings == [f"{PATH}: turn 0 (agent 0.5 s): kept ann's text 'Thanks for calling Acme'; "
                              "the new ASR heard nothing there"]
    stored = [t.text for t in load_analysis(engine, SHA).transcript]
    assert stored == ["Thanks for calling Acme", "你好，我的订单", ""]


def test_a_correction_committed_while_a_reanalysis_waits_for_it_is_kept(engine):
    """The reviewer's transaction holds the turn when the re-analysis starts: it waits, then keeps it."""
    from reviewer_app.core.storage.db import writer

    call_id = save_analysis(engine, make_analysis())
    done: dict[str, object] = {}
    worker = threading.Thread(target=lambda: done.setdefault(
        "saved", save_analysis_report(engine, make_analysis(text_suffix=" today"))))
    with writer(engine).connect() as conn:
        tx = conn.begin()  # as LabelStore.edit_turn_text does it: lock the turn, write it, commit
        conn.execute(select(TurnRow.id).where(TurnRow.call_id == call_id, TurnRow.turn_index == 0)
                     .with_for_update())
        conn.execute(update(TurnRow).where(TurnRow.call_id == call_id, TurnRow.turn_index == 0)
                     .values(text="Thanks for calling Acme", edited_by="ann"))
        worker.start()
        time.sleep(1.0)
        assert worker.is_alive() and "saved" not in done  # waiting for the reviewer
        tx.commit()
    worker.join(30)
    assert [t.text for t in load_analysis(engine, SHA).transcript][:1] == ["Thanks for calling Acme"]
    assert done["saved"].warnings == [f"{PATH}: turn 0 (agent 0.5 s): kept ann's text "
                                      "'Thanks for calling Acme'; the new ASR heard 'Thank you for calling'"]


def test_a_turn_corrected_before_this_version_is_found_by_the_migration(db_url):
    """Libraries made before turns carried `edited_by`: the audit log names the corrected turn."""
    from sqlalchemy import make_url

    from reviewer_app.core.storage.db import _create_engine, upgrade

    old = _create_engine(make_url(db_url))
    upgrade(old, "0002")
    with old.begin() as c:
        c.execute(text(
            "INSERT INTO calls (id, sha256, path, duration_s, sample_rate, channels, roles, language, score_value,"
            " score_grade, deductions, timings, versions, review_status, analysed_at, created_at, updated_at)"
            " VALUES (1, :sha, '/a.wav', 60, 8000, 2, '[]', 'en', 90, 'high', '{}', '{}', '{}', 'in_review',"
            " :now, :now, :now)"), {"sha": SHA, "now": "2026-01-01 00:00:00"})
        for i, words in enumerate(["hello there", "corrected text", "replaced by asr later"]):
            c.execute(text("INSERT INTO turns (call_id, turn_index, role, start, \"end\", text)"
                           " VALUES (1, :i, 'agent', :i, :e, :t)"), {"i": i, "e": i + 0.5, "t": words})
        for i, after in enumerate(['{"turn_index": 1, "text": "corrected text"}',
                                   '{"turn_index": 2, "text": "an edit a re-analysis overwrote"}']):
            c.execute(text("INSERT INTO label_events (call_id, reviewer, at, action, before, after)"
                           " VALUES (1, 'ann', :now, 'turn_edit', NULL, :after)"),
                      {"now": "2026-01-01 00:00:00", "after": after})
    old.dispose()
    engine = open_database(db_url)
    with Session(engine) as s:
        marks = s.execute(select(TurnRow.turn_index, TurnRow.edited_by).order_by(TurnRow.turn_index)).all()
    assert marks == [(0, None), (1, "ann"), (2, None)]
    engine.dispose()


# --- labels ------------------------------------------------------------------------------

def test_human_labels_survive_and_judged_findings_are_not_duplicated(engine):
    first = [
        Segment(10.0, 17.5, "both", "dead_air", 1.0, "rule:dead_air", ""),  # confirmed
        Segment(20.1, 21.7, "agent", "overtalk", 0.8, "rule:overtalk", ""),  # rejected
        Segment(30.0, 31.0, "agent", "forbidden_phrase", 0.9, "model:v1", ""),  # edited to negative_emotion
        Segment(40.0, 41.0, "agent", "fast_speech", 0.6, "rule:fast_speech", ""),  # a note only
        Segment(45.0, 46.0, "customer", "repetition", 0.6, "rule:repetition", ""),  # deleted
        Segment(50.0, 52.0, "agent", "overtalk", 0.6, "rule:overtalk", ""),  # untouched
    ]
    call_id = save_analysis(engine, make_analysis(segments=first))
    confirmed, rejected, edited, noted, deleted, untouched = load_segments(engine, call_id)
    store = LabelStore(engine)
    store.confirm(confirmed.id, "ann")
    store.reject(rejected.id, "ann")
    store.edit(edited.id, "ann", category="negative_emotion", start=29.5)
    store.set_note(noted.id, "ann", "fine for this customer")
    store.delete(deleted.id, "ann")
    added = store.add(call_id, "ann", 59.0, 61.0, "forbidden_phrase", "agent")  # inside the 61.25 s call
    human = {s.id: s for s in load_segments(engine, call_id) if s.id != untouched.id}

    new = [
        Segment(10.5, 17.0, "both", "dead_air", 0.9, "rule:dead_air", "again"),
        Segment(20.0, 21.5, "agent", "overtalk", 0.9, "rule:overtalk", "again"),
        Segment(20.0, 21.5, "customer", "overtalk", 0.9, "rule:overtalk", "the other side"),  # kept: role
        Segment(30.2, 30.8, "agent", "forbidden_phrase", 0.9, "model:v2", "as before the edit"),
        Segment(29.6, 30.5, "agent", "negative_emotion", 0.9, "model:v2", "as the reviewer has it"),
        Segment(40.2, 40.8, "agent", "fast_speech", 0.9, "rule:fast_speech", "again"),
        Segment(45.0, 46.0, "customer", "repetition", 0.9, "rule:repetition", "deleted by ann"),
        Segment(50.5, 51.5, "agent", "overtalk", 0.7, "rule:overtalk", "the new one"),
        Segment(60.5, 61.2, "agent", "forbidden_phrase", 0.9, "rule:forbidden_phrase", "added by ann"),
    ]
    saved = save_analysis_report(engine, make_analysis(segments=new))

    assert (saved.kept_labels, saved.dropped_findings) == (6, 7)
    after = {s.id: s for s in load_segments(engine, call_id)}
    for seg_id, before in human.items():
        assert after.pop(seg_id) == before  # status, bounds, note, version: exactly as the reviewer left them
    assert untouched.id not in after
    assert sorted((s.category, s.role, s.start, s.status) for s in after.values()) == [
        ("overtalk", "agent", 50.5, "predicted"), ("overtalk", "customer", 20.0, "predicted")]
    assert added in human and human[added].status == "added"
    with Session(engine) as s:  # the deleted one is still there, deleted
        assert s.get(SegmentRow, deleted.id).deleted_at is not None
        assert s.scalar(select(func.count()).select_from(SegmentRow)) == 8
    assert find_call(engine, SHA).review_status == "in_review"


def test_a_label_committed_while_a_reanalysis_waits_for_it_is_kept(engine):
    from reviewer_app.core.storage.db import writer

    call_id = save_analysis(engine, make_analysis())
    dead_air = load_segments(engine, call_id)[0]
    done: dict[str, object] = {}
    worker = threading.Thread(target=lambda: done.setdefault("saved", save_analysis_report(engine, make_analysis())))
    with writer(engine).connect() as conn:
        tx = conn.begin()  # as LabelStore.confirm does it: lock the segment, write it, commit
        conn.execute(select(SegmentRow.id).where(SegmentRow.id == dead_air.id).with_for_update())
        conn.execute(update(SegmentRow).where(SegmentRow.id == dead_air.id)
                     .values(status="confirmed", reviewer="ann", version=2))
        worker.start()
        time.sleep(1.0)
        assert worker.is_alive() and "saved" not in done
        tx.commit()
    worker.join(30)
    rows = load_segments(engine, call_id)
    assert [(s.category, s.status) for s in rows if s.category == "dead_air"] == [("dead_air", "confirmed")]
    assert [s.id for s in rows if s.category == "dead_air"] == [dead_air.id]


# --- the re-score after `models promote` / `rollback` --------------------------------------

def test_the_rescore_keeps_corrections_on_a_call_set_back_to_new(engine):
    from reviewer_app.core.pipeline import run_to_end
    from reviewer_app.core.settings import Settings
    from reviewer_app.core.training.rescore import rescore_unreviewed
    from tests.core.test_training_support import analysis_without_asr

    analysis = analysis_without_asr(CALL)  # real audio, its script as the transcript
    call_id = save_analysis(engine, analysis)
    store = LabelStore(engine)
    turn = analysis.transcript[0]
    store.edit_turn_text(call_id, 0, "Corrected by the reviewer", [], "ann", expected_text=turn.text)
    first = load_segments(engine, call_id)[0]
    confirmed = store.confirm(first.id, "ann")
    store.set_review_status(call_id, "ann", "new")  # back in the queue: the re-score takes it

    report = run_to_end(rescore_unreviewed(engine, Settings()))

    assert report.rescored == 1 and not report.skipped
    stored = load_analysis(engine, analysis.audio.sha256)
    assert stored.transcript[0] == Turn(turn.role, turn.start, turn.end, "Corrected by the reviewer", ())
    assert {s.id: s for s in load_segments(engine, call_id)}[first.id] == confirmed
    same = [s for s in load_segments(engine, call_id)
            if s.category == first.category and s.start < first.end and first.start < s.end]
    assert [s.id for s in same] == [first.id]  # the rules found it again: not duplicated


# --- a killed re-analysis --------------------------------------------------------------------

RESAVER = textwrap.dedent("""
    import sys
    from dataclasses import replace
    from reviewer_app.core.domain import Turn
    from reviewer_app.core.storage.db import open_database
    from reviewer_app.core.storage.repository import save_analysis_report
    from tests.core.test_training_support import analysis_without_asr
    from tests.conftest import FIXTURES

    engine = open_database(sys.argv[1])
    base = analysis_without_asr(FIXTURES / "call_basic.wav")
    n = 0
    while True:  # re-analysis after re-analysis: another ASR text and other findings each time
        n += 1
        transcript = [replace(t, text=f"{t.text} (run {n})") for t in base.transcript]
        transcript += [Turn("agent", 30.0 + k, 30.5 + k, f"extra {n}.{k}", ()) for k in range(n % 7)]
        segments = base.segments[: n % (len(base.segments) + 1)]
        save_analysis_report(engine, replace(base, transcript=transcript, segments=segments))
        print(f"saved {n}", flush=True)
""")


def test_killing_a_reanalysis_loses_no_reviewer_work(db_url, tmp_path, app_env):
    from tests.core.test_training_support import analysis_without_asr

    engine = open_database(db_url)
    analysis = analysis_without_asr(CALL)
    call_id = save_analysis(engine, analysis)
    store = LabelStore(engine)
    store.edit_turn_text(call_id, 1, "Corrected by the reviewer", [], "ann")
    segments = load_segments(engine, call_id)
    store.confirm(segments[0].id, "ann")
    store.reject(segments[1].id, "ann")
    store.add(call_id, "ann", 1.0, 2.0, "overtalk", "agent", note="added by ann")
    human = {s.id: s for s in load_segments(engine, call_id) if s.status != "predicted"}
    corrected = load_analysis(engine, analysis.audio.sha256).transcript[1]

    script = tmp_path / "resaver.py"
    script.write_text(RESAVER)
    proc = subprocess.Popen([sys.executable, str(script), db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env={**app_env, "PYTHONPATH": str(ROOT)})
    saved = 0
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        saved = int(line.split()[1])
        if saved >= 25 or time.monotonic() > deadline:
            time.sleep(0.003 * (saved % 5))  # somewhere inside the next save's transaction
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert saved >= 25, proc.stderr.read()[-2000:]

    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    stored = load_analysis(engine, analysis.audio.sha256)
    assert [t for t in stored.transcript if t.text == corrected.text] == [corrected]
    runs = {m.group(1) for t in stored.transcript if (m := re.search(r"\(run (\d+)\)$", t.text))}
    assert len(runs) == 1 and int(runs.pop()) >= saved  # one whole analysis, the last committed or the next
    now = {s.id: s for s in load_segments(engine, call_id)}
    assert all(now[i] == s for i, s in human.items())
    engine.dispose()


# --- the command line: analyze, correct, analyze --force ------------------------------------

def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reviewer_app", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600)


def test_analyze_force_keeps_corrections_and_labels_and_prints_the_disagreement(db_url, tmp_path, app_env):
    common = ["--asr-model", "tiny.en", "--language", "en", "--db", db_url]
    first = _run(["analyze", str(CALL), *common], app_env)
    assert first.returncode == 0, first.stderr[-2000:]
    engine = open_database(db_url)
    sha = _sha(CALL)
    call_id = find_call(engine, sha).id
    asr = load_analysis(engine, sha)
    index, turn = max(enumerate(asr.transcript), key=lambda it: (it[1].role == "agent", len(it[1].text)))
    store = LabelStore(engine)
    store.edit_turn_text(call_id, index, "Corrected by the reviewer", [], "tester", expected_text=turn.text)
    segs = load_segments(engine, call_id)
    assert len(segs) >= 2, segs
    store.confirm(segs[0].id, "tester")
    store.reject(segs[1].id, "tester")
    store.add(call_id, "tester", 3.0, 4.5, "repetition", "customer")
    human = {s.id: s for s in load_segments(engine, call_id) if s.status != "predicted"}
    audit = store.events(call_id)

    again = _run(["analyze", str(CALL), "--force", "--out", str(tmp_path / "out"), *common], app_env)

    assert again.returncode == 0, again.stderr[-2000:]
    warning = (f"warning: {CALL}: turn {{}} ({turn.role} {turn.start:.1f} s): "
               "kept tester's text 'Corrected by the reviewer'; the new ASR heard '")
    lines = [line for line in again.stderr.splitlines() if "kept tester's text" in line]
    assert len(lines) == 1 and re.fullmatch(re.escape(warning).replace(r"\{\}", r"\d+") + r".+'", lines[0]), \
        again.stderr[-2000:]
    stored = load_analysis(engine, sha)
    kept = [t for t in stored.transcript if t.text == "Corrected by the reviewer"]
    assert kept == [Turn(turn.role, turn.start, turn.end, "Corrected by the reviewer", ())]
    rivals = [t for t in stored.transcript if t.role == turn.role and t.start < turn.end and turn.start < t.end]
    assert rivals == kept  # the new ASR's version of that speech is not stored beside it
    now = {s.id: s for s in load_segments(engine, call_id)}
    assert all(now[i] == s for i, s in human.items())
    for s in now.values():  # no new finding on top of a judged one (same category and role)
        if s.id not in human:
            assert not any(h.category == s.category and h.role == s.role and h.start < s.end and s.start < h.end
                           for h in human.values()), s
    assert store.events(call_id) == audit
    out = json.loads((tmp_path / "out" / "call_basic.json").read_text())
    assert "Corrected by the reviewer" in [t["text"] for t in out["transcript"]]
    assert any("kept tester's text" in w for w in out["warnings"])
    engine.dispose()


def _sha(path) -> str:
    from reviewer_app.core.audio.decode import sha256_of_file

    return sha256_of_file(path)
