"""The blind-review panel of a calibration session: the session's calls, how far the reviewer is on the
open one, their call score, Submit, and (only after they submit a call) what the model and the other
reviewers said about it. Layout only: the calibration feature (gui/calibration.py) fills it."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

NO_SCORE = -1  # the spin box's special value: the score of the reviewer's labels, worked out at submit
HIDDEN = ("Hidden until you submit this call: the model's score and confidences, and the other reviewers' "
          "decisions and scores.")


class BlindReviewPanel(QWidget):
    callPicked = Signal(int)  # call id
    scoreGiven = Signal(int)  # 0-100, or NO_SCORE
    submitRequested = Signal()
    leaveRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.calls = QListWidget()
        self.calls.itemActivated.connect(self._picked)
        self.calls.itemClicked.connect(self._picked)
        layout.addWidget(self.calls, 1)
        self.progress = QLabel()
        self.progress.setWordWrap(True)
        layout.addWidget(self.progress)
        row = QHBoxLayout()
        row.addWidget(QLabel("Your score for this call:"))
        self.score = QSpinBox()
        self.score.setRange(NO_SCORE, 100)
        self.score.setSpecialValueText("from my labels")
        self.score.setValue(NO_SCORE)
        self.score.editingFinished.connect(lambda: self.scoreGiven.emit(self.score.value()))
        row.addWidget(self.score)
        layout.addLayout(row)
        self.submit_button = QPushButton("Submit this call")
        self.submit_button.setToolTip("final: then the model's score and the other reviewers' decisions are shown")
        self.submit_button.clicked.connect(self.submitRequested)
        layout.addWidget(self.submit_button)
        self.revealed = QPlainTextEdit()
        self.revealed.setReadOnly(True)
        self.revealed.setPlainText(HIDDEN)
        layout.addWidget(self.revealed, 1)
        self.leave_button = QPushButton("Leave blind review")
        self.leave_button.clicked.connect(self.leaveRequested)
        layout.addWidget(self.leave_button)

    def set_session(self, heading: str, calls: list[tuple[int, str, bool]]) -> None:
        """`calls`: (call id, path, submitted by this reviewer)."""
        self.heading.setText(heading)
        current = self.current_call()
        self.calls.clear()
        for call_id, path, submitted in calls:
            item = QListWidgetItem(f"{'✔ ' if submitted else ''}call {call_id}  {Path(path).name}")
            item.setData(Qt.ItemDataRole.UserRole, call_id)
            self.calls.addItem(item)
            if call_id == current:
                item.setSelected(True)

    def current_call(self) -> int | None:
        items = self.calls.selectedItems()
        return int(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def select_call(self, call_id: int) -> None:
        for i in range(self.calls.count()):
            item = self.calls.item(i)
            item.setSelected(int(item.data(Qt.ItemDataRole.UserRole)) == call_id)

    def show_call(self, progress: str, score: int | None, submitted: bool, revealed: str) -> None:
        self.progress.setText(progress)
        self.score.blockSignals(True)
        self.score.setValue(NO_SCORE if score is None else score)
        self.score.blockSignals(False)
        self.score.setEnabled(not submitted)
        self.submit_button.setEnabled(not submitted)
        self.revealed.setPlainText(revealed if submitted else HIDDEN)

    def _picked(self, item: QListWidgetItem) -> None:
        self.callPicked.emit(int(item.data(Qt.ItemDataRole.UserRole)))
