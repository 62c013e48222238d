"""What an adversarial pass found (issue 12), each reproduced with real files, a real SQLite library
and the CLI run as a subprocess: colliding --out names, settings that corrupt results, a replaced
model, the window without a display and on Ctrl-C, deep nesting and huge numbers, a damaged
database, full / read-only / wrong-kind output paths, and messages a file name or a value could
abuse. Every failure must be one line on stderr, naming the file or the key, with a non-zero exit."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from reviewer_app.core.errors import SettingsError
from reviewer_app.core.settings import Settings, load_settings
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.repository import list_calls, save_analysis
from tests.core.test_storage import make_analysis

APP = [sys.executable, "-m", "reviewer_app"]


def run(args, env, **kw):
    return subprocess.run(APP + [str(a) for a in args], capture_output=True, text=True, env=env, timeout=300, **kw)


def one_error_line(done) -> str:
    """The run failed with exactly one line on stderr, an `error:` line, and no traceback."""
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert len(lines[0]) < 400, lines[0]
    return lines[0]


def _wav(path: Path, seed: int, seconds: float = 0.5) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tone = np.sin(np.arange(int(8000 * seconds)) * (0.05 + 0.01 * seed)) * 0.2
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes((tone * 32767).astype("<i2").tobytes())
    return path


def _store_as_analysed(db_url: str, audio: Path) -> None:
    """Put a (made-up) analysis of `audio` in the library, so `analyze` takes it from there, no ASR."""
    analysis = make_analysis(sha=hashlib.sha256(audio.read_bytes()).hexdigest())
    analysis = dataclasses.replace(analysis, audio=dataclasses.replace(analysis.audio, path=str(audio)))
    engine = open_database(db_url)
    save_analysis(engine, analysis)
    engine.dispose()


@pytest.fixture
def library(tmp_path):
    """A SQLite library holding one analysed call (no audio needed for the commands used here)."""
    db_url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    engine = open_database(db_url)
    save_analysis(engine, make_analysis())
    engine.dispose()
    return db_url


@pytest.fixture
def mount(tmp_path):
    """mount(name, options): a small tmpfs at tmp_path/name (root only), unmounted afterwards."""
    mounted: list[Path] = []

    def _mount(name: str, options: str = "size=64k") -> Path:
        where = tmp_path / name
        where.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True,
                              text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'})")
        mounted.append(where)
        return where

    yield _mount
    for where in reversed(mounted):
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _remount_read_only(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)


def _fill(where: Path) -> None:
    """Fill a small file system to the last byte."""
    for name, chunk in (("filler", 4096), ("filler2", 1)):
        try:
            with open(where / name, "ab", buffering=0) as fh:
                while True:
                    fh.write(b"\0" * chunk)
        except OSError:
            pass
    with pytest.raises(OSError):
        (where / "probe").write_bytes(b"x")
    (where / "probe").unlink(missing_ok=True)


# ---- 5: --out names are unique per input --------------------------------------------------------

def test_out_names_are_unique_per_input_when_stems_collide(tmp_path, app_env):
    db_url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    a, b = _wav(tmp_path / "a" / "call.wav", 1), _wav(tmp_path / "b" / "call.wav", 2)
    c = _wav(tmp_path / "other.wav", 3)
    for audio in (a, b, c):
        _store_as_analysed(db_url, audio)
    out = tmp_path / "out"
    done = run(["analyze", tmp_path / "a", tmp_path / "b", c, "--db", db_url, "--out", out], app_env)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    sha = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b)}
    assert names == sorted([f"call-{sha[a][:12]}.json", f"call-{sha[b][:12]}.json", "other.json"])
    for audio in (a, b):  # each file's results under its own name: nothing lost
        assert json.loads((out / f"call-{sha[audio][:12]}.json").read_text())["audio"]["sha256"] == sha[audio]
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:") and "also named" in line]
    assert len(warnings) == 2


# ---- 6 and 17: settings that would corrupt results are refused at load, blamed on the setting -----

CORRUPTING = [
    ("[score]\nmax_per_category = -5\n", "score.max_per_category = -5.0"),
    ("[rules]\ndead_air_min_s = nan\n", "rules.dead_air_min_s = nan"),
    ("[rules]\nfast_speech_window_s = 0\n", "rules.fast_speech_window_s = 0.0"),
    ("[rules]\ngreeting_window_s = 0.0\n", "rules.greeting_window_s = 0.0"),
    ("[rules]\novertalk_min_s = inf\n", "rules.overtalk_min_s = inf"),
    ("[model]\nlr = nan\n", "model.lr = nan"),
    ("[score.weights]\ndead_air = -inf\n", "score.weights.dead_air = -inf"),
    ("[rules]\nfast_speech_min_words = -3\n", "rules.fast_speech_min_words = -3"),
]


@pytest.mark.parametrize("text, shown", CORRUPTING)
def test_settings_that_corrupt_results_are_one_error_naming_file_and_key(tmp_path, app_env, text, shown):
    config = tmp_path / "qa.toml"
    config.write_text(text)
    db_url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    first, second = _wav(tmp_path / "in" / "one.wav", 1), _wav(tmp_path / "in" / "two.wav", 2)
    done = run(["analyze", first, second, "--config", config, "--db", db_url], app_env)
    line = one_error_line(done)  # once, for the setting, not once per audio file
    assert str(config) in line and shown in line and "must be" in line, line
    assert "one.wav" not in line and "two.wav" not in line
    assert done.returncode == 1 and not list_calls(open_database(db_url))


def test_training_with_a_nan_learning_rate_is_refused_before_a_worker_starts(tmp_path, app_env):
    config = tmp_path / "train.toml"
    config.write_text("[model]\nlr = nan\n")
    line = one_error_line(run(["train", "--config", config, "--db", f"sqlite:///{tmp_path / 'lib.sqlite3'}"],
                              app_env))
    assert str(config) in line and "model.lr = nan: must be a finite number > 0" in line


def test_every_number_of_every_section_must_be_finite(tmp_path):
    """The check goes by type, so a key added to a section later is covered without a table entry."""
    for section in dataclasses.fields(Settings):
        for f in dataclasses.fields(getattr(Settings(), section.name)):
            default = getattr(getattr(Settings(), section.name), f.name)
            if isinstance(default, bool) or not isinstance(default, (int, float)):
                continue
            bad = "nan" if isinstance(default, float) else "-1" if default >= 0 else None
            if bad is None:
                continue
            path = tmp_path / f"{section.name}-{f.name}.toml"
            path.write_text(f"[{section.name}]\n{f.name} = {bad}\n")
            with pytest.raises(SettingsError, match=f"{section.name}.{f.name} = "):
                load_settings(path)
    assert Settings().validate()  # and every default passes


def test_model_settings_checked_where_training_reads_them():
    s = Settings()
    s.model.lr = math.nan
    with pytest.raises(SettingsError, match="model.lr = nan"):
        s.model.check()


def test_settings_dialog_path_refuses_the_same_values():
    s = Settings()  # the settings dialog builds a Settings and calls validate(): the same checks
    s.rules.dead_air_min_s = math.inf
    with pytest.raises(SettingsError, match="rules.dead_air_min_s = inf"):
        s.validate()


# ---- 7: a replaced model is refused, whatever its model.json says ---------------------------------

def _two_versions(db_url: str):
    from reviewer_app.core.storage import model_versions as mv
    from reviewer_app.core.model import registry
    from tests.core.test_training_support import tiny_model

    engine = open_database(db_url)
    for version in ("v1", "v2"):
        model = tiny_model(version=version).model
        with __import__("torch").no_grad():
            for p in model.parameters():
                p.add_(0.01 if version == "v2" else -0.01)  # two different weight files
        registry.register(engine, model, {"label_counts": {}, "version": version})
    return engine, {v: Path(mv.get_version(engine, v).path) for v in ("v1", "v2")}


def _replace_weights(target: Path, source: Path) -> None:
    """What an attacker does: put other weights in place and make model.json agree with them."""
    shutil.copy(source, target)
    meta_file = target.with_suffix(".json")
    meta = json.loads(meta_file.read_text())
    meta["weights_sha256"] = hashlib.sha256(target.read_bytes()).hexdigest()
    meta_file.write_text(json.dumps(meta))


def test_replaced_weights_with_a_rewritten_model_json_are_not_promoted(tmp_path, app_env):
    from reviewer_app.core.storage import model_versions as mv

    db_url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    engine, weights = _two_versions(db_url)
    _replace_weights(weights["v2"], weights["v1"])
    done = run(["models", "promote", "v2", "--db", db_url, "--no-rescore"], app_env)
    line = one_error_line(done)
    assert "recorded in the database" in line and "v2" in line
    assert mv.active_version(engine) is None  # nothing put in use


def test_info_shows_the_model_that_actually_loaded(tmp_path, app_env):
    from reviewer_app.core.model import registry

    db_url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    engine, weights = _two_versions(db_url)
    registry.promote(engine, "v2")
    done = run(["info", "--json", "--db", db_url], app_env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["detector_policy"]["model_version"] == "v2"

    _replace_weights(weights["v2"], weights["v1"])  # after promotion: caught when it loads
    done = run(["info", "--json", "--db", db_url], app_env)
    assert done.returncode == 0, done.stderr
    policy = json.loads(done.stdout)["detector_policy"]
    assert policy["model_version"] == "v1" and policy["fallback_from"] == "v2"
    assert "recorded in the database" in policy["fallback_reason"]
    assert policy["model_sha256"] == hashlib.sha256(weights["v1"].read_bytes()).hexdigest()


# ---- 12: the window without a display server, and Ctrl-C ----------------------------------------

def _free_display() -> str:
    for n in range(99, 200):
        if not os.path.exists(f"/tmp/.X11-unix/X{n}") and not os.path.exists(f"/tmp/.X{n}-lock"):
            return f":{n}"
    pytest.skip("no free X display number")


def test_display_set_but_no_server_is_one_line_and_exit_2(tmp_path, app_env):
    env = {k: v for k, v in app_env.items() if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["DISPLAY"] = _free_display()
    done = run(["gui", "--db", f"sqlite:///{tmp_path / 'lib.sqlite3'}"], env)
    assert done.returncode == 2, (done.returncode, done.stderr)  # not 134 (Qt's abort)
    line = one_error_line(done)
    assert "cannot connect to the X display" in line and env["DISPLAY"] in line
    assert "reinstall" not in done.stderr


def test_ctrl_c_closes_the_window_and_quits_cleanly(tmp_path, app_env):
    env = dict(app_env, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen(APP + ["gui", str(tmp_path / "absent.wav"), "--db", f"sqlite:///{tmp_path / 'g.sqlite3'}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the Qt platform plugin is loaded: the window is being made
            maps = Path(f"/proc/{proc.pid}/maps")
            if proc.poll() is not None or "libqoffscreen" in maps.read_text(errors="replace"):
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()
        time.sleep(2)  # into the event loop
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "error: interrupted" not in err  # the window's handler quit, not an exception through the CLI


# ---- 14: deep nesting, huge integers, wrong types, an over-long path -------------------------------

def _deep_json(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


def test_deep_or_huge_settings_are_one_line_errors(tmp_path, app_env):
    cases = {
        "deep.toml": ("a = " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
        "huge.toml": ("[asr]\nbeam_size = 1" + "0" * 5000 + "\n", "4300 digits"),
        "roles.toml": ('[channels]\nroles = ["agent", 1]\n', "channels.roles[1] = 1: must be a string"),
        "float.toml": ("[rules]\ndead_air_min_s = 1" + "0" * 400 + "\n", "must be a finite number"),
    }
    for name, (text, phrase) in cases.items():
        (tmp_path / name).write_text(text)
        line = one_error_line(run(["analyze", tmp_path / "x.wav", "--config", tmp_path / name], app_env))
        assert name in line and phrase in line, line


def test_deep_or_huge_truth_files_are_one_line_errors(tmp_path, app_env):
    pred = tmp_path / "pred"
    pred.mkdir()
    cases = {
        "deep": (_deep_json(), "nested too deeply"),
        "huge": ('{"segments": [{"start": 1' + "0" * 5000 + ', "end": 2, "category": "dead_air"}]}', "digits"),
        "types": ('{"segments": [{"start": "1", "end": 2, "category": "dead_air"}]}', "segment 0: 'start'"),
        "bounds": ('{"segments": [{"start": 5, "end": 2, "category": "dead_air"}]}', "segment 0: bad bounds 5..2"),
        "nan": ('{"segments": [{"start": NaN, "end": 2, "category": "dead_air"}]}', "must be finite"),
        "entry": ('{"segments": [{"start": 0, "end": 2, "category": "dead_air"}, 7]}', "segment 1"),
    }
    for name, (text, phrase) in cases.items():
        truth = tmp_path / name
        truth.mkdir()
        (truth / "c.json").write_text(text)
        line = one_error_line(run(["evaluate", "--truth", truth, "--pred", pred], app_env))
        assert "c.json" in line and phrase in line, line


def test_deep_model_json_is_a_one_line_error(tmp_path, app_env):
    db_url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    _, weights = _two_versions(db_url)
    weights["v2"].with_suffix(".json").write_text(_deep_json())
    line = one_error_line(run(["models", "promote", "v2", "--db", db_url, "--no-rescore"], app_env))
    assert "model.json" in line and "nested too deeply" in line


def test_an_over_long_path_to_analyze_is_one_line_naming_it_shortened(tmp_path, app_env):
    long = tmp_path / ("a" * 5000 + ".wav")
    done = run(["analyze", long, "--db", f"sqlite:///{tmp_path / 'lib.sqlite3'}"], app_env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "File name too long" in errors[0] and len(errors[0]) < 400


# ---- 15: a damaged database ---------------------------------------------------------------------

def _corrupt_table_pages(db_file: Path, tables=("calls", "segments")) -> None:
    con = sqlite3.connect(db_file)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    roots = [r for (r,) in con.execute(
        f"SELECT rootpage FROM sqlite_master WHERE name IN ({','.join('?' * len(tables))})", tables)]
    con.close()
    data = bytearray(db_file.read_bytes())
    for page in roots:
        data[(page - 1) * page_size:page * page_size] = b"\xa5" * page_size
    db_file.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [["queue"], ["export", "--format", "csv", "--out", "{out}"],
                                     ["dashboard", "--pattern", "(?P<agent>call)"]])
def test_a_damaged_database_is_one_line_naming_it(tmp_path, app_env, library, command):
    db_file = tmp_path / "lib.sqlite3"
    _corrupt_table_pages(db_file)
    out = tmp_path / "export"
    line = one_error_line(run([c.replace("{out}", str(out)) for c in command] + ["--db", library], app_env))
    assert str(db_file) in line and "malformed" in line, line
    assert not out.exists()


# ---- 16: full disk, read-only folder, a folder where a file should go ---------------------------

OUTPUTS = {  # command writing to {out}, and whether {out} is a folder (multi-file) or a file
    "export": (["export", "--format", "csv", "--out", "{out}"], True),
    "export-json": (["export", "--format", "json", "--out", "{out}"], True),
    "labels-export": (["labels", "export", "{out}"], False),
    "report": (["report", "1", "--pdf", "{out}"], False),
    "quality": (["quality", "--export", "{out}", "--grades", "high,medium,low"], False),
}


def _run_output(name, out, library, env):
    args, _ = OUTPUTS[name]
    return run([a.replace("{out}", str(out)) for a in args] + ["--db", library], env)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name not in ("filler", "filler2"))


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, app_env, library, mount, name):
    disk = mount("full", "size=64k")
    _fill(disk)
    line = one_error_line(_run_output(name, disk / "out", library, app_env))
    assert "No space left on device" in line and "out" in line, line
    assert _leftovers(disk) == []  # no .tmp, no staging folder, no partial set


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_a_read_only_folder_is_one_line_and_leaves_nothing(tmp_path, app_env, library, mount, name):
    disk = mount("ro", "size=1m")
    (disk / "kept.txt").write_text("already here")
    _remount_read_only(disk)  # chmod would not stop root: a read-only mount does
    line = one_error_line(_run_output(name, disk / "out", library, app_env))
    assert "Read-only file system" in line and str(disk) in line, line
    assert _leftovers(disk) == ["kept.txt"]


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_an_output_path_of_the_wrong_kind_is_one_line(tmp_path, app_env, library, name):
    _, is_folder = OUTPUTS[name]
    out = tmp_path / "out"
    if is_folder:
        out.write_text("a file where the export folder should be")
    else:
        (out / "inside").mkdir(parents=True)
    line = one_error_line(_run_output(name, out, library, app_env))
    assert str(out) in line and ("is a file, not a folder" if is_folder else "is a folder, not a file") in line
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_an_export_over_a_full_disk_keeps_the_previous_export_whole(tmp_path, app_env, library, mount):
    disk = mount("again", "size=256k")
    assert _run_output("export", disk / "out", library, app_env).returncode == 0
    before = {p.name: p.read_bytes() for p in (disk / "out").iterdir()}
    _fill(disk)
    one_error_line(_run_output("export-json", disk / "out", library, app_env))
    assert {p.name: p.read_bytes() for p in (disk / "out").iterdir()} == before
    assert [p.name for p in disk.iterdir() if p.name.startswith(".")] == []


KILLED_EXPORT = """
import os, signal, sys
from pathlib import Path
from reviewer_app.core.atomic import staged_folder
with staged_folder(sys.argv[1]) as stage:
    (stage / "calls.csv").write_text("one")
    (stage / "segments.csv").write_text("two")
    os.kill(os.getpid(), signal.SIGKILL)  # killed before the set is complete
"""


def test_a_killed_export_leaves_no_partial_set(tmp_path):
    out = tmp_path / "export"
    done = subprocess.run([sys.executable, "-c", KILLED_EXPORT, str(out)], capture_output=True)
    assert done.returncode == -signal.SIGKILL
    assert not out.exists()  # not half an export under the name
    stale = [p for p in tmp_path.iterdir() if p.name.startswith(".export.")]
    assert len(stale) == 1  # the dead process' staging folder, hidden ...

    from reviewer_app.core.atomic import staged_folder

    with staged_folder(out) as stage:  # ... and removed by the next export there
        (stage / "calls.csv").write_text("whole")
    assert [p.name for p in tmp_path.iterdir()] == ["export"] and (out / "calls.csv").read_text() == "whole"


def test_an_export_that_fails_halfway_leaves_the_folder_as_it_was(tmp_path):
    from reviewer_app.core.atomic import staged_folder

    out = tmp_path / "export"
    out.mkdir()
    (out / "calls.csv").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_folder(out) as stage:
            (stage / "calls.csv").write_text("new")
            raise RuntimeError("the second file failed")
    assert [p.name for p in tmp_path.iterdir()] == ["export"] and (out / "calls.csv").read_text() == "old"


# ---- 17: messages ---------------------------------------------------------------------------------

def test_a_ten_megabyte_value_is_not_echoed(tmp_path, app_env):
    config = tmp_path / "big.toml"
    config.write_text('[reviewer]\nname = "' + "x" * 10_000_000 + '\\u0007"\n')
    line = one_error_line(run(["analyze", tmp_path / "x.wav", "--config", config], app_env))
    assert "reviewer.name" in line and len(line) < 400


def test_file_names_cannot_forge_lines_or_control_the_terminal(tmp_path, app_env):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad\nerror: forged\x1b]0;owned\x07.wav").write_text("not audio at all\n" * 10)
    done = run(["analyze", folder, "--db", f"sqlite:///{tmp_path / 'lib.sqlite3'}"], app_env)
    assert done.returncode == 1
    assert "\x1b" not in done.stderr + done.stdout and "\x07" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "bad\\nerror: forged\\x1b]0;owned\\x07.wav" in errors[0], done.stderr
    assert not [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("error: forged")]


def test_a_read_only_database_says_so_and_names_it(tmp_path, app_env, library, mount):
    disk = mount("rodb", "size=4m")
    shutil.copy(tmp_path / "lib.sqlite3", disk / "lib.sqlite3")
    _remount_read_only(disk)
    for command in (["queue"], ["models", "list"]):
        line = one_error_line(run(command + ["--db", f"sqlite:///{disk / 'lib.sqlite3'}"], app_env))
        assert "read-only" in line and str(disk / "lib.sqlite3") in line, line


def test_a_closed_pipe_on_stdout_ends_quietly(tmp_path, app_env, library):
    proc = subprocess.Popen(APP + ["models", "list", "--json", "--db", library], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=app_env)
    proc.stdout.close()  # `| head` that already went away
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert proc.returncode == 141 and err == "", err
