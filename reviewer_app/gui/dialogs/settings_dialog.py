"""Settings dialog: reviewer name, channel roles, ASR model, rule thresholds, lexicons, scoring.

Fields are generated from core.settings' dataclasses, so a new threshold shows
up here without touching this file. `result_settings()` returns a validated
copy; the window saves it as TOML in the data dir. Given the library (engine
and a lane), the Thresholds tab has a What-if button that counts what the
edited settings would add and remove across the library before anything is saved.
"""
from __future__ import annotations

import copy
import dataclasses

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.core.domain import AGENT, CATEGORIES, CUSTOMER
from reviewer_app.core.errors import SettingsError
from reviewer_app.core.settings import Settings, setting_label
from reviewer_app.gui.theme import CATEGORY_LABELS

ASR_MODELS = ("base", "tiny.en")
LANGUAGES = ("auto", "en", "zh")


def _number_field(value):
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        box = QSpinBox()
        box.setRange(0, 1_000_000)
        box.setValue(value)
        return box
    box = QDoubleSpinBox()
    box.setDecimals(3)
    box.setRange(-1000.0, 1_000_000.0)
    box.setSingleStep(0.1 if abs(value) < 10 else 1.0)
    box.setValue(value)
    return box


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, path: str, parent=None, *, engine=None, ops=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.resize(900, 760)
        self._original = settings
        self._settings = copy.deepcopy(settings)
        self._rule_boxes: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self._weight_boxes: dict[str, QDoubleSpinBox] = {}
        self._score_boxes: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self._lexicons: dict[str, QPlainTextEdit] = {}
        self.rerun_requested = False
        self.settings_result: Settings | None = None
        self.what_if = None

        layout = QVBoxLayout(self)
        tabs = QTabWidget()
        layout.addWidget(tabs)
        tabs.addTab(self._general_tab(), "General")
        tabs.addTab(self._thresholds_page(engine, ops), "Thresholds")
        tabs.addTab(self._lexicon_tab(), "Lexicons")
        tabs.addTab(self._scroll(self._score_tab()), "Scoring")
        where = QLabel(f"Settings file: {path} (written when you press Save)")
        where.setStyleSheet("color: #666;")
        layout.addWidget(where)
        self.error_label = QLabel("")
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setWordWrap(True)
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.rerun_button = buttons.addButton("Save and re-run rules on this call",
                                              QDialogButtonBox.ButtonRole.AcceptRole)
        self.rerun_button.clicked.connect(lambda: setattr(self, "rerun_requested", True))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    # --- tabs -------------------------------------------------------------------

    @staticmethod
    def _scroll(widget: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setWidget(widget)
        return area

    def _general_tab(self) -> QWidget:
        s = self._settings
        page = QWidget()
        form = QFormLayout(page)
        self.reviewer_edit = QLineEdit(s.reviewer.name)
        form.addRow("Reviewer name", self.reviewer_edit)
        self.left_role = QComboBox()
        self.right_role = QComboBox()
        for box, role in ((self.left_role, s.channels.roles[0]), (self.right_role, s.channels.roles[1])):
            box.addItems([CUSTOMER, AGENT])
            box.setCurrentText(role)
        self.left_role.currentTextChanged.connect(
            lambda r: self.right_role.setCurrentText(AGENT if r == CUSTOMER else CUSTOMER))
        self.right_role.currentTextChanged.connect(
            lambda r: self.left_role.setCurrentText(AGENT if r == CUSTOMER else CUSTOMER))
        form.addRow("Left channel", self.left_role)
        form.addRow("Right channel", self.right_role)
        self.model_box = QComboBox()
        self.model_box.setEditable(True)
        self.model_box.addItems(ASR_MODELS)
        self.model_box.setCurrentText(s.asr.model)
        self.model_box.setToolTip("base (bundled, multilingual), tiny.en (bundled, fast English), or a model folder")
        form.addRow("ASR model", self.model_box)
        self.language_box = QComboBox()
        self.language_box.setEditable(True)
        self.language_box.addItems(LANGUAGES)
        self.language_box.setCurrentText(s.asr.language)
        form.addRow("Language", self.language_box)
        self.device_box = QComboBox()
        self.device_box.addItems(["auto", "cpu", "cuda"])
        self.device_box.setCurrentText(s.asr.device)
        form.addRow("ASR device", self.device_box)
        self.cluster_edit = QLineEdit(s.cluster.address)
        self.cluster_edit.setPlaceholderText("empty: analyse on this computer")
        self.cluster_edit.setToolTip("cluster.address: a Ray cluster for Import (auto, HOST:PORT or "
                                     "ray://HOST:PORT); empty analyses in this process")
        form.addRow("Analysis cluster", self.cluster_edit)
        self.ship_audio_box = QCheckBox("Send the audio to the cluster (workers need no shared disk)")
        self.ship_audio_box.setChecked(s.cluster.ship_audio)
        self.ship_audio_box.setToolTip("cluster.ship_audio")
        form.addRow("", self.ship_audio_box)
        return page

    def _rules_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        for f in dataclasses.fields(self._settings.rules):
            box = _number_field(getattr(self._settings.rules, f.name))
            self._rule_boxes[f.name] = box
            form.addRow(setting_label(f.name), box)
            box.setToolTip(f"rules.{f.name}")
        return page

    def _thresholds_page(self, engine, ops) -> QWidget:
        rules = self._scroll(self._rules_tab())
        if engine is None or ops is None:
            return rules
        from reviewer_app.gui.widgets.whatif_panel import WhatIfPanel

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(rules, 3)
        self.what_if = WhatIfPanel(engine, ops, self.result_settings)
        layout.addWidget(self.what_if, 2)
        return page

    def _lexicon_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("One phrase per line."))
        tabs = QTabWidget()
        for f in dataclasses.fields(self._settings.lexicon):
            edit = QPlainTextEdit("\n".join(getattr(self._settings.lexicon, f.name)))
            self._lexicons[f.name] = edit
            tabs.addTab(edit, f.name.title())
        layout.addWidget(tabs)
        return page

    def _score_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        score = self._settings.score
        for cat in CATEGORIES:
            box = QDoubleSpinBox()
            box.setRange(0, 100)
            box.setValue(float(score.weights.get(cat, 0)))
            self._weight_boxes[cat] = box
            form.addRow(f"points off: {CATEGORY_LABELS[cat]}", box)
        for name in ("max_per_category", "high_min", "medium_min"):
            box = _number_field(getattr(score, name))
            self._score_boxes[name] = box
            form.addRow(setting_label(name), box)
        return page

    # --- result -----------------------------------------------------------------------

    def result_settings(self) -> Settings:
        """The edited settings, validated (raises SettingsError with a readable message)."""
        s = copy.deepcopy(self._settings)
        name = self.reviewer_edit.text().strip()
        if not name:
            raise SettingsError("reviewer name must not be empty: it is written with every label")
        s.reviewer.name = name
        s.channels.roles = [self.left_role.currentText(), self.right_role.currentText()]
        s.asr.model = self.model_box.currentText().strip() or "base"
        s.asr.language = self.language_box.currentText().strip() or "auto"
        s.asr.device = self.device_box.currentText()
        s.cluster.address = self.cluster_edit.text().strip()
        s.cluster.ship_audio = self.ship_audio_box.isChecked()
        for key, box in self._rule_boxes.items():
            current = getattr(s.rules, key)
            setattr(s.rules, key, int(box.value()) if isinstance(current, int) else float(box.value()))
        for key, edit in self._lexicons.items():
            setattr(s.lexicon, key, [line.strip() for line in edit.toPlainText().splitlines() if line.strip()])
        s.score.weights = {cat: box.value() for cat, box in self._weight_boxes.items()}
        for key, box in self._score_boxes.items():
            current = getattr(s.score, key)
            setattr(s.score, key, int(box.value()) if isinstance(current, int) else float(box.value()))
        return s.validate()

    def accept(self) -> None:
        try:
            self.settings_result = self.result_settings()
        except SettingsError as exc:
            self.error_label.setText(str(exc))
            self.rerun_requested = False
            return
        self._stop_what_if()
        super().accept()

    def reject(self) -> None:
        self._stop_what_if()
        super().reject()

    def _stop_what_if(self) -> None:
        if self.what_if is not None:
            self.what_if.stop()
