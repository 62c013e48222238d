"""The settings dialog labels each threshold with its unit and says nothing is saved until Save."""
from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel


def test_threshold_labels_carry_units_and_nothing_claims_saved(qtbot, window, tmp_path):
    from reviewer_app.gui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(window.settings, str(tmp_path / "s.toml"))
    qtbot.addWidget(dialog)
    box = dialog._rule_boxes["crosstalk_margin_db"]
    form = box.parentWidget().layout()
    assert isinstance(form, QFormLayout)
    assert form.labelForField(box).text() == "Crosstalk margin (dB)"
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert not any(t.startswith("Saved") for t in texts)
    assert not (tmp_path / "s.toml").exists()
