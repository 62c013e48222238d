"""A window import analyses on the analysis lane and stores each call on the serial write lane,
the thread of every other write of the window (so two writes never race)."""
from __future__ import annotations

import threading
from pathlib import Path

from gui_builders import settle
from reviewer_app.core.storage import repository
from reviewer_app.gui.ops import Lane

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "call_basic.wav"


def test_an_imported_call_is_saved_on_the_write_lane(qtbot, window, tmp_path, monkeypatch):
    window.settings.asr.model, window.settings.asr.language = "tiny.en", "en"
    (tmp_path / "again.wav").write_bytes(FIXTURE.read_bytes()[:-2])  # other bytes: a new call
    saved_on = []
    real_save = repository.save_analysis_report

    def save(*args, **kwargs):  # the real save, noting the thread it runs on
        saved_on.append(threading.get_ident())
        return real_save(*args, **kwargs)

    monkeypatch.setattr(repository, "save_analysis_report", save)
    write_lane = []
    window.ops.write(lambda _c: write_lane.append(threading.get_ident()))
    analysis_lane = []
    window.ops.run(lambda _c: analysis_lane.append(threading.get_ident()), lane=Lane.ANALYSIS)
    settle(qtbot, window)
    with qtbot.waitSignal(window.importer.finished, timeout=120_000) as blocker:
        window.import_paths([str(tmp_path / "again.wav")])
    (outcome,) = blocker.args[0]
    assert outcome.error is None and not outcome.skipped
    assert saved_on == write_lane  # one save, on the write lane's thread...
    assert saved_on != analysis_lane  # ...not on the analysis lane's, where the call was analysed
    assert window.library_model.find_sha(outcome.analysis.audio.sha256) is not None
