"""The score of record: once a reviewer judges a call its stored score is that of the reviewed labels,
written in the label change's transaction, with the detector's score beside it; every reader shows it."""
from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from reviewer_app.core.exchange import csv_export, export_library
from reviewer_app.core.reports.scorecard import build_scorecard, write_scorecard_pdf
from reviewer_app.core.scoring import score_call
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.core.storage.models import CallRow
from reviewer_app.core.storage.repository import find_call, list_calls, load_segments, save_analysis
from reviewer_app.core.team.queue import review_queue
from tests.core.test_storage import SHA, make_analysis


@pytest.fixture
def engine(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    yield engine
    engine.dispose()


def _stored(engine, call_id):
    with Session(engine) as s:
        row = s.get(CallRow, call_id)
        return row.score_value, row.score_grade, row.detector_score, row.score_source


@pytest.fixture
def call_id(engine):
    analysis = make_analysis()
    analysis = dataclasses.replace(analysis, score=score_call(analysis.segments, Settings().score))
    return save_analysis(engine, analysis)


def test_reject_and_confirm_change_the_stored_score(engine, call_id):
    assert _stored(engine, call_id) == (80, "medium", 80, "detector")  # 100 - 4 - 2 - 14
    by_cat = {s.category: s for s in load_segments(engine, call_id)}
    store = LabelStore(engine)
    store.reject(by_cat["forbidden_phrase"].id, "ana")
    assert _stored(engine, call_id) == (94, "high", 80, "reviewed")
    store.confirm(by_cat["dead_air"].id, "ana")
    assert _stored(engine, call_id) == (94, "high", 80, "reviewed")
    store.add(call_id, "ana", 40.0, 42.0, "negative_emotion", "agent")
    assert _stored(engine, call_id) == (89, "high", 80, "reviewed")
    summary = find_call(engine, SHA)
    assert summary.score_text == "detector 80 → reviewed 89"
    # filtered and sorted in SQL
    assert [c.id for c in list_calls(engine, max_score=89)] == [call_id]
    assert list_calls(engine, max_score=88) == []


def test_a_failed_change_leaves_the_score(engine, call_id):
    seg = load_segments(engine, call_id)[0]
    store = LabelStore(engine)
    store.reject(seg.id, "ana")
    before = _stored(engine, call_id)
    with pytest.raises(Exception):
        store.confirm(seg.id, "bob", expected_version=1)  # stale
    assert _stored(engine, call_id) == before


def test_exports_and_scorecard_carry_both_numbers(engine, call_id, tmp_path):
    forbidden = next(s for s in load_segments(engine, call_id) if s.category == "forbidden_phrase")
    LabelStore(engine).reject(forbidden.id, "ana")
    [row] = csv_export.read_rows(export_library(engine, "csv", tmp_path / "csv")[0])
    assert (row["score"], row["detector_score"], row["score_source"]) == ("94", "80", "reviewed")
    [js] = export_library(engine, "json", tmp_path / "json")
    data = json.loads(js.read_text())
    assert data["score"]["value"] == 94 and data["detector_score"]["value"] == 80
    [ls] = [p for p in export_library(engine, "labelstudio", tmp_path / "ls") if p.suffix == ".json"]
    task = json.loads(ls.read_text())[0]["data"]
    assert (task["score"], task["detector_score"]) == (94, 80)
    card = build_scorecard(engine, call_id)
    assert (card.score.value, card.detector_score.value) == (94, 80)
    queue = review_queue(engine, "lowest", limit=5)
    assert f"score 94" in queue[0].reason
    if shutil.which("pdftotext"):
        pdf = write_scorecard_pdf(card, tmp_path / "card.pdf")
        out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "94" in out and "detector's score: 80" in out


def test_reanalysis_keeps_the_reviewed_score(engine, call_id):
    forbidden = next(s for s in load_segments(engine, call_id) if s.category == "forbidden_phrase")
    LabelStore(engine).reject(forbidden.id, "ana")
    analysis = make_analysis()
    save_analysis(engine, dataclasses.replace(analysis, score=score_call(analysis.segments, Settings().score)))
    assert _stored(engine, call_id) == (94, "high", 80, "reviewed")


def test_migration_0005_backfills_detector_and_reviewed_scores(tmp_path):
    from sqlalchemy import make_url

    from reviewer_app.core.storage.db import _create_engine, upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = _create_engine(make_url(url))
    upgrade(old, "0004")
    now = "2026-01-01 00:00:00"
    with old.begin() as c:
        for call_id, status in ((1, "new"), (2, "in_review")):
            c.execute(text(
                "INSERT INTO calls (id, sha256, path, duration_s, sample_rate, channels, roles, language,"
                " score_value, score_grade, deductions, timings, versions, review_status, analysed_at, created_at,"
                " updated_at) VALUES (:id, :sha, '/a.wav', 60, 8000, 2, '[]', 'en', 81, 'medium',"
                " '{\"dead_air\": 4, \"forbidden_phrase\": 15}', '{}', '{}', :st, :now, :now, :now)"),
                {"id": call_id, "sha": str(call_id) * 64, "now": now, "st": status})
            for i, (category, st) in enumerate([("dead_air", "confirmed"), ("forbidden_phrase", "rejected")]):
                c.execute(text(
                    "INSERT INTO segments (call_id, start, \"end\", role, category, score, source, evidence, status,"
                    " version, created_at, updated_at) VALUES (:c, :s, :e, 'both', :cat, 1.0, 'rule:x', '', :st, 1,"
                    " :now, :now)"), {"c": call_id, "s": i, "e": i + 0.5, "cat": category, "st": st, "now": now})
    old.dispose()
    engine = open_database(url)
    calls = {c.id: c for c in list_calls(engine)}
    assert (calls[1].score_value, calls[1].detector_score, calls[1].score_source) == (81, 81, "detector")
    assert (calls[2].score_value, calls[2].detector_score, calls[2].score_source) == (96, 81, "reviewed")
    with Session(engine) as s:
        assert s.scalars(select(CallRow.score_value).order_by(CallRow.score_value)).all() == [81, 96]
    engine.dispose()


# --- history: revert an audit entry ------------------------------------------------------------

def test_revert_puts_back_what_one_entry_changed_and_is_audited(engine, call_id):
    store = LabelStore(engine)
    by_cat = {s.category: s for s in load_segments(engine, call_id)}
    store.reject(by_cat["forbidden_phrase"].id, "ana")
    store.edit(by_cat["dead_air"].id, "ana", start=11.0, category="negative_emotion")
    added = store.add(call_id, "ana", 40.0, 42.0, "repetition", "agent")
    reject, edit, add = store.events(call_id)
    assert _stored(engine, call_id)[0] != 80
    # a second store, as after a restart or another reviewer: only the database is shared
    other = LabelStore(engine)
    rev = other.revert(reject.id, "bob")
    assert (rev.action, rev.reviewer, rev.after["reverts"]) == ("revert", "bob", reject.id)
    segs = {s.id: s for s in load_segments(engine, call_id)}
    assert segs[by_cat["forbidden_phrase"].id].status == "predicted"
    other.revert(edit.id, "bob")
    dead = {s.id: s for s in load_segments(engine, call_id)}[by_cat["dead_air"].id]
    assert (dead.start, dead.category, dead.status) == (10.0, "dead_air", "predicted")
    other.revert(add.id, "bob")
    assert added not in {s.id for s in load_segments(engine, call_id)}
    assert [e.action for e in store.events(call_id)] == ["reject", "edit", "add", "revert", "revert", "revert"]
    # every change undone: the reviewed labels are the detector's again
    assert _stored(engine, call_id)[:3] == (80, "medium", 80)
    # reverting the revert of the add brings the segment back (same id)
    other.revert(store.events(call_id)[-1].id, "ana")
    assert added in {s.id for s in load_segments(engine, call_id)}


def test_revert_of_a_change_changed_since_is_a_conflict(engine, call_id):
    from reviewer_app.core.storage.labels import ConflictError

    store = LabelStore(engine)
    seg = load_segments(engine, call_id)[0]
    store.reject(seg.id, "ana")
    store.confirm(seg.id, "bob")
    first = store.events(call_id)[0]
    with pytest.raises(ConflictError, match="bob"):
        store.revert(first.id, "ana")
    with pytest.raises(ConflictError):  # the version the caller saw is checked too
        store.revert(store.events(call_id)[-1].id, "ana", expected_version=2)
    assert len(store.events(call_id)) == 2  # nothing written


def test_revert_of_review_status_and_turn_text(engine, call_id):
    from reviewer_app.core.domain import Word
    from reviewer_app.core.storage.repository import load_analysis

    store = LabelStore(engine)
    store.mark_reviewed(call_id, "ana")
    store.edit_turn_text(call_id, 0, "Thanks for calling", [Word("Thanks", 0.5, 1.0, 1.0)], "ana")
    review, turn = store.events(call_id)
    store.revert(turn.id, "bob")
    assert load_analysis(engine, SHA).transcript[0].text == "Thank you for calling"
    assert [w.word for w in load_analysis(engine, SHA).transcript[0].words] == ["Thank", "you", "for", "calling"]
    store.revert(review.id, "bob")
    assert find_call(engine, SHA).review_status == "new"  # as before it was marked reviewed
    assert _stored(engine, call_id)[3] == "detector"


def test_history_lines_say_who_changed_what_from_what_to_what(engine, call_id):
    from reviewer_app.core.review.history import history_lines

    store = LabelStore(engine)
    by_cat = {s.category: s for s in load_segments(engine, call_id)}
    store.reject(by_cat["forbidden_phrase"].id, "ana")
    store.edit(by_cat["dead_air"].id, "ana", start=11.0)
    store.add(call_id, "ana", 40.0, 42.0, "repetition", "agent")
    store.revert(store.events(call_id)[0].id, "bob")
    lines = history_lines(store.events(call_id))
    assert [ln.reviewer for ln in lines] == ["bob", "ana", "ana", "ana"]
    assert lines[0].what.startswith("Revert of #") and "rejected → predicted" in lines[0].what
    assert lines[1].what.endswith("repetition: added 0:40.0–0:42.0")
    assert "status predicted → edited; start 0:10.0 → 0:11.0" in lines[2].what
    assert "forbidden_phrase: status predicted → rejected" in lines[3].what
    assert all(ln.revertible for ln in lines)


def test_quality_counts_every_poor_audio_finding_the_reviewer_sees(engine):
    from reviewer_app.core.domain import Segment
    from reviewer_app.core.team.quality import rank_clips

    segs = [Segment(1.0, 11.0, "agent", "poor_audio", 0.9, "rule:poor_audio", "saturation: 3% of samples near the peak"),
            Segment(20.0, 30.0, "agent", "poor_audio", 0.8, "rule:poor_audio", "crackle: 12 clicks a second"),
            Segment(40.0, 50.0, "customer", "poor_audio", 0.93, "model:v3", ""),
            Segment(55.0, 56.0, "agent", "poor_audio", 0.9, "rule:poor_audio", "dropout: 0.40 s of digital silence")]
    analysis = make_analysis(segments=segs)
    call_id = save_analysis(engine, dataclasses.replace(analysis, score=score_call(segs, Settings().score)))
    [clip] = rank_clips(engine)
    assert clip.clipping_share == pytest.approx(10 / 61.25) and clip.noise_share == pytest.approx(20 / 61.25)
    assert clip.dropouts == 1 and clip.grade != "high" and clip.score < 60
    # a finding the reviewer rejected does not count
    LabelStore(engine).reject(next(s.id for s in load_segments(engine, call_id) if s.start == 1.0), "ana")
    [after] = rank_clips(engine)
    assert after.clipping_share == 0 and after.score > clip.score
