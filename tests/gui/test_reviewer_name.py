"""Who is reviewing: asked on first start (OS user name as default) and kept in the settings file, shown
in the status bar where a click changes it, overridden by --reviewer; label changes are recorded under it."""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from reviewer_app.core.settings import load_settings
from reviewer_app.core.storage import LabelStore


def _close(qtbot, win):
    win.player.stop()
    win.close()
    win.ops.wait(10_000)


def test_first_start_asks_for_the_name_and_keeps_it(qtbot, db_url, calls):
    from reviewer_app.gui.app import create_window, default_settings_path
    from reviewer_app.gui.reviewer_name import os_user_name

    assert not default_settings_path().exists()
    _app, win = create_window([], db_url)
    qtbot.addWidget(win)
    dialog = win.reviewer_name.reviewer_dialog
    assert dialog is not None and dialog.isVisible() and dialog.textValue() == os_user_name()
    dialog.setTextValue("  Ana   Lima ")
    dialog.accept()
    assert load_settings(default_settings_path()).reviewer.name == "Ana Lima"
    assert "Reviewer: Ana Lima" in win.reviewer_name.label.text()
    with qtbot.waitSignal(win.callReady, timeout=20_000):
        win.open_call(calls["basic"])
    sid = win.controller.session.segments[0].id
    win.controller.confirm(sid)
    qtbot.waitUntil(lambda: win.ops.idle, timeout=20_000)
    assert [e.reviewer for e in LabelStore(win.engine).events(calls["basic"].id)] == ["Ana Lima"]
    _close(qtbot, win)

    _app, again = create_window([], db_url)  # the second start asks nothing
    qtbot.addWidget(again)
    assert again.reviewer_name.reviewer_dialog is None and again.settings.reviewer.name == "Ana Lima"
    _close(qtbot, again)

    _app, other = create_window([], db_url, reviewer="Bo")  # --reviewer overrides, the file keeps its name
    qtbot.addWidget(other)
    assert other.reviewer_name.reviewer_dialog is None and "Reviewer: Bo" in other.reviewer_name.label.text()
    assert load_settings(default_settings_path()).reviewer.name == "Ana Lima"
    _close(qtbot, other)


def test_a_click_on_the_status_bar_name_changes_it(qtbot, window, tmp_path):
    window.statusBar().show()
    qtbot.mouseClick(window.reviewer_name.label, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    dialog = window.reviewer_name.reviewer_dialog
    assert dialog is not None and dialog.isVisible() and dialog.textValue() == "tester"
    dialog.setTextValue("Cruz")
    dialog.accept()
    assert window.settings.reviewer.name == "Cruz" and "Reviewer: Cruz" in window.reviewer_name.label.text()
    assert load_settings(tmp_path / "settings.toml").reviewer.name == "Cruz"


def test_gui_command_takes_reviewer(monkeypatch):
    from reviewer_app.cli import commands

    seen = {}
    monkeypatch.setattr("reviewer_app.gui.app.run_gui", lambda *a: seen.setdefault("args", a) and 0)
    args = commands.build_parser().parse_args(["gui", "a.wav", "--db", "sqlite://", "--reviewer", "Bo"])
    args.func(args)
    assert seen["args"] == (["a.wav"], "sqlite://", None, "Bo")
