"""The transport bar: two rows of buttons bound to the window's QActions (playback and
navigation above, review below) with the time, the speed and the selected segment.

Buttons share the actions of the menus and the keyboard, so all three do the same thing.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from reviewer_app.core.review.viewport import mmss


class TransportBar(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 2, 4, 2)
        outer.setSpacing(2)
        self._rows = [QHBoxLayout(), QHBoxLayout()]
        for row in self._rows:
            row.setSpacing(4)
            outer.addLayout(row)
        mono = QFont(self.font())
        mono.setFamily("monospace")
        mono.setPointSizeF(mono.pointSizeF() + 1)
        self.time_label = QLabel("0:00.0 / 0:00")
        self.time_label.setFont(mono)
        self.speed_label = QLabel("1.00×")
        self.speed_label.setFont(mono)
        self.info_label = QLabel("")
        self.info_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._duration = 0.0

    def add_action(self, action, label: str | None = None, row: int = 0) -> QToolButton:
        if label:
            action.setIconText(label)
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        keys = ", ".join(k.toString() for k in action.shortcuts())
        button.setToolTip(f"{action.text()} ({keys})" if keys else action.text())
        self._rows[row].addWidget(button)
        return button

    def add_separator(self, row: int = 0) -> None:
        sep = QLabel("│")
        sep.setStyleSheet("color: #bbb;")
        self._rows[row].addWidget(sep)

    def finish(self) -> None:
        top, bottom = self._rows
        top.addSpacing(10)
        top.addWidget(QLabel("Speed"))
        top.addWidget(self.speed_label)
        top.addSpacing(10)
        top.addWidget(self.time_label)
        top.addStretch(1)
        bottom.addSpacing(10)
        bottom.addWidget(self.info_label, 1)

    def set_duration(self, duration: float) -> None:
        self._duration = duration
        self.set_time(0.0)

    def set_time(self, t: float) -> None:
        self.time_label.setText(f"{mmss(t, 1)} / {mmss(self._duration)}")

    def set_speed(self, speed: float) -> None:
        self.speed_label.setText(f"{speed:.2f}×")

    def set_info(self, text: str) -> None:
        self.info_label.setText(text)
        self.info_label.setToolTip(text)
