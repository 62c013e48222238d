"""Threshold what-if, inside the Settings dialog: before applying new rule settings, re-run the rules on
every stored call in the background (core.team.whatif) and show, per category, what they would add and
remove. Nothing is written to the database."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.core.errors import SettingsError
from reviewer_app.core.progress import Progress
from reviewer_app.core.settings import Settings
from reviewer_app.gui.ops import Lane, SingleJob
from reviewer_app.gui.theme import CATEGORY_LABELS
from reviewer_app.gui.widgets.tables import read_only_table

COLUMNS = ("Category", "Now", "After", "Added", "Removed", "Removed:\nreviewer rejected",
           "Removed:\nreviewer confirmed", "Added:\nreviewer added")
COLUMN_TIPS = {5: "removed findings a reviewer had rejected: the change agrees with the reviewers",
               6: "removed findings a reviewer had confirmed: the change loses them",
               7: "added findings where a reviewer had added a label by hand: the change finds them"}


def whatif_rows(result) -> list[list[str]]:
    return [[CATEGORY_LABELS.get(c.category, c.category), str(c.kept + c.removed), str(c.kept + c.added),
             f"+{c.added}" if c.added else "0", f"−{c.removed}" if c.removed else "0", str(c.removed_rejected),
             str(c.removed_confirmed),
             str(c.added_found_by_reviewer)] for c in result.categories.values()]


def whatif_summary(result) -> str:
    text = (f"{len(result.calls)} call(s) compared: {result.added} finding(s) added, {result.removed} removed; "
            f"{result.grade_changes} call(s) would change grade.")
    changed = [c for c in result.calls if c.grade_before != c.grade_after][:4]
    if changed:
        text += " " + "; ".join(f"{Path(c.path).name}: {c.score_before} ({c.grade_before}) → {c.score_after} "
                                f"({c.grade_after})" for c in changed)
    if result.skipped:
        text += f" {len(result.skipped)} call(s) skipped (e.g. {result.skipped[0]})."
    return text


class WhatIfPanel(QWidget):
    def __init__(self, engine, ops, settings_now: Callable[[], Settings], parent=None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._settings_now = settings_now
        self.job = SingleJob(ops, Lane.ANALYSIS, self)
        self.result = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        row = QHBoxLayout()
        self.run_button = QPushButton("What-if…")
        self.run_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.run_button.setToolTip("Re-run the rules with these settings on every stored call and count what "
                                   "they would add and remove, before saving anything")
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        row.addWidget(self.run_button)
        row.addWidget(self.progress, 20)
        row.addWidget(self.cancel_button)
        row.addStretch(1)  # the button keeps its size while the bar is hidden
        layout.addLayout(row)
        self.message = QLabel("What-if shows what these thresholds would change across the whole library.")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.table = read_only_table(COLUMNS, row_height=22)
        for column, tip in COLUMN_TIPS.items():
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.table.setMinimumHeight(150)
        layout.addWidget(self.table, 1)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.job.cancel)
        self.job.progress.connect(self._on_progress)
        self.job.succeeded.connect(self.show_result)
        self.job.failed.connect(lambda m: self._say(f"What-if failed: {m}", True))
        self.job.cancelled.connect(lambda: self._say("What-if cancelled."))
        self.job.running.connect(self._running)
        self._running(False)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.setText(text)

    def _running(self, on: bool) -> None:
        self.run_button.setEnabled(not on)
        self.cancel_button.setVisible(on)
        self.progress.setVisible(on)

    def run(self) -> bool:
        from reviewer_app.core.team.whatif import what_if

        try:
            settings = self._settings_now()
        except SettingsError as exc:
            self._say(str(exc), True)
            return False
        engine = self.engine
        self.progress.setValue(0)
        self._say("Re-running the rules on every stored call…")
        return self.job.start(lambda cancel: what_if(engine, settings, cancel))

    def _on_progress(self, p: Progress) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        self.progress.setFormat(f"{p.message} · %p%")

    def show_result(self, result) -> None:
        self.result = result
        rows = whatif_rows(result)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self._say(whatif_summary(result) + " Nothing was saved: press Save to apply these settings.")

    def stop(self) -> None:
        self.job.cancel()
