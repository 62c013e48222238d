"""The training process seen from outside: JSON events, cancel, crash isolation, and the CLI commands."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys

import pytest

from reviewer_app.core.storage import model_versions as mv
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.model import registry
from reviewer_app.core.training.runner import WorkerRun, parse_event, worker_command
from tests.core.test_training_support import (  # noqa: F401  (the fixture is autouse)
    _private_feature_cache,
    build_library,
    tiny_model,
)

APP = [sys.executable, "-m", "reviewer_app"]


@pytest.fixture(scope="module")
def library_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lib")
    build_library(f"sqlite:///{folder / 'lib.sqlite3'}").dispose()
    return folder / "lib.sqlite3"


@pytest.fixture
def db_url(library_file, tmp_path):
    shutil.copy(library_file, tmp_path / "lib.sqlite3")
    return f"sqlite:///{tmp_path / 'lib.sqlite3'}"


def put_tiny_model_in_use(url: str) -> str:
    engine = open_database(url)
    row = registry.register(engine, tiny_model().model, {"label_counts": {}, "version": "tiny-1"})
    registry.promote(engine, row.version)
    engine.dispose()
    return row.version


@pytest.mark.parametrize("how", ["stdin", "sigterm"])
def test_cancelling_the_worker_leaves_the_model_in_use(db_url, app_env, how):
    active = put_tiny_model_in_use(db_url)
    run = WorkerRun(worker_command(db_url, device="cpu", epochs=50, promote="always"), env=app_env)
    seen = []
    for event in run.events():
        seen.append(event)
        if event["event"] in ("start", "epoch") and len(seen) < 3:
            if how == "stdin":
                run.cancel()
            else:
                run._proc.send_signal(signal.SIGTERM)
    assert seen[0]["event"] == "start" and seen[-1]["event"] == "cancelled", seen
    assert run.returncode == 2
    engine = open_database(db_url)
    assert mv.active_version(engine).version == active
    assert [r.version for r in mv.list_versions(engine)] == [active]


def test_a_crashing_worker_is_reported_not_raised():
    script = "import sys; print('{\"event\": \"start\"}', flush=True); sys.stderr.write('boom\\n'); sys.exit(9)"
    run = WorkerRun([sys.executable, "-c", script])
    events = list(run.events())
    assert [e["event"] for e in events] == ["start", "error"]
    assert events[-1]["kind"] == "crash" and "exit status 9" in events[-1]["message"]
    assert "boom" in events[-1]["message"]


def test_out_of_memory_is_one_event_and_its_own_exit_status(tmp_path):
    script = (
        "import sys, torch\n"
        "from reviewer_app.core.training import worker\n"
        "def boom(*a): raise torch.cuda.OutOfMemoryError('CUDA out of memory. Tried to allocate 2.00 GiB')\n"
        "worker.run = boom\n"
        "sys.exit(worker.main(['train', '--db', 'sqlite://']))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    events = [parse_event(line) for line in done.stdout.splitlines()]
    assert done.returncode == 3 and len(events) == 1, done.stdout + done.stderr
    assert events[0]["event"] == "error" and events[0]["kind"] == "oom"
    assert "out of memory" in events[0]["message"] and "--device cpu" in events[0]["message"]


def test_cli_train_shows_progress_and_writes_the_json(db_url, app_env, tmp_path):
    put_tiny_model_in_use(db_url)
    out = tmp_path / "run.json"
    done = subprocess.run(APP + ["train", "--db", db_url, "--device", "cpu", "--epochs", "2",
                                 "--promote", "always", "--json", str(out)],
                          capture_output=True, text=True, env=app_env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "device: cpu" in done.stderr
    assert "macro F1" in done.stdout and "promoted" in done.stdout
    data = json.loads(out.read_text())
    assert data["promoted"] and data["version"] and len(data["history"]) == 2
    assert {"before", "after", "rules", "new"} <= set(data["validation"])
    listed = subprocess.run(APP + ["models", "list", "--db", db_url, "--json"], capture_output=True, text=True,
                            env=app_env)
    versions = json.loads(listed.stdout)
    assert versions[0]["version"] == "default" and versions[-1]["version"] == data["version"]
    assert [v["version"] for v in versions if v["active"]] == [data["version"]]
    back = subprocess.run(APP + ["models", "rollback", "--db", db_url, "--no-rescore"], capture_output=True,
                          text=True, env=app_env)
    assert back.returncode == 0 and "tiny-1" in back.stdout


def test_cli_model_errors_are_one_line(db_url, app_env):
    done = subprocess.run(APP + ["models", "promote", "nope", "--db", db_url], capture_output=True, text=True,
                          env=app_env)
    assert done.returncode == 1 and done.stderr.startswith("error: no model version 'nope'")
    done = subprocess.run(APP + ["models", "rollback", "--db", db_url], capture_output=True, text=True, env=app_env)
    assert done.returncode == 1 and "nothing to roll back" in done.stderr and "Traceback" not in done.stderr


def test_train_then_rescore_ends_with_done_as_the_last_line(db_url, app_env):
    put_tiny_model_in_use(db_url)
    engine = open_database(db_url)
    from sqlalchemy import text

    with engine.begin() as con:  # one call nobody reviewed yet
        con.execute(text("update calls set review_status='new' where id=(select min(id) from calls)"))
    engine.dispose()
    run = WorkerRun(worker_command(db_url, device="cpu", epochs=1, promote="always"), env=app_env)
    events = list(run.events())
    kinds = [e["event"] for e in events]
    assert kinds[-2:] == ["rescore", "done"] and run.returncode == 0, events[-1]
    assert events[-2]["rescored"] == 1 and events[-1]["job"] == "train" and events[-1]["promoted"]
    only = WorkerRun(worker_command(db_url, job="rescore"), env=app_env)
    kinds = [e["event"] for e in only.events()]
    assert kinds[-2:] == ["rescore", "done"] and only.returncode == 0
