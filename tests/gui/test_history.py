"""The History dock on a real window and database: it lists who changed what, and Revert works on a
change made before the window was closed and opened again (the audit log is the memory, not the session)."""
from __future__ import annotations

from reviewer_app.core.storage import LabelStore, find_call, load_segments


def _settle(qtbot, window):
    qtbot.waitUntil(lambda: window.ops.idle, timeout=20_000)


def _open(qtbot, window, call):
    with qtbot.waitSignal(window.callReady, timeout=20_000):
        assert window.open_call(call)
    _settle(qtbot, window)


def test_revert_from_history_after_closing_and_reopening(qtbot, engine, settings, calls, tmp_path):
    from reviewer_app.gui.main_window import MainWindow

    first = MainWindow(engine, settings, str(tmp_path / "settings.toml"), db_label="test db")
    qtbot.addWidget(first)
    first.show()
    _settle(qtbot, first)
    _open(qtbot, first, calls["basic"])
    call_id = calls["basic"].id
    target = first.controller.session.segments[0]
    assert first.controller.reject(target.id)
    _settle(qtbot, first)
    rejected = find_call(engine, calls["basic"].sha256)
    assert rejected.score_source == "reviewed" and rejected.score_value > rejected.detector_score
    # the library shows the same number, beside the detector's
    from reviewer_app.gui.models.library_model import COLUMNS

    score_cell = first.library_model.index(first.library_model.row_of(call_id), COLUMNS.index("Score"))
    qtbot.waitUntil(lambda: score_cell.data() == f"{rejected.detector_score} → {rejected.score_value}", timeout=5_000)
    assert f"reviewed {rejected.score_value}" in first.windowTitle()
    qtbot.waitUntil(lambda: len(first.history.panel.lines) == 1, timeout=10_000)
    line = first.history.panel.lines[0]
    assert "predicted → rejected" in line.what and line.reviewer == "tester"
    first.close()
    first.ops.wait(10_000)

    settings.reviewer.name = "second"  # another reviewer, another day
    again = MainWindow(engine, settings, str(tmp_path / "settings.toml"), db_label="test db")
    qtbot.addWidget(again)
    again.show()
    _settle(qtbot, again)
    _open(qtbot, again, find_call(engine, calls["basic"].sha256))
    qtbot.waitUntil(lambda: len(again.history.panel.lines) == 1, timeout=10_000)
    assert not again.history.panel.revert_button.isEnabled()
    again.history.panel.table.selectRow(0)
    assert again.history.panel.revert_button.isEnabled()
    again.history.panel.revert_button.click()
    _settle(qtbot, again)
    seg = next(s for s in load_segments(engine, call_id) if s.id == target.id)
    assert seg.status == "predicted"
    events = LabelStore(engine).events(call_id)
    assert [(e.action, e.reviewer) for e in events] == [("reject", "tester"), ("revert", "second")]
    back = find_call(engine, calls["basic"].sha256)
    assert back.score_value < rejected.score_value  # the rejected finding deducts again
    qtbot.waitUntil(lambda: len(again.history.panel.lines) == 2, timeout=10_000)
    assert again.history.panel.lines[0].what.startswith("Revert of #")
    assert again.controller.session.get(target.id).status == "predicted"  # the view was reloaded
    again.player.stop()
    again.ops.wait(10_000)
