"""Library: stored calls with status, score, grade, duration, problems and date; filter and sort;
import in the background with per-file progress and failures listed with their reason."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from reviewer_app.core.domain import AudioInfo, CallAnalysis, CallScore, Segment
from reviewer_app.core.progress import Progress
from reviewer_app.gui.models.library_model import COLUMNS


def cell(panel, row, column):
    return panel.proxy.index(row, COLUMNS.index(column)).data()


def test_columns_filter_and_sort(qtbot, window):
    panel = window.library
    assert panel.proxy.rowCount() == 2
    panel.table.sortByColumn(COLUMNS.index("Score"), Qt.SortOrder.AscendingOrder)
    assert [cell(panel, r, "Score") for r in range(2)] == ["71", "98"]
    assert cell(panel, 0, "Grade") == "medium" and cell(panel, 0, "Duration") == "0:40"
    assert cell(panel, 0, "Problems") == "3" and cell(panel, 0, "Status") == "new"
    assert cell(panel, 0, "Analysed")[:2] == "20"
    panel.filter_edit.setText("overtalk")
    assert panel.proxy.rowCount() == 1 and cell(panel, 0, "File") == "call_basic.wav"
    panel.filter_edit.setText("")
    panel.status_combo.setCurrentIndex(panel.status_combo.findData("reviewed"))
    assert panel.proxy.rowCount() == 0
    panel.status_combo.setCurrentIndex(0)
    assert panel.proxy.rowCount() == 2


def test_activating_a_row_opens_the_call(qtbot, window):
    panel = window.library
    panel.filter_edit.setText("mono")
    with qtbot.waitSignal(window.callReady, timeout=20_000):
        panel.table.doubleClicked.emit(panel.proxy.index(0, 0))
    assert window.controller.session.call.path.endswith("call_noisy_mono.wav")
    assert [lane.role for lane in window.signal_view._lanes] == ["both", "spectrogram"]


def fake_analyze(path, settings, cancel=None, sha256=None):
    """Stands in for the ASR pipeline: yields progress, returns a small analysis."""
    yield Progress(0, 100, "decoding")
    if "broken" in str(path):
        from reviewer_app.core.audio.decode import decode_audio

        decode_audio(path)  # raises AudioError naming the file and the cause
    yield Progress(50, 100, "transcribing agent channel")
    info = AudioInfo(str(path), sha256, 39.86, 8000, 2, ("customer", "agent"))
    return CallAnalysis(info, "en", [], [Segment(1.0, 6.0, "both", "dead_air", 0.9, "rule", "silence")],
                        CallScore(96, "high", {}), {}, {"app": "test"})


def test_import_runs_in_the_background_and_lists_failures(qtbot, window, tmp_path, monkeypatch):
    import reviewer_app.core.batch as batch

    monkeypatch.setattr(batch, "analyze", fake_analyze)
    good = tmp_path / "copy_of_call.wav"
    good.write_bytes((Path(__file__).resolve().parents[1] / "fixtures" / "call_basic.wav").read_bytes()[:-2])
    broken = tmp_path / "broken.wav"
    broken.write_text("this is not audio")
    progress = []
    window.importer.progress.connect(lambda i, n, f, m: progress.append((i, n, round(f, 2), m)))
    with qtbot.waitSignal(window.importer.finished, timeout=30_000) as blocker:
        window.import_paths([str(tmp_path)], open_first=True)
        assert window.library.progress.isVisible()  # the window is free while it runs
    outcomes = blocker.args[0]
    assert [Path(o.path).name for o in outcomes] == ["broken.wav", "copy_of_call.wav"]
    lines = [window.library.failures.item(i).text() for i in range(window.library.failures.count())]
    assert len(lines) == 1 and "broken.wav" in lines[0] and "not an audio file" in lines[0]
    assert any(m.endswith("transcribing agent channel") and f == 0.5 for i, n, f, m in progress)
    assert {n for _i, n, _f, _m in progress} == {2}
    assert window.library.proxy.rowCount() == 3
    assert not window.library.progress.isVisible()
    qtbot.waitUntil(lambda: window.controller.session is not None, timeout=5000)
    assert window.controller.session.call.path.endswith("copy_of_call.wav")


def test_import_can_be_cancelled(qtbot, window, tmp_path, monkeypatch):
    import reviewer_app.core.batch as batch

    def slow(path, settings, cancel=None, sha256=None):
        for k in range(200):
            yield Progress(k, 200, "working")
            cancel.raise_if_cancelled()
            import time

            time.sleep(0.01)
        raise AssertionError("should have been cancelled")

    monkeypatch.setattr(batch, "analyze", slow)
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    errors = []
    window.importer.failed.connect(errors.append)
    with qtbot.waitSignal(window.importer.running, timeout=30_000, check_params_cb=lambda on: not on):
        window.import_paths([str(tmp_path / "a.wav")])
        qtbot.wait(100)
        window.library.cancel_button.click()
    assert errors == ["Import cancelled."]
