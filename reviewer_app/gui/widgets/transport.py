"""The transport bar: two rows of buttons bound to the window's QActions (playback and
navigation above, review below) with the time, the speed and the selected segment.

Buttons share the actions of the menus and the keyboard, so all three do the same thing.
Each row is a QToolBar: on a narrow window the buttons that do not fit move into the
row's overflow menu (») instead of being squeezed until their labels are cut, so the
bar never forces the window wider than the screen.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolBar, QToolButton, QVBoxLayout, QWidget

from reviewer_app.core.review.viewport import mmss


class TransportBar(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 2, 4, 2)
        outer.setSpacing(2)
        self._rows = [QHBoxLayout(), QHBoxLayout()]
        self.toolbars = [QToolBar(self), QToolBar(self)]
        for row, bar in zip(self._rows, self.toolbars, strict=True):
            row.setSpacing(4)
            bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            bar.setMovable(False)
            bar.setFloatable(False)
            bar.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            row.addWidget(bar, 1)
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
        bar = self.toolbars[row]
        bar.addAction(action)
        button = bar.widgetForAction(action)
        keys = ", ".join(k.toString() for k in action.shortcuts())
        button.setToolTip(f"{action.text()} ({keys})" if keys else action.text())
        return button

    def add_separator(self, row: int = 0) -> None:
        self.toolbars[row].addSeparator()

    def finish(self) -> None:
        top, bottom = self._rows
        top.addSpacing(6)
        top.addWidget(self.speed_label)
        top.addSpacing(6)
        top.addWidget(self.time_label)
        bottom.addSpacing(6)
        self.info_label.setMinimumWidth(80)
        bottom.addWidget(self.info_label)
        for bar in self.toolbars:  # a button keeps its whole label; what does not fit goes to »
            for button in bar.findChildren(QToolButton):
                button.setMinimumWidth(button.sizeHint().width())

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
