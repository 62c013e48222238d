"""One real end-to-end run of `reviewer-app analyze`: real audio, real Whisper (tiny.en), real SQLite.

Good and bad files go through one invocation, as a QA team would run a folder overnight: every bad
file gets one clear line naming it, the good call is fully analysed, stored and written as JSON,
and nothing of the bad files reaches the database.
"""
from __future__ import annotations

import json
import math
import shutil
import struct
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from reviewer_app.core.evaluate import overlaps_enough
from reviewer_app.core.storage.db import open_database
from tests.conftest import FIXTURES

APP = [sys.executable, "-m", "reviewer_app"]


def _write_wav(path: Path, samples: np.ndarray, rate: int = 8000, width: int = 2) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1 if samples.ndim == 1 else samples.shape[0])
        w.setsampwidth(width)
        w.setframerate(rate)
        data = samples if samples.ndim == 1 else samples.T.reshape(-1)
        w.writeframes((np.clip(data, -1, 1) * 32767).astype("<i2").tobytes())


def _float_wav_of_nan(path: Path, n: int = 8000) -> None:
    data = struct.pack(f"<{n}f", *([math.nan] * n))
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 3, 1, 8000, 32000, 4, 32) + b"data" + struct.pack("<I", len(data))
    path.write_bytes(header + data)


def make_bad_inputs(folder: Path) -> dict[str, str]:
    """Bad files and a phrase their error line must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.wav").write_bytes(b"")
    (folder / "random.wav").write_bytes(np.random.default_rng(0).bytes(5000))
    (folder / "notes.wav").write_text("this is a text file, not audio\n" * 20)
    _write_wav(folder / "zero_frames.wav", np.zeros(0))
    _write_wav(folder / "one_sample.wav", np.zeros(1))
    _float_wav_of_nan(folder / "nan.wav")
    good = folder / "truncated source.wav"
    _write_wav(good, 0.1 * np.sin(np.arange(16000) / 5))
    (folder / "truncated.wav").write_bytes(good.read_bytes()[:30])  # cut inside the header
    good.unlink()
    return {
        "empty.wav": "empty",
        "random.wav": "",
        "notes.wav": "text",
        "zero_frames.wav": "no audio",
        "one_sample.wav": "short",
        "nan.wav": "NaN",
        "truncated.wav": "",
    }


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    folder = root / "calls ünïcode"
    expected_errors = make_bad_inputs(folder)
    shutil.copy(FIXTURES / "call_basic.wav", folder / "call basic 通话.wav")
    db_url = f"sqlite:///{root / 'lib.sqlite3'}"
    out = root / "out"
    cmd = APP + ["analyze", str(folder), str(root / "missing.wav"), "--asr-model", "tiny.en",
                 "--language", "en", "--db", db_url, "--out", str(out)]
    env_data = root / "appdata"
    done = subprocess.run(cmd, capture_output=True, text=True, env={**_env(), "REVIEWER_APP_DATA_DIR": str(env_data)})
    return {"done": done, "folder": folder, "db_url": db_url, "out": out, "errors": expected_errors,
            "cmd": cmd, "root": root}


def _env():
    import os

    return dict(os.environ)


def test_bad_files_get_one_line_each_and_the_run_fails(batch_run):
    done = batch_run["done"]
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    error_lines = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    for name, phrase in batch_run["errors"].items():
        lines = [line for line in error_lines if name in line]
        assert len(lines) == 1, (name, done.stderr)
        assert phrase.lower() in lines[0].lower(), lines[0]
    assert any("missing.wav" in line and "no such file" in line.lower() for line in error_lines)
    assert len(error_lines) == len(batch_run["errors"]) + 1


def test_the_good_call_is_analysed_stored_and_written(batch_run):
    report = json.loads((batch_run["out"] / "call basic 通话.json").read_text(encoding="utf-8"))
    truth = json.loads((FIXTURES / "call_basic.truth.json").read_text(encoding="utf-8"))
    assert report["audio"]["channels"] == 2 and report["audio"]["roles"] == ["customer", "agent"]
    assert report["language"] == "en"
    agent_text = " ".join(t["text"].lower() for t in report["transcript"] if t["role"] == "agent")
    assert "thank you for calling" in agent_text
    for category in ("dead_air", "overtalk", "forbidden_phrase"):
        expected = [t for t in truth["segments"] if t["category"] == category]
        found = [s for s in report["segments"] if s["category"] == category]
        assert expected, category
        for t in expected:
            assert any(overlaps_enough((s["start"], s["end"]), (t["start"], t["end"])) for s in found), (
                category, t, found)
    assert not [s for s in report["segments"] if s["category"] == "missing_greeting"]
    assert 0 <= report["score"]["value"] < 100 and report["score"]["grade"] in ("high", "medium", "low")
    assert set(report["timings_s"]) >= {"decode", "asr", "features", "rules", "total"}
    assert report["versions"]["asr_model"] == "whisper-tiny.en"

    engine = open_database(batch_run["db_url"])
    with engine.connect() as c:
        calls = c.execute(text("select sha256, path from calls")).all()
        assert [row.sha256 for row in calls] == [report["audio"]["sha256"]]  # nothing of the bad files
        n_segments = c.execute(text("select count(*) from segments")).scalar()
        n_words = c.execute(text("select count(*) from words")).scalar()
    assert n_segments == len(report["segments"])
    assert n_words == sum(len(t["words"]) for t in report["transcript"])


def test_running_again_redoes_nothing_already_complete(batch_run):
    good = batch_run["folder"] / "call basic 通话.wav"
    done = subprocess.run(APP + ["analyze", str(good), "--asr-model", "tiny.en", "--db", batch_run["db_url"]],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "1 file(s): 0 analysed, 1 already analysed, 0 failed" in done.stdout
