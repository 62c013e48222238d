"""Label files: validation, import by content hash, idempotence, and the export/import round trip."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange import import_label_file as import_labels
from reviewer_app.core.labels_io import export_labels, read_label_file
from reviewer_app.core.pipeline import run_to_end
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.labels import LabelStore
from tests.conftest import FIXTURES
from tests.core.test_training_support import (  # noqa: F401  (the fixture is autouse)
    _private_feature_cache,
    build_library,
)

BASIC = FIXTURES / "call_basic.wav"
MONO = FIXTURES / "call_noisy_mono.wav"


@pytest.mark.parametrize("entry, message", [
    ({"start": 1, "end": 2}, "needs an 'audio' path"),
    ({"audio": "x.wav", "start": 1, "end": 2, "category": "shouting", "status": "added"}, "category 'shouting'"),
    ({"audio": "x.wav", "start": 1, "end": 2, "category": "dead_air", "status": "maybe"}, "status 'maybe'"),
    ({"audio": "x.wav", "start": 2, "end": 1, "category": "dead_air", "status": "added"}, "end 1 is before start 2"),
    ({"audio": "x.wav", "start": "nan", "end": 1, "category": "dead_air", "status": "added"}, "not a finite time"),
    ({"audio": "x.wav", "start": [1], "end": 2, "category": "dead_air", "status": "added"}, "start [1] is not a number"),
    ({"audio": "x.wav", "start": 1, "end": 2, "category": "dead_air", "status": "added", "role": "boss"},
     "role 'boss'"),
    ({"audio": "x.wav", "reviewed": False}, '"reviewed": true'),
    ({"audio": "x.wav", "start": 1, "end": 2, "category": "dead_air", "status": "added", "who": "me"},
     "unknown keys"),
])
def test_a_bad_entry_is_named(tmp_path, entry, message):
    path = tmp_path / "labels.json"
    path.write_text(json.dumps([{"audio": "ok.wav", "reviewed": True}, entry]))
    with pytest.raises(ReviewerError) as err:
        read_label_file(path)
    assert "entry 2" in str(err.value) and message in str(err.value) and str(path) in str(err.value)


def test_relative_audio_is_relative_to_the_label_file(tmp_path):
    path = tmp_path / "sub" / "labels.json"
    path.parent.mkdir()
    path.write_text(json.dumps([{"audio": "../a.wav", "reviewed": True}]))
    assert read_label_file(path)[0]["audio"] == str(tmp_path / "a.wav")


def _labels_of(engine):
    out = set()
    for call in repository.list_calls(engine):
        for s in repository.load_segments(engine, call.id):
            if s.status != "predicted":
                out.add((call.sha256, s.category, s.role, round(s.start, 2), round(s.end, 2), s.status))
        out.add((call.sha256, call.review_status))
    return out


def test_export_then_import_gives_the_same_labels(tmp_path):
    source = build_library(f"sqlite:///{tmp_path / 'a.sqlite3'}", files=(BASIC, MONO), label=False)
    store = LabelStore(source)
    basic = next(c for c in repository.list_calls(source) if c.path.endswith("call_basic.wav"))
    segs = {s.category: s for s in repository.load_segments(source, basic.id)}
    store.confirm(segs["dead_air"].id, "ann")
    store.reject(segs["overtalk"].id, "ann")
    store.edit(segs["forbidden_phrase"].id, "ann", start=segs["forbidden_phrase"].start - 0.4)
    store.add(basic.id, "ann", 33.0, 35.5, "negative_emotion", "customer")
    store.mark_reviewed(basic.id, "ann")
    mono = next(c for c in repository.list_calls(source) if c.path.endswith("call_noisy_mono.wav"))
    store.add(mono.id, "ann", 1.0, 2.0, "poor_audio", "both")
    exported = tmp_path / "labels.json"
    n = export_labels(source, exported)
    assert n == 6

    target = build_library(f"sqlite:///{tmp_path / 'b.sqlite3'}", files=(BASIC, MONO), label=False)
    report = run_to_end(import_labels(target, exported, "bob", Settings()))
    assert (report.applied, report.reviewed, report.analysed, report.errors) == (5, 1, 0, [])
    again = tmp_path / "again.json"
    export_labels(target, again)
    def labels(path):  # the segment ids and versions are each library's own
        return [{k: v for k, v in e.items() if k not in ("segment", "version")} for e in json.loads(path.read_text())[1:]]

    assert labels(again) == labels(exported)
    assert all({"segment", "version"} <= set(e) for e in json.loads(exported.read_text())[1:] if "start" in e)
    assert list(json.loads(exported.read_text())[0]) == ["exported_at"]
    statuses = {(x[1], x[-1]) for x in _labels_of(target) if len(x) == 6}
    assert statuses >= {("dead_air", "confirmed"), ("overtalk", "rejected"), ("negative_emotion", "added")}

    second = run_to_end(import_labels(target, exported, "bob", Settings()))
    assert (second.applied, second.unchanged) == (0, 5)
    assert _labels_of(target) == _labels_of(source)  # the reviewers differ, the labels agree


def test_a_rejection_without_a_prediction_is_kept_as_a_negative(tmp_path):
    engine = build_library(f"sqlite:///{tmp_path / 'a.sqlite3'}", files=(BASIC,), label=False)
    path = tmp_path / "labels.json"
    path.write_text(json.dumps([{"audio": str(BASIC), "start": 1.0, "end": 2.0, "category": "repetition",
                                 "status": "rejected", "role": "agent"}]))
    run_to_end(import_labels(engine, path, "bob", Settings()))
    call = repository.list_calls(engine)[0]
    rejected = [s for s in repository.load_segments(engine, call.id) if s.status == "rejected"]
    assert [(s.category, s.start, s.end) for s in rejected] == [("repetition", 1.0, 2.0)]


def test_cli_import_analyses_new_audio_first_and_export_writes_it(tmp_path, app_env):
    db = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    path = tmp_path / "labels.json"
    good = [{"audio": str(MONO), "start": 4.7, "end": 7.6, "category": "poor_audio", "status": "confirmed"},
            {"audio": str(MONO), "reviewed": True}]
    path.write_text(json.dumps(good + [{"audio": str(tmp_path / "missing.wav"), "reviewed": True}]))
    app = [sys.executable, "-m", "reviewer_app"]
    cmd = app + ["labels", "import", str(path), "--db", db, "--reviewer", "bob", "--asr-model", "tiny.en",
                 "--language", "en"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=app_env, timeout=300)
    assert done.returncode == 1, done.stderr  # the missing file refuses the whole import
    assert f"{path} entry 3: audio {tmp_path / 'missing.wav'} not found" in done.stderr
    assert "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if not line.startswith("[")] == [
        f"error: {path} entry 3: audio {tmp_path / 'missing.wav'} not found (nothing was imported)"]
    path.write_text(json.dumps(good))
    done = subprocess.run(cmd, capture_output=True, text=True, env=app_env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "1 applied" in done.stdout and "1 calls marked reviewed" in done.stdout and "1 files analysed" in done.stdout
    out = tmp_path / "out.json"
    done = subprocess.run(app + ["labels", "export", str(out), "--db", db], capture_output=True, text=True,
                          env=app_env)
    assert done.returncode == 0, done.stderr
    entries = json.loads(out.read_text())
    assert {"audio": str(MONO), "reviewed": True} in entries
    assert any(e.get("category") == "poor_audio" and e["role"] == "both" for e in entries)


def test_paths_in_a_label_file_cannot_make_the_app_write_elsewhere(tmp_path, monkeypatch):
    """Traversal, absolute, folder and non-audio paths are refused one by one; the only file written
    is the library database (and caches in the app's own folders)."""
    import shutil

    from reviewer_app.core.storage.db import open_database

    monkeypatch.setenv("REVIEWER_APP_DATA_DIR", str(tmp_path / "appdata"))
    monkeypatch.setenv("REVIEWER_APP_FEATURE_CACHE", str(tmp_path / "appcache"))
    (tmp_path / "calls").mkdir()
    shutil.copy(BASIC, tmp_path / "calls" / "call basic.wav")
    labels = tmp_path / "labels" / "labels.json"
    labels.parent.mkdir()
    entry = {"start": 1.0, "end": 2.0, "category": "dead_air", "status": "added"}
    labels.write_text(json.dumps([
        dict(entry, audio="../../../../../../../../etc/passwd"),
        dict(entry, audio="/"),
        dict(entry, audio="../labels/labels.json"),
        dict(entry, audio=str(tmp_path / "nowhere" / "x.wav")),
        dict(entry, audio="../calls/call basic.wav"),
    ]))
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    engine = open_database(f"sqlite:///{tmp_path / 'appdata' / 'lib.sqlite3'}")
    settings = Settings()
    settings.asr.model, settings.asr.language = "tiny.en", "en"
    with pytest.raises(ReviewerError) as err:  # the whole file: refused at the first bad path
        run_to_end(import_labels(engine, labels, "ana", settings))
    assert "labels.json entry 2: audio / is a folder, not a regular file" in str(err.value)
    entries = json.loads(labels.read_text())
    whys = ["could not be analysed", "is a folder", "could not be analysed", "not found"]
    for n, (entry, why) in enumerate(zip(entries[:4], whys)):
        one = tmp_path / "labels" / f"one{n}.json"
        one.write_text(json.dumps([entry]))
        with pytest.raises(ReviewerError, match=why):  # each bad path is refused on its own too
            run_to_end(import_labels(engine, one, "ana", settings))
    good = tmp_path / "labels" / "good.json"
    good.write_text(json.dumps(entries[4:]))
    report = run_to_end(import_labels(engine, good, "ana", settings))
    assert report.added == 1 and report.analysed == 1
    assert [c.path for c in repository.list_calls(engine)] == [str(tmp_path / "calls" / "call basic.wav")]
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    changed = {p for p in after if before.get(p) != after[p]}
    assert all(p.is_relative_to(tmp_path / "appdata") or p.is_relative_to(tmp_path / "appcache")
               or p.is_relative_to(tmp_path / "labels") for p in changed), sorted(map(str, changed))
    assert not any(p.is_relative_to(tmp_path / "labels") and before.get(p) for p in changed)  # written by the test
    engine.dispose()
