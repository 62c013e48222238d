"""Label imports never silently lose work and are bounded (issue 12): each finding of the adversarial
pass reproduced with real files, a real database and, where it is about the command line, the real
CLI as a subprocess (a real SIGKILL for the killed import)."""
from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from reviewer_app.core.domain import AudioInfo, CallAnalysis, CallScore, Segment
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange import export_library, import_labels, import_steps
from reviewer_app.core.exchange import textgrid as tg
from reviewer_app.core.exchange.labelstudio import TASKS_FILE
from reviewer_app.core.labels_io import export_labels
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.core.storage.repository import list_calls, load_segments, save_analysis
from tests.core.test_storage import make_analysis

APP = [sys.executable, "-m", "reviewer_app"]
DURATION = 61.25  # make_analysis: dead_air 10-17.5 (both), overtalk 20.1-21.7 (both), forbidden 30-31 (agent)


def cli(args, env, timeout=120, **kw):
    return subprocess.run(APP + [str(a) for a in args], capture_output=True, text=True, env=env, timeout=timeout,
                          **kw)


def state(engine, call_id=None):
    """Every segment (deleted ones too) and the number of audit events: what an import may change."""
    with engine.connect() as conn:
        where = "" if call_id is None else f" WHERE call_id = {int(call_id)}"
        segs = conn.execute(text('SELECT id, start, "end", category, role, status, reviewer, note, version, '
                                 f"deleted_at IS NOT NULL FROM segments{where} ORDER BY id")).all()
        events = conn.execute(text("SELECT count(*) FROM label_events")).scalar()
        reviews = conn.execute(text("SELECT id, review_status FROM calls ORDER BY id")).all()
    return [tuple(s) for s in segs], events, [tuple(r) for r in reviews]


def by_category(engine, call_id):
    return {s.category: s for s in load_segments(engine, call_id)}


@pytest.fixture
def lib(tmp_path):
    url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    engine = open_database(url)
    call_id = save_analysis(engine, make_analysis())
    yield url, engine, call_id
    engine.dispose()


def audio_call(engine, folder: Path, name: str = "call.wav", duration: float = DURATION,
               segments: list[Segment] | None = None) -> tuple[Path, int]:
    """A stored call whose audio is a real (small) file, so a labels JSON finds it by sha256."""
    audio = folder / name
    audio.write_bytes(name.encode() * 100)
    sha = hashlib.sha256(audio.read_bytes()).hexdigest()
    analysis = make_analysis(sha=sha, segments=segments)
    analysis = CallAnalysis(AudioInfo(str(audio), sha, duration, 8000, 2, ("customer", "agent")), "en",
                            analysis.transcript, analysis.segments, analysis.score, {}, {})
    return audio, save_analysis(engine, analysis)


# 2. A stale import overwrites another reviewer -------------------------------------------------

def test_2_stale_audacity_import_through_the_cli_keeps_another_reviewers_work(lib, tmp_path, app_env):
    url, engine, call_id = lib
    done = cli(["export", "--format", "audacity", "--call", call_id, "--out", tmp_path / "out", "--db", url], app_env)
    assert done.returncode == 0, done.stderr
    [track] = list((tmp_path / "out").iterdir())
    ana = LabelStore(engine)
    ana_id = ana.add(call_id, "ana", 40.0, 42.0, "negative_emotion", "customer", note="customer swore")
    dead_air = by_category(engine, call_id)["dead_air"]
    ana.edit(dead_air.id, "ana", start=11.0)

    done = cli(["import", track, "--format", "audacity", "--reviewer", "bob", "--call", call_id, "--db", url],
               app_env)
    assert done.returncode == 1, done.stdout + done.stderr
    conflicts = [line for line in done.stderr.splitlines() if line.startswith("conflict: ")]
    assert len(conflicts) == 2 and all("changed by ana" in line for line in conflicts), done.stderr
    assert any(f"segment {ana_id} " in line for line in conflicts)
    segs = by_category(engine, call_id)
    added = segs["negative_emotion"]
    assert (added.id, added.status, added.reviewer, added.note) == (ana_id, "added", "ana", "customer swore")
    assert (segs["dead_air"].start, segs["dead_air"].reviewer) == (11.0, "ana")
    # the rest applies: what nobody else touched is confirmed by bob
    assert {(segs[c].status, segs[c].reviewer) for c in ("overtalk", "forbidden_phrase")} == {("confirmed", "bob")}


@pytest.mark.parametrize("fmt", ["labelstudio", "textgrid", "labels"])
def test_2_stale_imports_of_every_format_report_the_other_reviewer(db_url, tmp_path, fmt):
    engine = open_database(db_url)
    audio, call_id = audio_call(engine, tmp_path)
    store = LabelStore(engine)
    segs = by_category(engine, call_id)
    store.confirm(segs["overtalk"].id, "bob")  # a human label, so that every format exports something
    out = tmp_path / "out"
    if fmt == "labels":
        out.mkdir()
        path = out / "labels.json"
        export_labels(engine, path)
    else:
        path = export_library(engine, fmt, out)[0]
    time.sleep(0.01)
    store.reject(segs["overtalk"].id, "ana")  # after bob's export
    before = state(engine, call_id)
    report = import_labels(engine, fmt, path, "bob", call=str(call_id) if fmt == "textgrid" else None)
    assert len(report.conflicts) == 1 and "changed by ana" in report.conflicts[0], report.conflicts
    assert f"segment {segs['overtalk'].id} (overtalk" in report.conflicts[0]
    after = by_category(engine, call_id)
    assert (after["overtalk"].status, after["overtalk"].reviewer) == ("rejected", "ana")
    # the rest applies: a TextGrid holds every finding (confirmed now); Label Studio's annotation holds
    # bob's labels only, so the findings it leaves out are rejected; a labels JSON never rejects
    expected = {"textgrid": ("confirmed", "bob"), "labelstudio": ("rejected", "bob"), "labels": ("predicted", None)}
    assert (after["dead_air"].status, after["dead_air"].reviewer) == expected[fmt]
    assert (state(engine, call_id)[0] != before[0]) == (fmt != "labels")
    # ana importing her own stale file is no conflict: it is her own change
    again = import_labels(engine, fmt, path, "ana", call=str(call_id) if fmt == "textgrid" else None)
    assert again.conflicts == []
    engine.dispose()


@pytest.mark.parametrize("fmt", ["labelstudio", "labels"])
def test_2_segment_versions_find_the_conflict_without_a_clock(db_url, tmp_path, fmt):
    """Label Studio and labels JSON carry each label's segment id and version: with the export time
    removed (or a clock that lies), a change made from that version on by another reviewer is still
    a conflict; the same file imported into another library (same calls, other history) is none."""
    engine = open_database(db_url)
    audio, call_id = audio_call(engine, tmp_path)
    store = LabelStore(engine)
    overtalk = by_category(engine, call_id)["overtalk"]
    store.confirm(overtalk.id, "bob")
    out = tmp_path / "out"
    out.mkdir()
    if fmt == "labels":
        path = out / "labels.json"
        export_labels(engine, path)
        data = [e for e in json.loads(path.read_text()) if "exported_at" not in e]
        assert {(e["segment"], e["version"]) for e in data if "start" in e} == {(overtalk.id, 2)}
    else:
        path = export_library(engine, fmt, out)[0]
        data = json.loads(path.read_text())
        assert data[0]["data"]["versions"] == {f"s{overtalk.id}": 2}
        for task in data:
            del task["data"]["exported_at"]
    path.write_text(json.dumps(data))
    store.edit(overtalk.id, "ana", end=22.5)
    report = import_labels(engine, fmt, path, "bob")
    assert len(report.conflicts) == 1 and "changed by ana" in report.conflicts[0]
    seg = by_category(engine, call_id)["overtalk"]
    assert (seg.end, seg.reviewer) == (22.5, "ana")
    engine.dispose()
    other = open_database(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    audio_call(other, tmp_path)
    assert import_labels(other, fmt, path, "bob").conflicts == []
    other.dispose()


# 3. Half-applied imports -----------------------------------------------------------------------

def test_3_a_bad_second_task_refuses_the_whole_label_studio_file(tmp_path, app_env):
    url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    engine = open_database(url)
    ids = [audio_call(engine, tmp_path, f"call{n}.wav")[1] for n in (1, 2)]
    store = LabelStore(engine)
    for call_id in ids:
        store.confirm(by_category(engine, call_id)["dead_air"].id, "ana")
    export_library(engine, "labelstudio", tmp_path / "ls")
    tasks = json.loads((tmp_path / "ls" / TASKS_FILE).read_text())
    for item in tasks[0]["annotations"][0]["result"]:
        item["value"]["end"] = item["value"]["end"] - 1.0  # a good change in task 1
    bad = next(i for i in tasks[1]["annotations"][0]["result"] if i["type"] == "labels")
    bad["value"]["start"] = "soon"
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(tasks))
    before = state(engine)
    done = cli(["import", path, "--format", "labelstudio", "--reviewer", "bob", "--db", url], app_env)
    assert done.returncode == 1
    assert (f"error: {path} task 2 region '{bad['id']}': start 'soon' is not a number (nothing was imported)"
            in done.stderr), done.stderr
    assert state(engine) == before  # task 1 was not applied either
    engine.dispose()


def test_3_a_negative_start_after_a_confirm_refuses_the_whole_audacity_file(lib, tmp_path, app_env):
    url, engine, call_id = lib
    track = tmp_path / "labels.txt"
    track.write_text("10.000000\t17.500000\tdead_air [both]\n-1.0\t2.0\tovertalk [both]\n")
    before = state(engine)
    done = cli(["import", track, "--format", "audacity", "--reviewer", "bob", "--call", call_id, "--db", url],
               app_env)
    assert done.returncode == 1
    assert f"error: {track} line 2: start -1 is negative (nothing was imported)" in done.stderr, done.stderr
    assert state(engine) == before


def test_3_a_bad_file_in_a_folder_refuses_the_whole_folder(tmp_path, app_env):
    url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    engine = open_database(url)
    for n in (1, 2):
        audio_call(engine, tmp_path, f"call{n}.wav")
    export_library(engine, "audacity", tmp_path / "aud")
    bad = tmp_path / "aud" / "call2.txt"
    bad.write_text(bad.read_text() + "5\t4\tdead_air\n")
    before = state(engine)
    done = cli(["import", tmp_path / "aud", "--format", "audacity", "--reviewer", "bob", "--db", url], app_env)
    assert done.returncode == 1 and "call2.txt line 5: end 4 is before start 5" in done.stderr, done.stderr
    assert state(engine) == before  # call1.txt, read first and good, was not applied either
    engine.dispose()


# 4. Malformed lines rejected every finding with exit 0 -----------------------------------------

def test_4_a_region_label_that_is_no_category_is_an_error_not_a_rejection(lib, tmp_path, app_env):
    url, engine, call_id = lib
    LabelStore(engine).confirm(by_category(engine, call_id)["dead_air"].id, "ana")
    export_library(engine, "labelstudio", tmp_path / "ls")
    tasks = json.loads((tmp_path / "ls" / TASKS_FILE).read_text())
    for item in tasks[0]["annotations"][0]["result"]:
        if item["type"] == "labels":
            item["value"]["labels"] = ["Shouting"]
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(tasks))
    before = state(engine)
    done = cli(["import", path, "--format", "labelstudio", "--reviewer", "bob", "--db", url], app_env)
    assert done.returncode == 1
    assert "task 1 region " in done.stderr and "label 'Shouting' is not a problem category" in done.stderr
    assert state(engine) == before


def test_4_an_end_before_its_start_is_an_error_not_a_rejection(lib, tmp_path, app_env):
    url, engine, call_id = lib
    track = tmp_path / "labels.txt"
    track.write_text("10\t17.5\tdead_air [both]\n2.0\t1.0\tovertalk [both]\n")
    before = state(engine)
    done = cli(["import", track, "--format", "audacity", "--reviewer", "bob", "--call", call_id, "--db", url],
               app_env)
    assert done.returncode == 1
    assert f"error: {track} line 2: end 1 is before start 2 (nothing was imported)" in done.stderr, done.stderr
    assert state(engine) == before and {s.status for s in load_segments(engine, call_id)} == {"predicted"}


# 8. A TextGrid's size claims -------------------------------------------------------------------

def _capped(limit_bytes):
    def set_limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return set_limit


@pytest.mark.parametrize("claim", ["intervals: size = 999999999999", "intervals: size = 1e400",
                                   "intervals: size = -3"])
def test_8_a_textgrid_claiming_a_huge_size_is_refused_within_a_memory_cap(lib, tmp_path, app_env, claim):
    url, engine, call_id = lib
    grid = tmp_path / "huge.TextGrid"
    grid.write_text('File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = 10\ntiers? <exists>\n'
                    'size = 1\nitem []:\n    item [1]:\n        class = "IntervalTier"\n        name = "problems"\n'
                    f'        xmin = 0\n        xmax = 10\n        {claim}\n        intervals [1]:\n'
                    '            xmin = 0\n            xmax = 10\n            text = "dead_air"\n')
    assert grid.stat().st_size < 450
    before = state(engine)
    done = cli(["import", grid, "--format", "textgrid", "--reviewer", "bob", "--call", call_id, "--db", url],
               app_env, timeout=60, preexec_fn=_capped(3 * 1024 ** 3))
    assert done.returncode == 1, done.stderr
    assert "huge.TextGrid: not a Praat TextGrid text file (tier 1: interval count" in done.stderr
    assert "MemoryError" not in done.stderr and state(engine) == before


def test_8_a_tier_count_claim_is_bounded_too():
    with pytest.raises(ReviewerError, match="tier count 1e\\+12 is not a count"):
        tg.loads('File type = "ooTextFile"\nObject class = "TextGrid"\n0\n10\n<exists>\n1e12\n')


def test_8_files_and_label_counts_are_capped_before_they_are_read(lib, tmp_path, monkeypatch):
    from reviewer_app.core.exchange import limits

    _, engine, call_id = lib
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:  # sparse: no disk used, but stat says it is over the cap
        fh.truncate(limits.MAX_FILE_BYTES + 1)
    with pytest.raises(ReviewerError, match=r"big.txt is over 128 MiB: refused"):
        import_labels(engine, "audacity", big, "bob", call=str(call_id))
    monkeypatch.setattr(limits, "MAX_LABELS", 5)
    track = tmp_path / "many.txt"
    track.write_text("".join(f"{k}\t{k + 0.5}\tdead_air\n" for k in range(6)))
    with pytest.raises(ReviewerError, match=r"many.txt: more than 5 labels in one file: split it"):
        import_labels(engine, "audacity", track, "bob", call=str(call_id))


# 9. Audio that is a device or a FIFO -----------------------------------------------------------

def test_9_audio_that_is_a_device_or_a_fifo_is_refused_without_blocking(lib, tmp_path, app_env):
    url, engine, _ = lib
    fifo = tmp_path / "call.wav"
    os.mkfifo(fifo)
    entry = {"start": 1.0, "end": 2.0, "category": "dead_air", "status": "added"}
    for audio, why in (("/dev/zero", "is a device, not a regular file"), (str(fifo), "is a FIFO, not a regular file")):
        labels = tmp_path / "labels.json"
        labels.write_text(json.dumps([dict(entry, audio=audio)]))
        t0 = time.monotonic()
        done = cli(["labels", "import", labels, "--db", url, "--reviewer", "bob"], app_env, timeout=60)
        assert done.returncode == 1 and f"labels.json entry 1: audio {audio} {why}" in done.stderr, done.stderr
        assert time.monotonic() - t0 < 60
    # the label file itself as a FIFO or a device: refused the same way, for every format
    done = cli(["labels", "import", fifo, "--db", url, "--reviewer", "bob"], app_env, timeout=60)
    assert done.returncode == 1 and "is a FIFO, not a regular file" in done.stderr, done.stderr
    done = cli(["import", "/dev/zero", "--format", "audacity", "--call", "1", "--db", url, "--reviewer", "bob"],
               app_env, timeout=60)
    assert done.returncode == 1 and "/dev/zero is a device, not a regular file" in done.stderr, done.stderr


# 11. Labels past the end of the call -----------------------------------------------------------

def _files_past_the_end(tmp_path, audio: Path, sha: str, start: float, end: float) -> dict[str, Path]:
    out = tmp_path / f"past{start:g}"
    out.mkdir()
    files = {"audacity": out / "t.txt", "textgrid": out / "t.TextGrid", "labelstudio": out / "ls.json",
             "labels": out / "labels.json"}
    files["audacity"].write_text(f"1\t2\tdead_air\n{start!r}\t{end!r}\tdead_air\n")
    grid = tg.TextGrid(0.0, end, [tg.Tier("problems", [(0.0, start, ""), (start, end, "dead_air [both]")])])
    files["textgrid"].write_text(tg.dumps(grid))
    region = {"id": "r1", "from_name": "label", "to_name": "audio", "type": "labels",
              "value": {"start": start, "end": end, "channel": 0, "labels": ["dead_air"]}}
    files["labelstudio"].write_text(json.dumps([{"data": {"audio": str(audio), "sha256": sha},
                                                 "annotations": [{"result": [region]}]}]))
    files["labels"].write_text(json.dumps([{"audio": str(audio), "start": start, "end": end,
                                            "category": "dead_air", "status": "added"}]))
    return files


@pytest.mark.parametrize("start, end", [(0.0, 1e308), (100.0, 200.0)])
def test_11_labels_past_the_end_of_the_call_are_refused_by_every_importer(tmp_path, start, end):
    engine = open_database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    audio, call_id = audio_call(engine, tmp_path)
    sha = list_calls(engine)[0].sha256
    before = state(engine)
    for fmt, path in _files_past_the_end(tmp_path, audio, sha, start, end).items():
        with pytest.raises(ReviewerError, match=f"is past the end of the call \\({DURATION:.3f} s\\)") as err:
            import_labels(engine, fmt, path, "bob", call=str(call_id) if fmt in ("audacity", "textgrid") else None)
        assert str(path) in str(err.value) and len(str(err.value)) < 400, fmt
        assert state(engine) == before, fmt
    # within the tolerance (formats round, players pad) a label is fine
    track = tmp_path / "ok.txt"
    track.write_text(f"60.0\t{DURATION + 0.4!r}\tdead_air\n")
    assert import_labels(engine, "audacity", track, "bob", call=str(call_id), reject_missing=False).added == 1
    grid = tg.loads(export_library(engine, "textgrid", tmp_path / "tg")[0].read_text())
    assert grid.xmax <= DURATION + 0.5
    engine.dispose()


def test_11_a_label_stored_past_the_end_before_the_fix_does_not_stretch_the_textgrid(lib, tmp_path):
    _, engine, call_id = lib
    with engine.begin() as conn:  # as an import before this fix could leave it
        conn.execute(text('UPDATE segments SET "end" = 1e308 WHERE category = \'dead_air\''))
    grid = tg.loads(export_library(engine, "textgrid", tmp_path / "tg")[0].read_text())
    assert grid.xmax == DURATION
    assert all(b <= DURATION for tier in grid.tiers for _, b, _ in tier.intervals)
    with engine.begin() as conn:
        conn.execute(text("UPDATE segments SET start = 1e306 WHERE category = 'dead_air'"))
    track = tmp_path / "t.txt"
    track.write_text("20.1\t21.7\tovertalk\n")  # the import still runs beside such a row
    report = import_labels(engine, "audacity", track, "bob", call=str(call_id), reject_missing=False)
    assert report.confirmed == 1


def test_11_non_finite_times_are_refused(lib, tmp_path):
    _, engine, call_id = lib
    for line, why in (("nan\t2\tdead_air", "start nan is not a finite time"),
                      ("1\tinf\tdead_air", "end inf is not a finite time"),
                      ("1\t1e999\tdead_air", "end inf is not a finite time")):
        track = tmp_path / "t.txt"
        track.write_text(line + "\n")
        with pytest.raises(ReviewerError, match=f"t.txt line 1: {why}"):
            import_labels(engine, "audacity", track, "bob", call=str(call_id))


# 13. Large imports: speed, progress, and a killed import ---------------------------------------

def _long_call(engine, folder: Path, predicted: int = 2000, duration: float = 40_000.0):
    step = duration / predicted
    segments = [Segment(k * step, k * step + step / 2, "agent", "fast_speech", 0.9, "rule:test", "")
                for k in range(predicted)]
    return audio_call(engine, folder, "long.wav", duration, segments)


def _many_labels(audio: Path, n: int, duration: float = 40_000.0) -> list[dict]:
    step = duration / n
    return [{"audio": str(audio), "start": round(k * step + 0.01, 3), "end": round(k * step + step * 0.4, 3),
             "category": "repetition", "status": "added", "role": "customer"} for k in range(n)]


def test_13_twenty_thousand_labels_import_fast_with_progress_in_one_transaction(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    audio, call_id = _long_call(engine, tmp_path)
    track = tmp_path / "long.txt"
    step = 40_000.0 / 2000
    lines = [f"{k * step:.6f}\t{k * step + step / 2:.6f}\tfast_speech [agent]" for k in range(0, 2000, 2)]
    lines += [f"{e['start']:.6f}\t{e['end']:.6f}\trepetition [customer]" for e in _many_labels(audio, 19_000)]
    track.write_text("\n".join(lines) + "\n")
    progress = []
    t0 = time.perf_counter()
    report = import_labels(engine, "audacity", track, "bob", call=str(call_id), progress=progress.append)
    rate = 20_000 / (time.perf_counter() - t0)
    assert (report.confirmed, report.added, report.rejected) == (1000, 19_000, 1000)
    applying = [p for p in progress if p.message.startswith("applying labels")]
    assert len(applying) >= 4 and applying[-1].message == "applying labels: 42000 of 42000 rows"
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and applying[0].fraction < 0.5
    print(f"imported 20,000 labels at {rate:,.0f} labels/s")
    assert rate > 1_000  # >= 5,000/s on an idle machine (benchmarks/bench_import.py); a loaded CI box is slower
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM label_events")).scalar() == 21_000
        assert conn.execute(text("SELECT count(DISTINCT at) FROM label_events")).scalar() == 1  # one transaction
    again = import_labels(engine, "audacity", track, "bob", call=str(call_id))
    assert (again.applied, again.unchanged) == (0, 20_000)
    engine.dispose()


def test_13_a_killed_import_leaves_nothing_half_applied(tmp_path, app_env):
    url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    engine = open_database(url)
    audio, _ = _long_call(engine, tmp_path)
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps(_many_labels(audio, 150_000)))
    before = state(engine)
    engine.dispose()
    proc = subprocess.Popen(APP + ["labels", "import", str(labels), "--db", url, "--reviewer", "bob"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=app_env)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "applying labels" in line:  # rows are being written, in the import's one transaction
            break
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert killed and proc.returncode == -signal.SIGKILL, "".join(seen)
    engine = open_database(url)
    assert state(engine) == before
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()


# 14. Deep nesting ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["labelstudio", "labels"])
def test_14_deep_json_is_refused_before_parsing(lib, tmp_path, fmt):
    _, engine, _ = lib
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(ReviewerError, match=r"deep.json: .* nests 200000 levels deep, over the 32"):
        import_labels(engine, fmt, path, "bob")
    # brackets inside strings are text, not nesting
    path.write_text(json.dumps([{"data": {"audio": "[" * 100}, "annotations": []}]))
    if fmt == "labelstudio":
        assert import_labels(engine, fmt, path, "bob").calls == 0


def test_14_deep_labels_json_through_the_cli_is_one_line(lib, tmp_path, app_env):
    url, _, _ = lib
    path = tmp_path / "deep.json"
    path.write_text('[{"audio": ' + "[" * 100_000 + "]" * 100_000 + "}]")
    done = cli(["labels", "import", path, "--db", url, "--reviewer", "bob"], app_env)
    assert done.returncode == 1 and "RecursionError" not in done.stderr and "Traceback" not in done.stderr
    assert "deep.json: label file nests 100002 levels deep" in done.stderr


# one algorithm, messages -----------------------------------------------------------------------

def test_every_format_applies_the_same_judgement_the_same_way(tmp_path):
    """The labels JSON and the exchange formats go through one algorithm: the same decisions give the
    same library, whichever file carried them."""
    results = []
    for fmt in ("labels", "audacity", "textgrid"):
        engine = open_database(f"sqlite:///{tmp_path / f'{fmt}.sqlite3'}")
        audio, call_id = audio_call(engine, tmp_path, f"{fmt}.wav")
        labels = [(10.0, 17.5, "dead_air", "both"), (20.0, 21.9, "overtalk", "both"), (44.0, 46.0, "repetition", "agent")]
        path = tmp_path / f"{fmt}.in"
        if fmt == "labels":
            path.write_text(json.dumps([{"audio": str(audio), "start": a, "end": b, "category": c, "role": r,
                                         "status": "confirmed"} for a, b, c, r in labels]))
        elif fmt == "audacity":
            path.write_text("".join(f"{a}\t{b}\t{c} [{r}]\n" for a, b, c, r in labels))
        else:
            tiers = [tg.Tier("problems", tg.tile([(a, b, f"{c} [{r}]") for a, b, c, r in labels], DURATION))]
            path.write_text(tg.dumps(tg.TextGrid(0.0, DURATION, tiers)))
        report = import_labels(engine, fmt, path, "bob", call=str(call_id), reject_missing=True)
        results.append(((report.confirmed, report.edited, report.added, report.rejected),
                        sorted((s.category, s.start, s.end, s.status) for s in load_segments(engine, call_id))))
        engine.dispose()
    assert results[0] == results[1] == results[2]
    assert results[0][0] == (1, 1, 1, 1)  # dead air confirmed, overtalk moved, repetition added, forbidden rejected


def test_bulk_rows_match_the_audit_log_on_sqlite_and_postgresql(db_url, tmp_path):
    """The raw bulk statements write what LabelStore would: new ids with their add events, each change
    with its before/after, versions + 1, soft deletes, problem counts; a second import changes nothing."""
    engine = open_database(db_url)
    audio, call_id = audio_call(engine, tmp_path)
    extra = LabelStore(engine).add(call_id, "bob", 50.0, 52.0, "repetition", "agent")
    track = tmp_path / "t.txt"
    track.write_text("10\t17.5\tdead_air\n20.0\t21.9\tovertalk\n" +
                     "".join(f"{40 + k * 0.5}\t{40.2 + k * 0.5}\tnegative_emotion [customer]\n" for k in range(20)))
    report = import_labels(engine, "audacity", track, "bob", call=str(call_id))
    assert (report.confirmed, report.edited, report.added, report.rejected, report.deleted) == (1, 1, 20, 1, 1)
    segs = {s.id: s for s in load_segments(engine, call_id)}
    assert extra not in segs  # the reviewer-added segment the file leaves out is deleted (softly)
    events = LabelStore(engine).events(call_id)
    imported = [e for e in events if e.id > events[0].id]
    added = [e for e in imported if e.action == "add"]
    assert len(added) == 20 and {e.segment_id for e in added} <= set(segs)
    for e in added:
        seg = segs[e.segment_id]
        assert (e.after["start"], e.after["end"], e.after["status"]) == (seg.start, seg.end, "added")
    [deleted] = [e for e in imported if e.action == "delete"]
    assert deleted.segment_id == extra and deleted.after is None and deleted.before["version"] == 1
    for e in imported:
        if e.action in ("confirm", "edit", "reject"):
            assert e.after["version"] == e.before["version"] + 1 == segs[e.segment_id].version
    call = list_calls(engine)[0]
    assert call.problem_counts == {"dead_air": 1, "negative_emotion": 20, "overtalk": 1}
    assert call.review_status == "in_review"
    again = import_labels(engine, "audacity", track, "bob", call=str(call_id))
    assert (again.applied, again.unchanged) == (0, 22)
    engine.dispose()


def test_names_in_messages_are_escaped_and_cut(lib, tmp_path):
    _, engine, call_id = lib
    track = tmp_path / "t.txt"
    track.write_text("1\t2\t" + "\x1b[2Jboom " * 500 + "\n")
    with pytest.raises(ReviewerError) as err:
        import_labels(engine, "audacity", track, "bob", call=str(call_id))
    message = str(err.value)
    assert "\x1b" not in message and "\\x1b" in message and len(message) < 400


def test_import_steps_is_a_generator_of_progress(lib, tmp_path):
    _, engine, call_id = lib
    track = tmp_path / "t.txt"
    track.write_text("10\t17.5\tdead_air\n")
    gen = import_steps(engine, "audacity", track, "bob", call=str(call_id))
    messages = []
    while True:
        try:
            messages.append(next(gen).message)
        except StopIteration as stop:
            report = stop.value
            break
    assert messages[0].startswith("reading") and messages[-1] == "labels imported"
    assert (report.confirmed, report.rejected) == (1, 2)


def test_11_a_label_stored_past_the_end_before_the_fix_does_not_break_the_dashboard(lib, tmp_path, app_env):
    url, engine, _ = lib
    with engine.begin() as conn:  # as an import before this fix could leave it
        conn.execute(text('UPDATE segments SET "end" = 1e308 WHERE category = \'dead_air\''))
    pdf = tmp_path / "agents.pdf"
    done = cli(["dashboard", "--db", url, "--pdf", pdf, "--pattern", "(?P<agent>[a-z]+)"], app_env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert pdf.stat().st_size > 1000 and not list(tmp_path.glob("*.tmp"))
    assert "e+" not in done.stdout and len(max(done.stdout.splitlines(), key=len)) < 300
