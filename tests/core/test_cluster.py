"""`analyze --cluster` on a real Ray cluster on loopback, into a real PostgreSQL: every call stored
once and complete, naming the node that analysed it; the same segments as in-process; a worker
SIGKILLed mid-call, a node that disappears, Ctrl-C on the driver, audio the workers cannot see.

The cluster is ray.cluster_utils.Cluster: separate raylet processes (nodes) with their own
object stores and worker processes, all on 127.0.0.1. The CLI runs as a subprocess (the driver).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.repository import list_calls, load_analysis
from tests.conftest import FIXTURES, ROOT

SHORT = FIXTURES / "call_noisy_mono.wav"  # 28 s, the quickest real call
CALLS = [FIXTURES / "call_basic.wav", FIXTURES / "call_noisy_mono.wav",
         ROOT / "resources" / "demo_calls" / "demo_good_call.wav",
         ROOT / "resources" / "demo_calls" / "demo_support_call.wav"]
IN_FLIGHT = re.compile(r"(\S+) on ([0-9a-f]{8})/pid (\d+)")


class LocalCluster:
    """Ray nodes on 127.0.0.1 (each its own raylet, object store and workers); stopped in teardown."""

    def __init__(self, cpus: list[int], data_dir: Path) -> None:
        # Ray rewrites 127.0.0.1 to this machine's network address unless told to keep loopback;
        # the driver (reviewer_app.core.cluster.driver.connect) does the same for loopback addresses.
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        ray_cluster_utils = pytest.importorskip("ray.cluster_utils", reason="Ray is the `cluster` extra")
        with pytest.MonkeyPatch.context() as mp:  # the workers' data dir: never the user's
            mp.setenv("REVIEWER_APP_DATA_DIR", str(data_dir))
            self.cluster = ray_cluster_utils.Cluster(
                initialize_head=True,
                head_node_args={"num_cpus": cpus[0], "node_ip_address": "127.0.0.1", "include_dashboard": False},
            )
            self.nodes = [self.cluster.head_node]
            for n in cpus[1:]:
                self.nodes.append(self.cluster.add_node(num_cpus=n, node_ip_address="127.0.0.1"))
            self.cluster.wait_for_nodes()
        self.address = self.cluster.address
        assert self.address.startswith("127.0.0.1:")

    @property
    def node_ids(self) -> set[str]:
        return {n.node_id for n in self.nodes}

    def node(self, prefix: str):
        return next(n for n in self.nodes if n.node_id.startswith(prefix))

    def shutdown(self) -> None:
        self.cluster.shutdown()


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory):
    cluster = LocalCluster([1, 1], tmp_path_factory.mktemp("ray-workers-data"))
    yield cluster
    cluster.shutdown()


def _cmd(paths, db_url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "reviewer_app", "analyze", *map(str, paths), "--asr-model", "tiny.en",
            "--language", "en", "--db", db_url, *extra]


class Driver:
    """The CLI as a subprocess; its progress lines (stderr, not a terminal) read as they come."""

    def __init__(self, cmd: list[str], env: dict) -> None:
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[str] = []
        self._new = threading.Condition()
        self._stdout: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self._stdout.append(self.proc.stdout.read()), daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._new:
                self.lines.append(line.rstrip("\n"))
                self._new.notify_all()
        with self._new:
            self.lines.append(None)  # end of output
            self._new.notify_all()

    def wait_for(self, predicate, timeout: float = 300):
        """The first line (old or new) for which `predicate` gives a true value; that value."""
        deadline, seen = time.monotonic() + timeout, 0
        with self._new:
            while True:
                while seen < len(self.lines):
                    line = self.lines[seen]
                    seen += 1
                    if line is None:
                        raise AssertionError("the driver ended first:\n" + "\n".join(self.lines[:-1]))
                    found = predicate(line)
                    if found:
                        return found
                left = deadline - time.monotonic()
                assert left > 0, "timed out; the driver said:\n" + "\n".join(x for x in self.lines if x)
                self._new.wait(left)

    def finish(self, timeout: float = 600) -> tuple[int, str, str]:
        rc = self.proc.wait(timeout=timeout)
        deadline = time.monotonic() + 10
        while (not self.lines or self.lines[-1] is not None or not self._stdout) and time.monotonic() < deadline:
            time.sleep(0.05)
        return rc, (self._stdout or [""])[0], "\n".join(x for x in self.lines if x is not None)


def _in_flight(line: str):
    """{file name: (node prefix, pid)} from a progress line listing the calls in flight."""
    if "in flight:" not in line:
        return None
    return {name: (node, int(pid)) for name, node, pid in IN_FLIGHT.findall(line.split("in flight:", 1)[1])}


def _stored_once_and_complete(db_url: str, expected: int) -> list:
    """Each call is one row (its sha256), with transcript, words, segments and score; returns analyses."""
    engine = open_database(db_url)
    try:
        with engine.connect() as conn:
            per_sha = conn.execute(text("SELECT sha256, count(*) FROM calls GROUP BY sha256")).all()
            turns = dict(conn.execute(text("SELECT call_id, count(*) FROM turns GROUP BY call_id")).all())
            words = dict(conn.execute(text("SELECT call_id, count(*) FROM words GROUP BY call_id")).all())
        assert len(per_sha) == expected and all(n == 1 for _, n in per_sha), per_sha
        out = []
        for call in list_calls(engine):
            analysis = load_analysis(engine, call.sha256)
            assert turns.get(call.id) == len(analysis.transcript) > 0
            assert words.get(call.id) == sum(len(t.words) for t in analysis.transcript) > 0
            assert analysis.score.grade in ("high", "medium", "low") and call.analysed_at is not None
            out.append(analysis)
        return out
    finally:
        engine.dispose()


def _gone(pid: int, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def test_cluster_stores_each_call_once_naming_its_node_with_the_local_segments(
        two_nodes, postgres_server, app_env, tmp_path):
    from reviewer_app.core.pipeline import analyze, run_to_end
    from reviewer_app.core.settings import load_settings

    folder = tmp_path / "calls"
    folder.mkdir()
    for path in (SHORT, FIXTURES / "call_basic.wav"):
        shutil.copy(path, folder / path.name)
    (folder / "broken.wav").write_text("not audio")  # fails for a reason in the file: reported, not retried
    shutil.copy(SHORT, folder / "same_audio_again.wav")  # the same call twice in one batch: analysed once
    db_url = postgres_server.new_database()
    driver = Driver(_cmd([folder], db_url, "--cluster", two_nodes.address, "--out", str(tmp_path / "out")), app_env)
    rc, out, err = driver.finish()

    assert rc == 1, err  # the broken file fails; the others are stored
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "broken.wav" in errors[0] and "not an audio file" in errors[0], err
    assert "retrying" not in err and "broken.wav: failed on" in err
    assert "4 file(s): 2 analysed, 1 already analysed, 1 failed" in out
    assert err.count(": done on ") == 2  # two calls went to the workers, not three

    stored = {Path(a.audio.path).name: a for a in _stored_once_and_complete(db_url, 2)}
    assert set(stored) == {SHORT.name, "call_basic.wav"}
    for name, analysis in stored.items():
        assert analysis.audio.path == str(folder / name)  # the driver's path, where the library finds it
        by = analysis.analysed_by
        assert by["node"] in two_nodes.node_ids and by["device"] == "cpu" and by["pid"] != driver.proc.pid
        assert json.loads((tmp_path / "out" / f"{Path(name).stem}.json").read_text())["analysed_by"] == by
    again = json.loads((tmp_path / "out" / "same_audio_again.json").read_text())
    assert again["audio"]["sha256"] == stored[SHORT.name].audio.sha256

    settings = load_settings(None)  # the same call analysed in this process, as `analyze` without --cluster
    settings.asr.model, settings.asr.language = "tiny.en", "en"
    local = run_to_end(analyze(SHORT, settings))
    remote = stored[SHORT.name]
    assert remote.segments == local.segments
    assert remote.transcript == local.transcript
    assert remote.score == local.score


@pytest.mark.slow
def test_sigkill_of_a_worker_mid_call_loses_and_duplicates_nothing(two_nodes, postgres_server, app_env, tmp_path):
    db_url = postgres_server.new_database()
    driver = Driver(_cmd(CALLS, db_url, "--cluster", two_nodes.address), app_env)
    running = driver.wait_for(lambda line: _in_flight(line) or None)  # the first call handed out
    name, (node, pid) = next(iter(running.items()))
    time.sleep(3)  # decoding and ASR of a 30-60 s call take longer than this on any machine
    os.kill(pid, signal.SIGKILL)
    driver.wait_for(lambda line: line.startswith(f"[") and f"{name}: worker {node}/pid {pid} died; retrying" in line)
    rc, out, err = driver.finish()

    assert rc == 0, err
    assert f"{len(CALLS)} file(s): {len(CALLS)} analysed, 0 already analysed, 0 failed" in out
    stored = {Path(a.audio.path).name: a for a in _stored_once_and_complete(db_url, len(CALLS))}
    assert set(stored) == {p.name for p in CALLS}
    assert stored[name].analysed_by["pid"] != pid  # finished by another worker process
    assert _gone(pid)


@pytest.mark.slow
def test_ship_audio_works_from_a_folder_the_workers_cannot_see(two_nodes, postgres_server, app_env, tmp_path):
    folder = tmp_path / "driver-only"
    folder.mkdir()
    for path in CALLS[:2]:
        shutil.copy(path, folder / path.name)
    db_url = postgres_server.new_database()
    driver = Driver(_cmd([folder], db_url, "--cluster", two_nodes.address, "--ship-audio"), app_env)
    driver.wait_for(lambda line: "into Ray's object store" in line)
    moved = tmp_path / "moved-away"
    folder.rename(moved)  # before any worker starts: no worker can read the audio from this path
    rc, out, err = driver.finish()

    assert rc == 0, err
    assert not folder.exists() and sorted(p.name for p in moved.iterdir()) == sorted(p.name for p in CALLS[:2])
    stored = _stored_once_and_complete(db_url, 2)
    assert sorted(a.audio.path for a in stored) == sorted(str(folder / p.name) for p in CALLS[:2])
    assert all(a.analysed_by["node"] in two_nodes.node_ids for a in stored)

    # Without --ship-audio the same vanished path fails on the workers, each in one line, not retried.
    gone = tmp_path / "gone"
    moved.rename(gone)
    shutil.copytree(gone, folder)
    driver = Driver(_cmd([folder], postgres_server.new_database(), "--cluster", two_nodes.address), app_env)
    driver.wait_for(lambda line: "starting" in line and "Ray worker" in line)
    shutil.rmtree(folder)
    rc, out, err = driver.finish()
    assert rc == 1 and "retrying" not in err
    assert err.count("not found on worker node") == 2 and "--ship-audio" in err


@pytest.mark.slow
def test_ctrl_c_on_the_driver_leaves_no_half_written_call(two_nodes, postgres_server, app_env, tmp_path):
    db_url = postgres_server.new_database()
    cmd = _cmd(CALLS, db_url, "--cluster", two_nodes.address)
    driver = Driver(cmd, app_env)
    done = driver.wait_for(lambda line: re.search(r"\] (\S+): done on", line))  # one call stored, others running
    driver.proc.send_signal(signal.SIGINT)
    rc, out, err = driver.finish(timeout=120)

    assert rc == 130 and "error: interrupted" in err, err
    engine = open_database(db_url)
    n_stored = len(list_calls(engine))
    engine.dispose()
    stored = _stored_once_and_complete(db_url, n_stored)
    assert done.group(1) in {Path(a.audio.path).name for a in stored} and n_stored < len(CALLS)
    pids = {pid for line in err.splitlines() for _, pid in (_in_flight(line) or {}).values()}
    assert pids and all(_gone(pid) for pid in pids)  # the outstanding work was cancelled, its workers ended

    rerun = subprocess.run(cmd, capture_output=True, text=True, env=app_env, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert (f"{len(CALLS)} file(s): {len(CALLS) - len(stored)} analysed, {len(stored)} already analysed, 0 failed"
            in rerun.stdout)
    _stored_once_and_complete(db_url, len(CALLS))


@pytest.mark.slow
def test_a_node_that_disappears_has_its_call_retried_on_another(postgres_server, app_env, tmp_path):
    cluster = LocalCluster([0, 1, 1, 1], tmp_path / "workers-data")  # the head runs no worker: any can go
    try:
        db_url = postgres_server.new_database()
        driver = Driver(_cmd(CALLS[:3], db_url, "--cluster", cluster.address, "--workers", "2"), app_env)
        running = driver.wait_for(lambda line: _in_flight(line) or None)
        name, (node, pid) = next(iter(running.items()))
        time.sleep(3)
        cluster.cluster.remove_node(cluster.node(node))  # its raylet, object store and workers go
        driver.wait_for(lambda line: f"{name}: worker {node}/pid {pid} died; retrying" in line)
        rc, out, err = driver.finish()
        assert rc == 0, err
        stored = {Path(a.audio.path).name: a for a in _stored_once_and_complete(db_url, 3)}
        assert not stored[name].analysed_by["node"].startswith(node)
    finally:
        cluster.shutdown()


def test_without_cluster_ray_is_not_imported(app_env, tmp_path):
    probe = ("import sys; from reviewer_app.cli import main; "
             f"rc = main(['analyze', 'missing.wav', '--db', 'sqlite:///{tmp_path}/lib.sqlite3']); "
             "print(rc, 'ray' in sys.modules, 'reviewer_app.core.cluster.driver' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=app_env, timeout=120)
    assert done.stdout.split()[-3:] == ["1", "False", "False"], done.stderr
    assert "missing.wav" in done.stderr

    done = subprocess.run(_cmd([SHORT], f"sqlite:///{tmp_path}/lib.sqlite3", "--ship-audio"),
                          capture_output=True, text=True, env=app_env, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: --ship-audio and --worker-gpus need --cluster ADDRESS or --workers N"


def test_who_analysed_a_call_is_stored_with_it(db_url):
    from reviewer_app.core.domain import AudioInfo, CallAnalysis, CallScore, Segment, Turn, Word
    from reviewer_app.core.storage.repository import save_analysis

    by = {"node": "a" * 56, "host": "worker-7", "pid": 4242, "device": "cuda"}
    analysis = CallAnalysis(
        AudioInfo("/calls/x.wav", "f" * 64, 10.0, 8000, 2, ("customer", "agent")), "en",
        [Turn("agent", 0.5, 1.0, "hello", (Word("hello", 0.5, 1.0, 0.9),))],
        [Segment(2.0, 8.0, "both", "dead_air", 1.0, "rule:dead_air", "6.0 s")],
        CallScore(90, "high", {"dead_air": 10}), {"total": 1.0}, {"app": "test"}, [], by,
    )
    engine = open_database(db_url)
    try:
        save_analysis(engine, analysis)
        assert load_analysis(engine, "f" * 64).analysed_by == by
    finally:
        engine.dispose()


@pytest.mark.slow
def test_info_asks_a_worker_on_each_node(two_nodes, app_env):
    done = subprocess.run([sys.executable, "-m", "reviewer_app", "info", "--json", "--cluster", two_nodes.address],
                          capture_output=True, text=True, env=app_env, timeout=300)
    assert done.returncode == 0, done.stderr
    workers = json.loads(done.stdout)["cluster_workers"]
    assert {w["worker"]["node"] for w in workers} == two_nodes.node_ids
    assert all(w["device"] == "cpu" and w["asr_batched"] is False and w["worker"]["device"] == "cpu" for w in workers)


def _raylets(node_id: str) -> list[int]:
    """Processes of this machine that run the raylet of `node_id`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "raylet" in cmdline and f"--node_id={node_id}" in cmdline:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_workers_without_cluster_start_a_local_ray_and_stop_it(postgres_server, app_env, tmp_path):
    db_url = postgres_server.new_database()
    done = subprocess.run(_cmd(CALLS[:2], db_url, "--workers", "2"), capture_output=True, text=True,
                          env=app_env, timeout=600)
    assert done.returncode == 0, done.stderr
    stored = _stored_once_and_complete(db_url, 2)
    nodes = {a.analysed_by["node"] for a in stored}
    assert len(nodes) == 1 and len(next(iter(nodes))) == 56  # one local Ray node, not the host name
    assert {a.analysed_by["pid"] for a in stored} and not _raylets(next(iter(nodes)))  # stopped on exit


@pytest.mark.slow
def test_a_ray_client_address_with_shipped_audio(postgres_server, app_env, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    ray_cluster_utils = pytest.importorskip("ray.cluster_utils")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REVIEWER_APP_DATA_DIR", str(tmp_path / "workers-data"))
        cluster = ray_cluster_utils.Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False,
            "ray_client_server_port": port})
    try:
        db_url = postgres_server.new_database()
        done = subprocess.run(_cmd([SHORT], db_url, "--cluster", f"ray://127.0.0.1:{port}", "--ship-audio"),
                              capture_output=True, text=True, env=app_env, timeout=600)
        assert done.returncode == 0, done.stderr
        (stored,) = _stored_once_and_complete(db_url, 1)
        assert stored.analysed_by["node"] == cluster.head_node.node_id and stored.audio.path == str(SHORT)
    finally:
        cluster.shutdown()


@pytest.mark.slow
def test_a_frozen_worker_is_restarted_and_its_call_retried(two_nodes, postgres_server, app_env, tmp_path):
    db_url = postgres_server.new_database()
    driver = Driver(_cmd(CALLS[:3], db_url, "--cluster", two_nodes.address, "--worker-timeout", "8"), app_env)
    running = driver.wait_for(lambda line: _in_flight(line) or None)
    name, (node, pid) = next(iter(running.items()))
    os.kill(pid, signal.SIGSTOP)  # alive to the OS, silent to Ray: no result, no answer to pings
    try:
        driver.wait_for(lambda line: f"{name}: worker {node}/pid {pid} stopped answering for 8 s; retrying" in line)
        rc, out, err = driver.finish()
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert rc == 0, err
    stored = {Path(a.audio.path).name: a for a in _stored_once_and_complete(db_url, 3)}
    assert stored[name].analysed_by["pid"] != pid
    assert _gone(pid)  # the frozen process was ended, not left behind
