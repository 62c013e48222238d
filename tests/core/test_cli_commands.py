"""The smaller CLI commands, run as the user runs them (subprocesses, real files)."""
from __future__ import annotations

import json
import subprocess
import sys
import wave

import numpy as np

from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.repository import list_calls
from tests.conftest import FIXTURES

APP = [sys.executable, "-m", "reviewer_app"]


def run(args, env=None):
    return subprocess.run(APP + args, capture_output=True, text=True, env=env)


def test_info_json_names_model_device_and_folders(app_env):
    done = run(["info", "--json"], env=app_env)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["app_version"] == "0.1.0"
    assert info["data_dir"] == app_env["REVIEWER_APP_DATA_DIR"]
    assert info["database_url"].startswith("sqlite:///") and info["database_url"].endswith("reviewer.sqlite3")
    assert info["asr_model"] == "whisper-base"
    with open(f"{info['asr_model_path']}/config.json") as fh:
        assert "alignment_heads" in json.load(fh)
    assert info["device"] in ("cpu", "cuda")
    assert info["libraries"]["torch"].startswith("2.11") and info["libraries"]["torchaudio"].startswith("2.11")
    assert "gpu" in info
    policy = info["detector_policy"]
    assert policy["model_version"] == "default"
    # nothing reviewed yet: the model decides only what it earned on held-out real calls, with both F1s
    assert policy["categories"]["missing_greeting"]["source"] == "rules"
    assert policy["model_decides"]  # a fresh install meets the model where it earned a category
    for cat in policy["model_decides"]:
        row = policy["categories"][cat]
        assert row["source"] == "model" and row["model_f1"] >= row["rule_f1"] and "held-out real" in row["reason"]


def test_info_masks_a_database_password(app_env):
    done = run(["info", "--json", "--db", "postgresql://qa:secret@db.invalid/qa"], env=app_env)
    assert done.returncode == 0, done.stderr
    assert "secret" not in done.stdout and "***" in done.stdout
    assert "cannot open database" in json.loads(done.stdout)["detector_policy"]["error"]


def test_six_channel_file_is_analysed_on_its_first_two_channels(tmp_path, app_env):
    with wave.open(str(FIXTURES / "call_basic.wav")) as src:
        rate, frames = src.getframerate(), np.frombuffer(src.readframes(src.getnframes()), "<i2").reshape(-1, 2)
    six = np.concatenate([frames, np.zeros((len(frames), 4), dtype="<i2")], axis=1)
    path = tmp_path / "surround call.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(6), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(six.tobytes())
    db = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    done = run(["analyze", str(path), "--asr-model", "tiny.en", "--language", "en", "--db", db,
                "--out", str(tmp_path)], env=app_env)
    assert done.returncode == 0, done.stderr
    assert "6 channels; analysed the first two only" in done.stderr
    report = json.loads((tmp_path / "surround call.json").read_text())
    assert report["audio"]["channels"] == 6 and report["audio"]["roles"] == ["customer", "agent"]
    assert {t["role"] for t in report["transcript"]} == {"customer", "agent"}
    assert [c.path for c in list_calls(open_database(db))] == [str(path)]


def test_bad_config_and_bad_channels_are_one_line_errors(tmp_path, app_env):
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules]\nfoo = 1\n")
    done = run(["analyze", str(FIXTURES / "call_basic.wav"), "--config", str(bad)], env=app_env)
    assert done.returncode == 1 and done.stderr.strip().count("\n") == 0
    assert "bad.toml" in done.stderr and "unknown key 'foo'" in done.stderr
    done = run(["analyze", str(FIXTURES / "call_basic.wav"), "--channels", "agent,boss"], env=app_env)
    assert done.returncode == 1 and "--channels" in done.stderr and "Traceback" not in done.stderr


def test_evaluate_prints_per_category_scores(tmp_path):
    truth, pred = tmp_path / "t", tmp_path / "p"
    truth.mkdir(), pred.mkdir()
    (truth / "c.json").write_text(json.dumps({"segments": [{"start": 1, "end": 7, "category": "dead_air"}]}))
    (pred / "c.json").write_text(json.dumps({"segments": [{"start": 2, "end": 6, "category": "dead_air"}]}))
    done = run(["evaluate", "--truth", str(truth), "--pred", str(pred), "--json"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["dead_air"]["f1"] == 1.0
    done = run(["evaluate", "--truth", str(tmp_path / "none"), "--pred", str(pred)])
    assert done.returncode == 1 and "not a folder" in done.stderr
