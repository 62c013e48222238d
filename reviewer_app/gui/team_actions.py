"""The team's features in the window: File > Export, Import labels and Scorecard
PDF; the Team menu (review queue, agent dashboard, speech-data quality); Retrain; and the detector
policy in the status bar.

Library-wide reads (and a scorecard's data) run on the team lane; the label
import and re-scoring after a promotion compute on the analysis lane and store
on the write lane (Ops.write_steps); PDFs are drawn on the drawing lane, with
`busy_label` shown meanwhile. Each finished job is announced by one typed
signal of TeamEvents.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QLabel, QProgressBar

from reviewer_app.gui.context import WindowContext
from reviewer_app.gui.ops import Lane, SingleJob
from reviewer_app.gui.models import training_tables as tt


class TeamEvents(QObject):
    """What the team's jobs announce when they end, one typed signal each."""

    exported = Signal(list)  # the files written
    labelsImported = Signal(object)  # core.exchange ImportReport
    scorecardWritten = Signal(str)  # the PDF's path
    queueLoaded = Signal(list)  # core.team.queue items
    trainingEnded = Signal(dict)  # the training process's final event (done / cancelled / error)
    rescored = Signal(object)  # core.training.rescore report


class TeamFeature(QObject):
    """Given the window (the parent of its dialogs), the context, the controller, the call opener,
    the review (to go to a queue item's finding), the library actions and the library model. The
    shell places its panels: the review queue (`queue_panel`) and the status labels."""

    def __init__(self, window, ctx: WindowContext, controller, calls, review, library_actions,
                 library_model) -> None:
        super().__init__(window)
        self.window, self.ctx, self.controller, self.calls = window, ctx, controller, calls
        self.review, self.library_actions, self.library_model = review, library_actions, library_model
        self._retrain_dialog = None
        self._dashboard_dialog = None
        self._quality_dialog = None
        self._pending_item = None
        self._last_folder = str(Path.home())
        self.events = TeamEvents(self)
        self.rescorer = SingleJob(ctx.ops, Lane.ANALYSIS, self)
        self.rescorer.progress.connect(
            lambda p: self.training_label.setText(f"re-scoring: {p.message}"))
        self.rescorer.succeeded.connect(self._on_rescored)
        self.rescorer.failed.connect(lambda m: self.ctx.show_error(f"Re-scoring after the promotion failed: {m}"))
        self.rescorer.running.connect(lambda on: self.training_label.setVisible(on or self._training_running()))

        self.training_label = QLabel()
        self.training_label.hide()
        self.label_import_progress = QProgressBar()  # a label import reading, analysing, applying
        self.label_import_progress.setRange(0, 1000)
        self.label_import_progress.setFixedWidth(130)
        self.label_import_progress.hide()
        self.busy_label = QLabel()  # a PDF being drawn
        self.busy_label.hide()
        self.busy_label.setStyleSheet("QLabel { border-left: 1px solid #aaa; padding-left: 8px; color: #1f5fa8; }")
        self._pdfs_writing = 0
        self.policy_label = QLabel()
        self.policy_label.setStyleSheet("QLabel { border-left: 1px solid #aaa; padding-left: 8px; }")
        self.training_label.setStyleSheet("QLabel { border-left: 1px solid #aaa; padding-left: 8px; "
                                          "color: #1f5fa8; }")
        self.update_policy_label()

        from reviewer_app.gui.widgets.queue_panel import ReviewQueuePanel

        self.queue_panel = ReviewQueuePanel()
        self.queue_panel.refreshRequested.connect(self.refresh_queue)
        self.queue_panel.itemActivated.connect(self.open_queue_item)
        calls.callReady.connect(self._after_call_ready)

    def actions(self) -> dict:
        """The window actions this feature answers (review_queue is the shell's: it shows a dock)."""
        return {"export": self.do_export, "import_labels": self.do_import_labels, "scorecard": self.do_scorecard,
                "dashboard": self.do_dashboard, "quality": self.do_quality, "retrain": self.do_retrain}

    # --- prompts (tests replace these) ---------------------------------------------------------

    def ask_export(self):
        from reviewer_app.core.exchange import EXPORT_FORMATS
        from reviewer_app.gui.dialogs.exchange_dialogs import ExportDialog

        session = self.controller.session
        dialog = ExportDialog(EXPORT_FORMATS, self.library_model.rowCount(),
                              Path(session.call.path).name if session else None, self._last_folder, self.window)
        return dialog.request() if dialog.exec() else None

    def ask_label_import(self):
        from reviewer_app.gui.dialogs.exchange_dialogs import ImportLabelsDialog

        session = self.controller.session
        dialog = ImportLabelsDialog((session.call_id, Path(session.call.path).name) if session else None,
                                    self.window)
        return dialog.request() if dialog.exec() else None

    def ask_save_path(self, title: str, suggested: str, filters: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.window, title, str(Path(self._last_folder) / suggested), filters)
        return path or None

    # --- File: export, import labels, scorecard -------------------------------------------------

    def do_export(self) -> None:
        request = self.ask_export()
        if request is not None:
            self.run_export(request)

    def run_export(self, request) -> None:
        from reviewer_app.core.atomic import staged_folder, staged_to_final
        from reviewer_app.core.exchange import export_library

        session = self.controller.session
        calls = [session.call] if request.only_open_call and session is not None else None
        engine = self.ctx.engine
        self._last_folder = request.folder
        self.ctx.show_info(f"Exporting {request.fmt} to {request.folder}…")

        def done(paths) -> None:
            self.ctx.show_info(f"Exported {len(paths)} file(s) as {request.fmt} to {request.folder}")
            self.events.exported.emit(list(paths))

        def export(_cancel) -> list:
            with staged_folder(request.folder) as stage:  # every file written, or none: never a partial set
                written = export_library(engine, request.fmt, stage, calls, **request.options)
            return staged_to_final(written, stage, request.folder)

        self.ctx.ops.query(export, lane=Lane.TEAM, owner=self, on_success=done,
                       on_failure=lambda f: self.ctx.show_error(f"Export failed: {f}"))

    def do_import_labels(self) -> None:
        request = self.ask_label_import()
        if request is not None:
            self.run_label_import(request)

    def run_label_import(self, request) -> None:
        """Read and check the file (analysing audio it names that is new) on the analysis lane, its
        writes on the write lane; `label_import_progress` in the status bar shows how far it is."""
        from reviewer_app.core.exchange import import_steps

        engine, reviewer, ops = self.ctx.engine, self.ctx.settings.reviewer.name, self.ctx.ops
        self.ctx.show_info(f"Importing labels from {request.path}…")
        bar = self.label_import_progress
        bar.setFormat("labels %p%")  # short: the status bar of a 1024-px window has little room
        bar.show()
        bar.setValue(0)

        def step(progress) -> None:
            bar.setValue(int(1000 * progress.fraction))
            bar.setToolTip(f"importing labels from {request.path}: {progress.message}")

        def done(report) -> None:
            self.library_actions.refresh_library()
            if self.controller.session is not None:
                self.controller.reload()
            self.ctx.show_info(f"Imported labels as {reviewer}: {report.describe()}")
            if report.problems:
                self.ctx.show_error(f"{len(report.problems)} problem(s) importing labels: "
                                + "; ".join(report.problems[:3]))
            self.events.labelsImported.emit(report)

        self.ctx.ops.run(lambda cancel: import_steps(engine, request.fmt, request.path, reviewer, call=request.call,
                                                     reject_missing=request.reject_missing, cancel=cancel,
                                                     run_write=ops.write_steps),
                         lane=Lane.ANALYSIS, owner=self, on_progress=step, on_success=done,
                         on_failure=lambda f: self.ctx.show_error(f"Import failed: {f}"), on_done=bar.hide)

    def do_scorecard(self, path: str | None = None) -> bool:
        """Read the open call's scorecard on the team lane, then draw the PDF on the drawing lane
        (matplotlib's object API on Agg; the window installed the reports' style at start, so nothing
        global changes meanwhile); `busy_label` shows it is being written; TeamEvents.scorecardWritten."""
        session = self.controller.session
        if session is None:
            self.ctx.show_info("Open a call first.")
            return False
        path = path or self.ask_save_path("Save the scorecard", f"{Path(session.call.path).stem}_scorecard.pdf",
                                          "PDF (*.pdf)")
        if not path:
            return False
        from reviewer_app.core.reports.scorecard import build_scorecard, write_scorecard_pdf

        engine, call, settings = self.ctx.engine, session.call, self.ctx.settings

        def written(card, pdf) -> None:
            self._last_folder = str(Path(path).parent)
            self.ctx.show_info(f"Wrote {pdf}: score {card.score.value} ({card.score.grade}), "
                               f"{len(card.problems)} problem(s)")
            self.events.scorecardWritten.emit(str(pdf))

        def write(card) -> None:
            self._writing(path, +1)
            self.ctx.ops.run(lambda _c: write_scorecard_pdf(card, path), lane=Lane.DRAWING, owner=self,
                             on_success=lambda pdf: written(card, pdf),
                             on_failure=lambda f: self.ctx.show_error(f"{path}: cannot write the scorecard ({f})"),
                             on_done=lambda: self._writing(path, -1))

        self.ctx.show_info(f"Reading the scorecard of {Path(call.path).name}…")
        self.ctx.ops.query(lambda _c: build_scorecard(engine, call, settings), lane=Lane.TEAM, owner=self,
                           on_success=write,
                           on_failure=lambda f: self.ctx.show_error(f"{path}: cannot write the scorecard ({f})"))
        return True

    def _writing(self, path: str, step: int) -> None:
        """The busy label in the status bar while PDFs are being drawn: the last one's name."""
        self._pdfs_writing += step
        if step > 0:
            self.busy_label.setText(f"writing {Path(path).name}…")
        self.busy_label.setVisible(self._pdfs_writing > 0)

    # --- Team: review queue, dashboard, quality -------------------------------------------------

    def refresh_queue(self, strategy: str, limit: int, seed: int) -> None:
        from reviewer_app.core.team.queue import review_queue

        engine = self.ctx.engine

        def done(items) -> None:
            self.queue_panel.set_items(items)
            self.events.queueLoaded.emit(list(items))

        self.ctx.ops.query(lambda _c: review_queue(engine, strategy, limit, seed), lane=Lane.TEAM, owner=self,
                       on_success=done, on_failure=lambda f: self.queue_panel.show_error(f.message))

    def open_call_id(self, call_id: int) -> bool:
        call = self.library_model.call_at(self.library_model.row_of(call_id))
        if call is None:
            self.ctx.show_error(f"Call {call_id} is no longer in the library.")
            return False
        return self.calls.open_call(call)

    def open_queue_item(self, item) -> None:
        session = self.controller.session
        if session is not None and session.call_id == item.call_id:
            self._show_queue_item(item)
            return
        self._pending_item = item
        if not self.open_call_id(item.call_id):
            self._pending_item = None

    def _after_call_ready(self, call_id: int) -> None:
        item, self._pending_item = self._pending_item, None
        if item is not None and item.call_id == call_id:
            self._show_queue_item(item)

    def _show_queue_item(self, item) -> None:
        session = self.controller.session
        if item.segment_id is not None and session is not None and session.get(item.segment_id) is not None:
            self.review.go_to(item.segment_id, play=False)
            self.ctx.show_info(f"Queue: {item.reason}")
        else:
            self.ctx.show_info(f"Queue: review this call ({item.reason})")

    def do_dashboard(self) -> None:
        from reviewer_app.gui.dialogs.dashboard_dialog import DashboardDialog

        if self._dashboard_dialog is None:
            self._dashboard_dialog = DashboardDialog(self.ctx.engine, self.ctx.settings, self.ctx.ops, self.window)
        self._dashboard_dialog.settings = self.ctx.settings
        self._dashboard_dialog.show()
        self._dashboard_dialog.raise_()

    def do_quality(self) -> None:
        from reviewer_app.gui.dialogs.quality_dialog import QualityDialog

        if self._quality_dialog is None:
            self._quality_dialog = QualityDialog(self.ctx.engine, self.ctx.ops, self.window)
            self._quality_dialog.clipActivated.connect(self.open_call_id)
        self._quality_dialog.show()
        self._quality_dialog.raise_()
        self._quality_dialog.refresh()

    # --- Model: retrain, policy ---------------------------------------------------------------

    def db_url(self) -> str:
        return self.ctx.engine.url.render_as_string(hide_password=False)

    def do_retrain(self) -> None:
        from reviewer_app.gui.dialogs.retrain_dialog import RetrainDialog

        dialog = self._retrain_dialog
        if dialog is None:
            dialog = RetrainDialog(self.ctx.engine, self.ctx.settings, self.db_url(), self.ctx.ops, self.rescorer,
                                   self.window)
            dialog.promoted.connect(lambda _v: self.update_policy_label())
            dialog.process.event.connect(self._on_training_event)
            dialog.finishedRun.connect(self._on_training_ended)
            self._retrain_dialog = dialog
        elif not dialog.process.busy:
            dialog.settings = self.ctx.settings
            dialog.load_preview()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def _training_running(self) -> bool:
        return self._retrain_dialog is not None and self._retrain_dialog.process.busy

    def _on_training_event(self, event: dict) -> None:
        if event.get("event") == "epoch":
            self.training_label.setText(f"training: epoch {event['epoch']}/{event['epochs']}, "
                                        f"~{tt.duration_text(event.get('eta_s'))} left")
        elif event.get("event") == "start":
            self.training_label.setText("training: preparing the data…")
        self.training_label.setVisible(True)

    def _on_training_ended(self, event: dict) -> None:
        self.training_label.setVisible(self.rescorer.busy)
        kind = event.get("event")
        if kind == "done":
            self.ctx.show_info("Training finished: the Retrain window shows the before/after table.")
        elif kind == "cancelled":
            self.ctx.show_info("Training cancelled; the model in use is unchanged.")
        else:
            self.ctx.show_error(f"Training failed: {event.get('message', '')} (the model in use is unchanged)")
        self.events.trainingEnded.emit(event)

    def _on_rescored(self, report) -> None:
        self.library_actions.refresh_library()
        if self.controller.session is not None:
            self.controller.reload()
        self.update_policy_label()
        self.ctx.show_info(f"Re-scored {report.rescored} unreviewed call(s) with {report.detector}.")
        self.events.rescored.emit(report)

    def update_policy_label(self) -> None:
        """Read the detector policy on the read lane and show it in the status bar."""
        from reviewer_app.core.pipeline import describe_policy

        engine, settings = self.ctx.engine, self.ctx.settings

        def show(policy) -> None:
            self.policy_label.setText(tt.policy_summary(policy))
            self.policy_label.setToolTip(tt.policy_tooltip(policy))

        def failed(failure) -> None:
            self.policy_label.setText("detector: ?")
            self.policy_label.setToolTip(f"Cannot read the model in use: {failure}")

        self.ctx.ops.query(lambda _c: describe_policy(engine, settings), owner=self, on_success=show,
                       on_failure=failed)

    def _stop_team_work(self) -> None:
        if self._retrain_dialog is not None:
            self._retrain_dialog.stop(5000)
        self.rescorer.cancel()
