"""The team commands as a user runs them: export, import, report, dashboard, queue, quality, whatif, and analyze's summary."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from reviewer_app.cli import team as cli_team
from reviewer_app.cli import main
from reviewer_app.core.exchange import EXPORT_FORMATS, IMPORT_FORMATS
from reviewer_app.core.exchange.library import iter_records
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.team.queue import STRATEGIES
from tests.conftest import FIXTURES
from tests.core.test_team_sample_library import PATTERN, build_library, review_basic


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    engine = open_database(url)
    ids = build_library(engine)
    review_basic(engine, ids["basic"])
    engine.dispose()
    return url


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_choices_match_the_core():
    assert cli_team.EXPORT_FORMATS == tuple(EXPORT_FORMATS)
    assert cli_team.IMPORT_FORMATS == IMPORT_FORMATS and cli_team.STRATEGIES == STRATEGIES


def test_export_edit_in_audacity_and_import(db, tmp_path, capsys):
    code, out, _ = run(capsys, "export", "--db", db, "--format", "audacity", "--out", str(tmp_path / "aud"))
    assert code == 0 and out.strip() == f"wrote 10 audacity file(s) to {tmp_path / 'aud'}"
    track = tmp_path / "aud" / "call_noisy_mono.txt"
    lines = track.read_text().splitlines()
    assert len(lines) == 4 and "reviewer-app export" in lines[0]  # the export stamp, then the findings
    # the reviewer drops the noise finding and marks a repetition, as one does in Audacity
    track.write_text("\n".join([lines[0], lines[1], lines[3], "20.5\t24.0\trepetition"]) + "\n")
    code, out, _ = run(capsys, "import", str(track), "--db", db, "--format", "audacity", "--reviewer", "qa-lead")
    assert code == 0
    assert out.strip() == "imported as qa-lead: 1 call(s): 2 confirmed, 0 edited, 1 added, 1 rejected, 0 deleted, " \
                          "0 unchanged"
    mono = next(r for r in iter_records(open_database(db)) if r.stem == "call_noisy_mono")
    assert [(s.category, s.status, s.reviewer) for s in mono.segments if s.status != "predicted"] == [
        ("poor_audio", "confirmed", "qa-lead"), ("poor_audio", "rejected", "qa-lead"),
        ("poor_audio", "confirmed", "qa-lead"), ("repetition", "added", "qa-lead")]
    code, _, err = run(capsys, "import", str(tmp_path / "nothing.txt"), "--db", db, "--format", "audacity")
    assert code == 1 and err.startswith("error: ") and "no such file" in err


def test_report_dashboard_queue_quality(db, tmp_path, capsys):
    code, out, _ = run(capsys, "report", "1", "--db", db, "--pdf", str(tmp_path / "card.pdf"))
    assert code == 0 and "call_basic.wav scores 86 (high), 4 problem(s)" in out
    assert (tmp_path / "card.pdf").read_bytes()[:5] == b"%PDF-"

    code, out, _ = run(capsys, "dashboard", "--db", db, "--pattern", PATTERN, "--pdf", str(tmp_path / "dash.pdf"))
    assert code == 0 and (tmp_path / "dash.pdf").stat().st_size > 10_000
    assert out.splitlines()[3].split() == ["bob", "north", "2", "92.0", "59%", "145", "wpm", "13.3%", "3.3%"]
    assert "2 call(s) without an agent were left out" in out
    code, _, err = run(capsys, "dashboard", "--db", db)
    assert code == 1 and "--pattern REGEX or --agents-csv FILE" in err

    code, out, _ = run(capsys, "queue", "--db", db, "--limit", "3", "--json")
    items = json.loads(out)
    assert code == 0 and len(items) == 3 and items[0]["reason"].startswith("model:v1 score 0.52")
    code, out, _ = run(capsys, "queue", "--db", db, "--strategy", "lowest", "--limit", "2")
    assert "(whole call)" in out and out.splitlines()[0].split()[:3] == ["#", "call", "file"]

    code, out, err = run(capsys, "quality", "--db", db, "--export", str(tmp_path / "clean.csv"))
    mono = next(line.split() for line in out.splitlines() if line.startswith("call_noisy_mono.wav"))
    assert code == 0 and mono[1:3] == ["medium", "68"] and "wrote 9 high clip(s) of 10" in err
    assert len((tmp_path / "clean.csv").read_text(encoding="utf-8-sig").splitlines()) == 10
    code, _, err = run(capsys, "quality", "--db", db, "--export", str(tmp_path / "x.txt"), "--grades", "great")
    assert code == 1 and "unknown grade(s) great" in err


def test_whatif_prints_changes_per_category(db, tmp_path, capsys):
    config = tmp_path / "stricter.toml"
    config.write_text("[rules]\ndead_air_min_s = 8.0\n")
    code, out, err = run(capsys, "whatif", "--config", str(config), "--db", db)
    assert code == 0 and err.count("warning: skipped") == 8
    row = next(line.split() for line in out.splitlines() if line.startswith("dead_air"))
    assert row == ["dead_air", "1", "0", "+0", "-1", "0", "1", "0"]
    assert "2 call(s) compared" in out
    config.write_text("[rules]\ndead_air_min = 8.0\n")
    code, _, err = run(capsys, "whatif", "--config", str(config), "--db", db)
    assert code == 1 and "unknown key 'dead_air_min'" in err


def test_batch_then_report_on_a_new_recording(tmp_path, app_env):
    """A real run: tiny.en ASR once, a summary table; run again, nothing is analysed twice."""
    audio = tmp_path / "calls" / "call_basic.wav"
    audio.parent.mkdir()
    shutil.copy(FIXTURES / "call_basic.wav", audio)
    shutil.copy(FIXTURES / "call_noisy_mono.truth.json", audio.parent / "not audio.wav")
    db = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    app = [sys.executable, "-m", "reviewer_app"]
    args = ["analyze", str(audio.parent), "--db", db, "--asr-model", "tiny.en", "--language", "en"]
    done = subprocess.run(app + args, capture_output=True, text=True, env=app_env)
    assert done.returncode == 1, done.stderr  # one file is not audio
    assert "error: " in done.stderr and "not audio.wav" in done.stderr
    table = done.stdout.splitlines()
    assert table[0].split() == ["file", "state", "seconds", "score", "grade", "problems"]
    basic = next(line for line in table if line.startswith("call_basic.wav"))
    assert "analysed" in basic and "dead_air 1" in basic
    assert table[-1].startswith("2 file(s): 1 analysed, 0 already analysed, 1 failed; 0.7 min of audio; mean score")
    again = subprocess.run(app + args, capture_output=True, text=True, env=app_env)
    assert "1 already analysed" in again.stdout.splitlines()[-1]

    pdf = tmp_path / "card.pdf"
    done = subprocess.run(app + ["report", str(audio), "--db", db, "--pdf", str(pdf)], capture_output=True,
                          text=True, env=app_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {pdf}: call_basic.wav scores ") and pdf.stat().st_size > 10_000
