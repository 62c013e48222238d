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


def test_import_runs_in_the_background_and_lists_failures(qtbot, window, tmp_path):
    """A real import: the ASR pipeline (Whisper tiny.en) on a worker, the window free meanwhile."""
    window.settings.asr.model, window.settings.asr.language = "tiny.en", "en"
    good = tmp_path / "copy_of_call.wav"
    good.write_bytes((Path(__file__).resolve().parents[1] / "fixtures" / "call_basic.wav").read_bytes()[:-2])
    broken = tmp_path / "broken.wav"
    broken.write_text("this is not audio")
    progress = []
    window.importer.progress.connect(lambda i, n, f, m: progress.append((i, n, round(f, 2), m)))
    with qtbot.waitSignal(window.importer.finished, timeout=120_000) as blocker:
        window.import_paths([str(tmp_path)], open_first=True)
        assert window.library.progress.isVisible()  # the window is free while it runs
    outcomes = blocker.args[0]
    assert [Path(o.path).name for o in outcomes] == ["broken.wav", "copy_of_call.wav"]
    lines = [window.library.failures.item(i).text() for i in range(window.library.failures.count())]
    assert len(lines) == 1 and "broken.wav" in lines[0] and "not an audio file" in lines[0]
    assert any(m.endswith("transcribing agent channel") and 0.1 < f < 0.9 for i, n, f, m in progress)
    assert {n for _i, n, _f, _m in progress} == {2}
    assert window.library.proxy.rowCount() == 3
    qtbot.waitUntil(lambda: not window.library.progress.isVisible(), timeout=5000)  # hidden once the lane is idle
    qtbot.waitUntil(lambda: window.controller.session is not None, timeout=5000)
    assert window.controller.session.call.path.endswith("copy_of_call.wav")


def test_import_can_be_cancelled(qtbot, window, tmp_path):
    """Cancel while Whisper transcribes: the import stops, and the cancelled call is not stored."""
    window.settings.asr.model, window.settings.asr.language = "tiny.en", "en"
    (tmp_path / "a.wav").write_bytes((Path(__file__).resolve().parents[1] / "fixtures" / "call_basic.wav")
                                     .read_bytes()[:-4])
    before = window.library.proxy.rowCount()
    errors = []
    window.importer.failed.connect(errors.append)
    transcribing = []
    window.importer.progress.connect(lambda i, n, f, m: transcribing.append(m) if "transcribing" in m else None)
    with qtbot.waitSignal(window.importer.running, timeout=120_000, check_params_cb=lambda on: not on):
        window.import_paths([str(tmp_path / "a.wav")])
        qtbot.waitUntil(lambda: bool(transcribing), timeout=60_000)
        window.library.cancel_button.click()
    assert window.library.proxy.rowCount() == before
    assert errors == ["Import cancelled."]
