"""Start-up: no display -> one line and a non-zero status; shortcuts sheet; settings dialog."""
from __future__ import annotations

import os
import subprocess
import sys

from reviewer_app.core.settings import load_settings
from reviewer_app.gui.actions import ACTIONS
from reviewer_app.gui.app import display_problem


def test_display_detection():
    assert display_problem({}, "linux") and "DISPLAY" in display_problem({}, "linux")
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    if not os.path.exists("/tmp/.X11-unix/X99"):  # DISPLAY set but no X server there: checked, not trusted
        assert "cannot connect to the X display" in display_problem({"DISPLAY": ":99"}, "linux")
    assert display_problem({"DISPLAY": ":99", "QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert display_problem({}, "darwin") is None


def test_run_gui_without_a_display_prints_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["REVIEWER_APP_DATA_DIR"] = str(tmp_path)
    for args in ([], ["gui", "call.wav"]):  # `reviewer-app` and `reviewer-app gui FILE`
        done = subprocess.run([sys.executable, "-m", "reviewer_app", *args], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 2
        assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
        assert "no display" in done.stderr


def test_create_window_opens_files_given(qtbot, engine, db_url, calls, tmp_path):
    from reviewer_app.gui.app import create_window

    _app, win = create_window([calls["basic"].path], db_url, None)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.controller.session is not None, timeout=20_000)  # already analysed: skipped
    assert win.controller.session.call.id == calls["basic"].id
    qtbot.waitUntil(lambda: win.calls.audio is not None, timeout=20_000)
    win.close()


def test_shortcuts_sheet_lists_every_key(qtbot, window):
    from reviewer_app.gui.dialogs.shortcuts_dialog import shortcuts_html

    html = shortcuts_html()
    for spec in ACTIONS:
        for key in spec.keys:
            assert key.replace("&", "&amp;").replace("<", "&lt;") in html
    for spec in ACTIONS:
        action = window.act[spec.name]
        assert [k.toString() for k in action.shortcuts()] == [
            k.toString() for k in map(__import__("PySide6.QtGui").QtGui.QKeySequence, spec.keys)]
    keys = [k for spec in ACTIONS for k in spec.keys]
    assert len(keys) == len(set(keys)), "two actions share a key"


def test_settings_dialog_round_trip(qtbot, window, tmp_path):
    from reviewer_app.core.settings import save_settings
    from reviewer_app.gui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(window.settings, str(tmp_path / "s.toml"))
    qtbot.addWidget(dialog)
    dialog.reviewer_edit.setText("maria")
    dialog.left_role.setCurrentText("agent")
    assert dialog.right_role.currentText() == "customer"
    dialog._rule_boxes["dead_air_min_s"].setValue(7.5)
    dialog._lexicons["forbidden"].setPlainText("shut up\n\n  not my job  ")
    dialog._weight_boxes["overtalk"].setValue(3)
    result = dialog.result_settings()
    save_settings(result, tmp_path / "s.toml")
    again = load_settings(tmp_path / "s.toml")
    assert again.reviewer.name == "maria" and again.channels.roles == ["agent", "customer"]
    assert again.rules.dead_air_min_s == 7.5 and again.lexicon.forbidden == ["shut up", "not my job"]
    assert again.score.weights["overtalk"] == 3
    dialog.reviewer_edit.setText(" ")
    dialog.accept()
    assert "reviewer name" in dialog.error_label.text() and dialog.settings_result is None
    assert dialog.rerun_button.isEnabled()
