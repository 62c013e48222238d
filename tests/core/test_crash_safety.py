"""Real kills (SIGKILL) of processes that write the library: nothing saved is lost, nothing is half-written."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import text

from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.core.storage.repository import list_calls, load_analysis, load_segments, save_analysis
from tests.conftest import FIXTURES, ROOT

CALLS = [FIXTURES / "call_basic.wav", FIXTURES / "call_noisy_mono.wav",
         ROOT / "resources" / "demo_calls" / "demo_good_call.wav",
         ROOT / "resources" / "demo_calls" / "demo_support_call.wav"]


def _integrity_ok(db_url: str) -> bool:
    engine = open_database(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        engine.dispose()


def test_killing_a_batch_analysis_loses_nothing_and_a_rerun_finishes_it(tmp_path, app_env):
    folder = tmp_path / "calls"
    folder.mkdir()
    for path in CALLS:
        shutil.copy(path, folder / path.name)
    db_url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    cmd = [sys.executable, "-m", "reviewer_app", "analyze", str(folder), "--asr-model", "tiny.en",
           "--language", "en", "--db", db_url]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=app_env)
    finished = []
    for line in proc.stderr:  # progress lines: "[ 37.5%] name.wav: transcribing agent channel"
        if line.rstrip().endswith(": done"):
            finished.append(line.split("]")[1].split(":")[0].strip())
        if len(finished) == 2 and "transcribing" in line:
            proc.send_signal(signal.SIGKILL)  # in the middle of the third call's ASR
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the analysis ended before it could be killed"

    assert _integrity_ok(db_url)
    engine = open_database(db_url)
    stored = list_calls(engine)
    assert sorted(os.path.basename(c.path) for c in stored) == sorted(finished)
    for call in stored:  # each call there is complete: transcript, segments and score together
        analysis = load_analysis(engine, call.sha256)
        assert analysis.transcript and analysis.score.grade in ("high", "medium", "low")
    engine.dispose()

    rerun = subprocess.run(cmd, capture_output=True, text=True, env=app_env, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(CALLS)} file(s): 2 analysed, 2 already analysed, 0 failed" in rerun.stdout
    assert len(list_calls(open_database(db_url))) == len(CALLS)


LABEL_WRITER = textwrap.dedent("""
    import sys
    from reviewer_app.core.storage.db import open_database
    from reviewer_app.core.storage.labels import LabelStore
    engine = open_database(sys.argv[1])
    labels = LabelStore(engine)
    call_id, n = int(sys.argv[2]), 0
    while True:
        n += 1
        seg = labels.add(call_id, "ann", 1.0 + n * 0.01, 2.0 + n * 0.01, "overtalk", "both", note=f"edit {n}")
        print(f"saved {n} {seg}", flush=True)  # shown to the user only after the commit returned
""")


def test_killing_a_label_writer_never_costs_a_saved_edit(db_url, tmp_path, app_env):
    from tests.core.test_storage import make_analysis

    engine = open_database(db_url)
    call_id = save_analysis(engine, make_analysis())
    script = tmp_path / "writer.py"
    script.write_text(LABEL_WRITER)
    proc = subprocess.Popen([sys.executable, str(script), db_url, str(call_id)], stdout=subprocess.PIPE,
                            text=True, env={**app_env, "PYTHONPATH": str(ROOT)})
    saved: list[int] = []
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        saved.append(int(line.split()[2]))
        if len(saved) >= 40 or time.monotonic() > deadline:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert len(saved) >= 40

    if engine.dialect.name == "sqlite":
        assert _integrity_ok(db_url)
    segments = {s.id: s for s in load_segments(engine, call_id)}
    assert set(saved) <= set(segments)  # every edit the writer reported as saved is there
    events = LabelStore(engine).events(call_id)
    assert {e.segment_id for e in events if e.action == "add"} >= set(saved)
    added = [s for s in segments.values() if s.status == "added"]
    assert all(s.note and s.note.startswith("edit ") for s in added)  # no half-written row
    assert len(added) == len([e for e in events if e.action == "add"])  # row and audit entry together
    engine.dispose()


def test_killing_the_training_process_leaves_the_model_in_use_loadable(tmp_path, app_env):
    """SIGKILL mid-epoch: no version is half-registered and the model in use still loads."""
    from reviewer_app.core.storage import model_versions as mv
    from reviewer_app.core.model import registry
    from reviewer_app.core.training.runner import WorkerRun, worker_command
    from tests.core.test_training_support import build_library
    from tests.core.test_training_worker import put_tiny_model_in_use

    db_url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    build_library(db_url).dispose()
    active = put_tiny_model_in_use(db_url)
    env = {**app_env, "REVIEWER_APP_FEATURE_CACHE": str(tmp_path / "features")}
    run = WorkerRun(worker_command(db_url, device="cpu", epochs=50, promote="always"), env=env)
    epochs = 0
    for event in run.events():
        if event["event"] == "epoch":
            epochs += 1
            if epochs == 2:
                run._proc.send_signal(signal.SIGKILL)
    assert run._proc.wait(timeout=60) == -signal.SIGKILL
    assert _integrity_ok(db_url)
    engine = open_database(db_url)
    assert mv.active_version(engine).version == active
    assert [r.version for r in mv.list_versions(engine)] == [active]
    loaded = registry.load_active(engine)
    assert loaded.model is not None
    engine.dispose()


WINDOW_REVIEWER = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["REVIEWER_APP_NO_AUDIO"] = "1"
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication
    from reviewer_app.core.settings import Settings
    from reviewer_app.core.storage import list_calls, open_database
    from reviewer_app.gui.main_window import MainWindow

    app = QApplication([])
    engine = open_database(sys.argv[1])
    settings = Settings()
    settings.reviewer.name = "kim"
    window = MainWindow(engine, settings, sys.argv[2], db_label="kill test")
    window.show()
    loop = QEventLoop()
    window.callReady.connect(loop.quit)
    window.open_call(list_calls(engine)[0])
    loop.exec()
    n = 0
    while True:  # confirm, reject, confirm, ... every segment, as a reviewer clicking through
        for seg in list(window.controller.session.segments):
            window.state.select(seg.id)
            (window.review.do_confirm if n % 2 else window.review.do_reject)()
            while not window.ops.idle:  # the write lane lands it in the background
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            now = window.controller.session.get(seg.id)
            print(f"saved {seg.id} {now.version} {now.status}", flush=True)  # what the window shows
            n += 1
""")


def test_killing_the_window_while_it_writes_labels_loses_no_saved_edit(tmp_path, app_env):
    from tests.core.test_training_support import analysis_without_asr

    db_url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    engine = open_database(db_url)
    call_id = save_analysis(engine, analysis_without_asr(FIXTURES / "call_basic.wav"))
    script = tmp_path / "window.py"
    script.write_text(WINDOW_REVIEWER)
    proc = subprocess.Popen([sys.executable, str(script), db_url, str(tmp_path / "settings.toml")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**app_env, "PYTHONPATH": str(ROOT)})
    shown = []
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        _, seg_id, version, status = line.split()
        shown.append((int(seg_id), int(version), status))
        if len(shown) >= 30 or time.monotonic() > deadline:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert len(shown) >= 30, proc.stderr.read()[-2000:]

    assert _integrity_ok(db_url)
    events = LabelStore(engine).events(call_id)
    saved = {(e.segment_id, e.after["version"], e.after["status"]) for e in events if e.after}
    assert set(shown) <= saved  # every change the window showed as saved is in the database
    stored = {s.id: s for s in load_segments(engine, call_id)}
    for seg_id, version, _ in shown:
        assert stored[seg_id].version >= version
    engine.dispose()
