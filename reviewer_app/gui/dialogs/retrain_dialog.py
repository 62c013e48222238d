"""Retrain: reviewed labels per category and the device, then the run (progress, live loss curve),
then the before/after table with Promote and Discard.

Training runs in its own process (TrainingProcess, a QProcess on the worker
module) with `--promote never`: the model in use changes only when the user
presses Promote, which calls registry.promote and then re-scores the
unreviewed calls in the background (the `rescorer` Job on the analysis lane).
The dialog is not modal: reviewing goes on while a model trains.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.core.progress import Progress
from reviewer_app.core.settings import Settings, save_settings
from reviewer_app.gui.ops import Failure, Lane, Ops, SingleJob
from reviewer_app.gui.models import training_tables as tt
from reviewer_app.gui.training_process import TrainingProcess
from reviewer_app.gui.widgets.loss_curve import LossCurve
from reviewer_app.gui.widgets.tables import read_only_table

GOOD, BAD, MUTED = "#2e8540", "#b00020", "#777777"
PREVIEW_COLUMNS = ("Category", "Reviewed labels now", "Needed", "Decided now by", "Why (the model in use)")


def _item(text: str, align_right: bool = False, color: str | None = None, bold: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if color:
        item.setForeground(QBrush(QColor(color)))
    if bold:
        font = QFont()
        font.setBold(True)
        item.setFont(font)
    return item


def _fit_rows(table: QTableWidget) -> None:
    """Tall enough for every row, so the table never needs its own scroll bar."""
    table.resizeRowsToContents()
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    bar = table.horizontalScrollBar().sizeHint().height()
    table.setMinimumHeight(table.horizontalHeader().sizeHint().height() + rows + 2 * table.frameWidth() + bar)


def _table(columns) -> QTableWidget:
    return read_only_table(columns, selection_mode=QAbstractItemView.SelectionMode.NoSelection)


class RetrainDialog(QDialog):
    promoted = Signal(str)  # the version now in use
    discarded = Signal(str)  # the version whose weights were deleted
    finishedRun = Signal(dict)  # the final event of a run (done / cancelled / error)

    def __init__(self, engine, settings: Settings, db_url: str, ops: Ops, rescorer: SingleJob, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Retrain the detector")
        self.setModal(False)
        self.resize(1180, 860)
        self.engine, self.settings, self.db_url, self.ops, self.rescorer = engine, settings, db_url, ops, rescorer
        self.preview: dict | None = None
        self.result: dict | None = None
        self.final: dict | None = None
        self._fraction = 0.0
        self._last_epoch: dict | None = None
        self._config_dir: str | None = None
        self.process = TrainingProcess(self)
        self.process.event.connect(self._on_event)
        self.process.ended.connect(self._on_ended)
        self.process.stderrLine.connect(self._on_stderr)
        self._build()
        rescorer.progress.connect(self._on_rescore_progress)
        rescorer.succeeded.connect(self._on_rescored)
        rescorer.failed.connect(lambda m: self._say(f"Re-scoring failed: {m}", BAD))
        self.load_preview()

    # --- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.headline = QLabel("Reading the reviewed labels…")
        self.headline.setStyleSheet("font-size: 11pt; font-weight: bold;")
        self.headline.setWordWrap(True)
        layout.addWidget(self.headline)
        self.policy_label = QLabel("")
        self.policy_label.setWordWrap(True)
        layout.addWidget(self.policy_label)

        self.pages = QStackedWidget()
        self.preview_table = _table(PREVIEW_COLUMNS)
        self.result_table = _table(tt.BEFORE_AFTER_COLUMNS)
        self.result_table.horizontalHeader().setStretchLastSection(False)
        result_page = QWidget()
        rl = QVBoxLayout(result_page)
        rl.setContentsMargins(0, 0, 0, 0)
        self.result_title = QLabel("<b>Before / after on the validation calls</b> — now: what decides each "
                                   "category today (its rule or the model in use); after promotion: the new model "
                                   "where it has enough labels and beats the rule, else the rule")
        self.result_title.setWordWrap(True)
        rl.addWidget(self.result_title)
        rl.addWidget(self.result_table, 1)
        self.result_info = QLabel("")
        self.result_info.setWordWrap(True)
        self.result_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rl.addWidget(self.result_info)
        self.pages.addWidget(self.preview_table)
        self.pages.addWidget(result_page)
        layout.addWidget(self.pages)

        self.run_box = QWidget()
        run = QVBoxLayout(self.run_box)
        run.setContentsMargins(0, 0, 0, 0)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.stage_label = QLabel("")
        self.epoch_label = QLabel("")
        self.epoch_label.setStyleSheet("font-family: monospace;")
        self.curve = LossCurve()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumHeight(90)
        self.log.setPlaceholderText("worker messages")
        self.log.hide()  # shown when the worker writes to stderr
        for w in (self.progress, self.stage_label, self.epoch_label):
            run.addWidget(w)
        run.addWidget(self.curve, 1)
        run.addWidget(self.log)
        layout.addWidget(self.run_box, 1)
        self.progress.setValue(0)
        self.progress.setFormat("not started")
        self.stage_label.setText("A category moves from its rule to the model once it has enough reviewed labels "
                                 "and the new model is not worse than the rule on the validation calls.")
        self.stage_label.setWordWrap(True)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)

        row = QHBoxLayout()
        row.addWidget(QLabel("Epochs"))
        self.epochs_box = QSpinBox()
        self.epochs_box.setRange(1, 500)
        self.epochs_box.setValue(self.settings.model.epochs)
        row.addWidget(self.epochs_box)
        row.addWidget(QLabel("Device"))
        self.device_box = QComboBox()
        self.device_box.addItems(["auto", "cpu", "cuda", "mps"])
        self.device_box.setCurrentText(self.settings.model.device)
        row.addWidget(self.device_box)
        row.addStretch(1)
        self.start_button = QPushButton("Start training")
        self.cancel_button = QPushButton("Cancel training")
        self.promote_button = QPushButton("Promote (use the new model)")
        self.discard_button = QPushButton("Discard")
        self.close_button = QPushButton("Close")
        for b in (self.start_button, self.cancel_button, self.promote_button, self.discard_button, self.close_button):
            row.addWidget(b)
        layout.addLayout(row)
        self.start_button.clicked.connect(lambda: self.start())
        self.cancel_button.clicked.connect(self.cancel)
        self.promote_button.clicked.connect(self.promote)
        self.discard_button.clicked.connect(self.discard)
        self.close_button.clicked.connect(self.close)
        self.start_button.setDefault(True)
        self._buttons("loading")

    def _buttons(self, phase: str) -> None:
        """phase: loading | ready | blocked | running | result | settled."""
        self.start_button.setEnabled(phase in ("ready", "settled"))
        self.start_button.setText("Train again" if phase == "settled" else "Start training")
        self.cancel_button.setVisible(phase == "running")
        self.promote_button.setVisible(phase == "result")
        self.discard_button.setVisible(phase == "result")
        self.epochs_box.setEnabled(phase in ("ready", "settled", "blocked"))
        self.device_box.setEnabled(phase in ("ready", "settled", "blocked"))

    def _say(self, text: str, color: str | None = None) -> None:
        self.message.setStyleSheet(f"color: {color}; font-weight: bold;" if color else "")
        self.message.setText(text)

    # --- 1. preview -----------------------------------------------------------------------

    def load_preview(self) -> None:
        from reviewer_app.core.training.preview import training_preview

        engine, settings = self.engine, self.settings
        self.ops.query(lambda _c: training_preview(engine, settings), lane=Lane.TEAM, owner=self,
                       on_success=self.show_preview,
                       on_failure=lambda f: self._say(f"Cannot read the reviewed labels: {f}", BAD))

    def show_preview(self, preview: dict) -> None:
        self.preview = preview
        self.headline.setText(tt.preview_headline(preview))
        self.policy_label.setText(tt.policy_summary(preview.get("policy") or {}))
        rows = tt.preview_rows(preview)
        table = self.preview_table
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            table.setItem(r, 0, _item(tt.pretty(row.category)))
            table.setItem(r, 1, _item(str(row.labels), True, GOOD if row.enough else None, row.enough))
            table.setItem(r, 2, _item(str(row.needed), True, MUTED))
            table.setItem(r, 3, _item(row.source, color=GOOD if row.source == "model" else None))
            table.setItem(r, 4, _item(row.reason, color=MUTED))
        _fit_rows(table)
        if self.process.busy or self.final is not None:
            return  # a run's outcome (or a promotion) is on show: leave its message and buttons
        why = tt.not_ready_reason(preview)
        if why:
            self._say(why, BAD)
            self._buttons("blocked")
        else:
            self._say("Training runs in its own process; the model in use stays in use until you promote "
                      "the new one.")
            self._buttons("ready")

    # --- 2. the run -----------------------------------------------------------------------

    def training_command(self) -> list[str]:
        from reviewer_app.core.training.runner import worker_command

        self._drop_config()
        self._config_dir = tempfile.mkdtemp(prefix="reviewer-train-")
        config = Path(self._config_dir) / "settings.toml"
        save_settings(self.settings, config)  # the worker uses the window's settings as they are now
        return worker_command(self.db_url, config=str(config), device=self.device_box.currentText(),
                              epochs=self.epochs_box.value(), promote="never", rescore=False)

    def start(self, command: list[str] | None = None) -> None:
        if self.process.busy:
            return
        self.result = self.final = None
        self._fraction = 0.0
        self._run_started = time.monotonic()
        self.curve.clear(self.epochs_box.value())
        self.log.clear()
        self.log.hide()
        self._last_epoch = None
        self.progress.setValue(0)
        self.progress.setFormat("starting the training process… %p%")
        self.stage_label.setText("starting the training process…")
        self.epoch_label.setText("")
        self.pages.setCurrentIndex(0)
        self._say("Training in its own process. You can keep reviewing; Cancel leaves the model in use "
                  "untouched.")
        self._buttons("running")
        self.process.start(command or self.training_command())

    def cancel(self) -> None:
        if self.process.busy:
            self.process.cancel()
            self.cancel_button.setEnabled(False)
            self._say("Cancelling… the model in use stays as it is.")

    def _advance(self, event: dict) -> None:
        started = getattr(self, "_run_started", None)
        fraction = tt.overall_fraction(event, None if started is None else time.monotonic() - started)
        if fraction is not None:
            self._fraction = max(self._fraction, fraction)
            self.progress.setValue(int(1000 * self._fraction))

    def _on_event(self, event: dict) -> None:
        kind = event.get("event")
        self._advance(event)
        if kind == "start":
            self.stage_label.setText(f"device: {event.get('device', '?')} · {event.get('labelled_calls', '?')} "
                                     "labelled call(s)")
            self.progress.setFormat("%p%")
        elif kind == "progress":
            self.stage_label.setText(event.get("message") or event.get("stage", ""))
        elif kind == "data":
            self.stage_label.setText(f"training on {event['train_windows']} windows of {event['train_calls']} "
                                     f"call(s), validating on {event['val_windows']} windows of "
                                     f"{event['val_calls']} call(s)")
        elif kind == "epoch":
            self.epoch_label.setText(tt.epoch_line(event))
            self.progress.setFormat(f"epoch {event['epoch']} of {event['epochs']} · %p%")
            self.curve.add_epoch(event)
            self._last_epoch = event

    def _on_stderr(self, line: str) -> None:
        self.log.show()
        self.log.appendPlainText(line)

    def _on_ended(self, event: dict) -> None:
        self.final = event
        self.cancel_button.setEnabled(True)
        self._drop_config()
        kind = event.get("event")
        version = (self.preview or {}).get("policy", {}).get("model_version", "the model in use")
        if kind == "done":
            self.show_result(event)
        elif kind == "cancelled":
            self.progress.setFormat("cancelled")
            self._say(f"Training cancelled: nothing was saved or promoted; the model in use ({version}) "
                      "is untouched.")
            self._buttons("settled")
        else:
            self.progress.setFormat("failed")
            what = {"oom": "Training ran out of memory", "crash": "The training process crashed"}.get(
                event.get("kind"), "Training failed")
            text = f"{what}: {event.get('message', '')}"
            tail = event.get("stderr") or []
            if tail:
                text += "\nLast lines it wrote:\n" + "\n".join(tail)
            self._say(text + f"\nThe model in use ({version}) is untouched.", BAD)
            self._buttons("settled")
        self.finishedRun.emit(event)

    # --- 3. before / after ------------------------------------------------------------------

    def show_result(self, done: dict) -> None:
        self.result = done
        self.progress.setValue(1000)
        self.progress.setFormat("done")
        self.stage_label.setText(tt.finished_line(done))
        if self._last_epoch is not None:
            self.epoch_label.setText("last " + tt.epoch_line(self._last_epoch, eta=False))
        rows = tt.before_after_rows(done)
        table = self.result_table
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row.cells):
                color = None
                if row.support == 0 and c >= 3 and c != 11:
                    color = MUTED  # no positive validation windows: these figures say little
                if c == 11 and row.delta is not None and abs(row.delta) >= 0.005:
                    color = GOOD if row.delta > 0 else BAD
                table.setItem(r, c, _item(text, c not in (0, 3, 7), color, row.bold))
        _fit_rows(table)
        self.result_info.setText("\n".join(tt.result_lines(done)) + "\nGrey rows had no positive windows in "
                                 "validation: their scores say little.")
        self.pages.setCurrentIndex(1)
        verdict = ("The new model scores higher on the validation calls." if tt.better(done) else
                   "The new model does not beat what is in use now: promoting it is not advised.")
        self._say(f"{verdict} Promote to use it (unreviewed calls are re-scored), or Discard to keep the model "
                  "in use.", GOOD if tt.better(done) else None)
        self._buttons("result")

    def promote(self) -> None:
        if not self.result:
            return
        from reviewer_app.core.model.registry import promote

        version, engine = self.result["version"], self.engine
        self._buttons("loading")
        self._say(f"Promoting {version}…")
        self.ops.write(lambda _c: promote(engine, version), owner=self,
                       on_success=lambda _row: self._on_promoted(version),
                       on_failure=lambda f: (self._say(f"Cannot promote {version}: {f}", BAD),
                                             self._buttons("result")))

    def _on_promoted(self, version: str) -> None:
        self._say(f"Version {version} is now in use. Re-scoring the unreviewed calls in the background…", GOOD)
        self._buttons("settled")
        self.promoted.emit(version)
        from reviewer_app.core.training.rescore import rescore_unreviewed

        engine, settings, run_write = self.engine, self.settings, self.ops.write_steps
        self.progress.setValue(0)
        self.progress.setFormat("re-scoring unreviewed calls %p%")
        # re-detection on the rescorer's (analysis) lane, each call's save on the write lane
        if not self.rescorer.start(lambda cancel: rescore_unreviewed(engine, settings, cancel, run_write)):
            self._say(f"Version {version} is now in use. A re-scoring is still running; re-score again from "
                      "the command line (`reviewer-app models promote` re-scores) when it ends.", BAD)
        self.load_preview()

    def _on_rescore_progress(self, p: Progress) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        self.stage_label.setText(p.message)

    def _on_rescored(self, report) -> None:
        skipped = f"; {len(report.skipped)} skipped (audio missing)" if report.skipped else ""
        self.progress.setValue(1000)
        self.progress.setFormat("re-scored")
        self._say(f"Re-scored {report.rescored} unreviewed call(s) with {report.detector}{skipped}.", GOOD)

    def discard(self) -> None:
        if not self.result:
            return
        version = self.result["version"]
        in_use = (self.preview or {}).get("policy", {}).get("model_version", "the model in use")
        from reviewer_app.core.model.registry import discard

        engine = self.engine
        self._buttons("loading")
        self._say(f"Discarding {version}…")

        def discarded(_value) -> None:
            self._say(f"Discarded {version}: its weights are deleted and {in_use} stays in use.")
            self.result = None
            self._buttons("settled")
            self.discarded.emit(version)

        def refused(failure: Failure) -> None:
            self._say(f"Could not discard {version}: {failure}", BAD)
            self._buttons("result")

        self.ops.write(lambda _c: discard(engine, version), owner=self, on_success=discarded, on_failure=refused)

    # --- closing ------------------------------------------------------------------------------

    def stop(self, msecs: int = 8000) -> None:
        """Cancel a running worker and wait for it (killed if it does not answer)."""
        if self.process.running:
            self.process.cancel()
            if not self.process.wait(msecs):
                self.process.kill()
                self.process.wait(2000)
        self._drop_config()

    def _drop_config(self) -> None:
        if self._config_dir:
            shutil.rmtree(self._config_dir, ignore_errors=True)
            self._config_dir = None

    def closeEvent(self, event) -> None:  # noqa: N802
        """Closing only hides the dialog: a run goes on (the window's status bar follows it) until
        Cancel, or until the window itself closes (MainWindow calls stop())."""
        if not self.process.busy:
            self._drop_config()
        super().closeEvent(event)
