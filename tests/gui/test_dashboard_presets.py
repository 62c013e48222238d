"""Dashboard: when the pattern names no agent it says so plainly; a preset that fits the file names groups
the calls (here: the folder the calls sit in)."""
from __future__ import annotations

from pathlib import Path

from reviewer_app.core.team.metadata import PATTERN_PRESETS


def test_no_match_is_said_plainly_and_a_preset_groups(qtbot, window, calls):
    from reviewer_app.gui.dialogs.dashboard_dialog import DashboardDialog

    dialog = DashboardDialog(window.engine, window.settings, window.ops, window)
    qtbot.addWidget(dialog)
    dialog.refresh()  # the default date_team_agent_ pattern: the fixture files are not named so
    qtbot.waitUntil(lambda: window.ops.idle, timeout=20_000)
    text = dialog.status.text()
    assert text.startswith("Nothing to show") and "no stored call's path matches" in text
    assert "preset" in text and dialog.table.rowCount() == 0
    folder = next(i for i in range(dialog.presets.count()) if dialog.presets.itemText(i).startswith("agent = "))
    dialog.presets.setCurrentIndex(folder)
    dialog.presets.activated.emit(folder)
    qtbot.waitUntil(lambda: window.ops.idle, timeout=20_000)
    assert dialog.pattern_edit.text() == PATTERN_PRESETS[dialog.presets.itemText(folder)]
    assert dialog.table.rowCount() == 1  # both fixture calls sit in tests/fixtures
    assert dialog.table.item(0, 0).text() == Path(calls["basic"].path).parent.name
    assert "1 agent(s), 2 call(s)" in dialog.status.text()
