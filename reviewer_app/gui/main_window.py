"""The reviewer window: a thin shell that lays out the views and composes the features.

Each feature is an object given explicitly what it needs (the WindowContext:
database, settings, ops, messages; the shared ReviewState; the controller; the
views it drives) and lists the window actions it answers in `actions()`:

* CallOpener (call_opening.py)      opening and closing a call
* ReviewFeature (review_actions.py) playback, navigation and corrections on the open call
* LibraryActions (library_actions.py) reading the library, imports, reload, re-running the rules
* HistoryFeature (history.py)       the open call's audit log and Revert
* PrivacyView (privacy_view.py)     redacted personal data: hatched in the waveform, muted at playback
* TeamFeature (team_actions.py)     export, label import, scorecard, dashboard, quality, retrain
* ReviewerName (reviewer_name.py)   who is reviewing
* ModelView (model_view.py)         the model lane under the waveforms; the selected finding's why
* CalibrationFeature (calibration.py) calibration sessions (Team menu) and the blind-review mode

The shell lays out the views and makes a QAction of each ActionSpec
(gui/layout.py, gui/actions.py), connects each action to the bound handler of
the one feature whose `actions()` names it (an action no table answers, or two
tables answer, stops the window at start), and places the features' panels:
docks tabbed with the library, the toolbar, the status bar. Views never call
each other: they report intents as signals, and ReviewState's signals update
every view.

A new panel or feature: a class given what it needs in its constructor, with
an `actions()` table; its ActionSpecs in gui/actions.py; one line composing it
in `__init__`, its table added in `_action_table`, its panel placed in
`_place_panels`.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QWidget

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.reports.style import install_report_style
from reviewer_app.core.settings import Settings, save_settings
from reviewer_app.core.storage.repository import CallSummary
from reviewer_app.gui.actions import ACTIONS
from reviewer_app.gui.calibration import CalibrationFeature
from reviewer_app.gui.call_opening import CallOpener
from reviewer_app.gui.context import WindowContext
from reviewer_app.gui.controller import ReviewController
from reviewer_app.gui.history import HistoryFeature
from reviewer_app.gui.layout import lay_out_views, make_actions, make_toolbar
from reviewer_app.gui.library_actions import LibraryActions
from reviewer_app.gui.model_view import ModelView
from reviewer_app.gui.models.library_model import LibraryModel
from reviewer_app.gui.models.segment_model import SegmentTableModel
from reviewer_app.gui.ops import Ops
from reviewer_app.gui.playback import Player
from reviewer_app.gui.privacy_view import PrivacyView
from reviewer_app.gui.review_actions import ReviewFeature
from reviewer_app.gui.reviewer_name import ReviewerName
from reviewer_app.gui.services import CallLoader, ImportRunner, RedetectRunner, SpectrogramService
from reviewer_app.gui.state import ReviewState
from reviewer_app.gui.team_actions import TeamFeature

SESSION_ACTIONS = {"play_pause", "play_segment", "seek_back", "seek_forward", "next_segment", "prev_segment",
                   "zoom_in", "zoom_out", "zoom_segment", "zoom_all", "pan_left", "pan_right", "confirm",
                   "reject", "delete", "note", "cycle_role", "nudge_start_left", "nudge_start_right",
                   "nudge_end_left", "nudge_end_right", "mark_in", "mark_out", "mark_reviewed", "edit_turn",
                   "reload", "rerun_rules", "scorecard"}
UNDO_ACTIONS = ("undo", "redo")  # the QUndoGroup's own actions


class MainWindow(QMainWindow):
    callReady = Signal(int)  # a call's labels and transcript are shown (its audio loaded or failed)
    libraryLoaded = Signal(int)  # the whole library was (re)read: how many calls it holds

    def __init__(self, engine, settings: Settings, settings_path: str, db_label: str = "") -> None:
        super().__init__()
        self.setWindowTitle("Call review")
        self.resize(1600, 980)
        screen = self.screen()
        if screen is not None:  # a first start on a laptop: never larger than the screen
            room = screen.availableGeometry()
            self.resize(min(1600, room.width()), min(980, room.height()))
        self._last_error = None
        self._left_docks: list[QDockWidget] = []  # the library's dock and the docks tabbed with it

        self.ops = Ops(self)
        self.ctx = WindowContext(engine, settings, settings_path, self.ops, self.show_info, self.show_error)
        self.state = ReviewState(self)
        self.controller = ReviewController(engine, lambda: self.ctx.settings.reviewer.name, self.ops, self,
                                           score_settings=lambda: self.ctx.settings.score)
        self.player = Player(self)
        self.loader = CallLoader(self.ops, self)
        self.spectrograms = SpectrogramService(self.ops, self)
        self.importer = ImportRunner(self.ops, engine, self)
        self.redetector = RedetectRunner(self.ops, engine, self)
        self.library_model = LibraryModel(self)
        self.segment_model = SegmentTableModel(self)
        install_report_style()  # before any figure: the PDFs then draw on a worker, changing nothing global
        layout = lay_out_views(self, self.library_model, self.segment_model)
        self.views, self.splitter, self.bottom_splitter = layout.views, layout.splitter, layout.bottom_splitter
        self.library_dock = layout.library_dock
        self._left_docks.append(self.library_dock)
        v = self.views  # the views by name, for the features' wiring below and for tests
        self.overview, self.signal_view, self.transport, self.transcript = (v.overview, v.signal_view,
                                                                             v.transport, v.transcript)
        self.segment_table, self.call_badges, self.library = v.segment_table, v.call_badges, v.library
        self.act = make_actions(self, self.controller.undo_group, self.views)

        ctx, views = self.ctx, self.views
        self.calls = CallOpener(self, ctx, views, self.state, self.controller, self.player, self.loader,
                                self.spectrograms, self.segment_model, self.library_model,
                                self._set_session_enabled)
        self.review = ReviewFeature(self, ctx, views, self.state, self.controller, self.player, self.calls,
                                    self.segment_model, self.act)
        self.library_actions = LibraryActions(self, ctx, self.controller, self.calls, self.library,
                                              self.library_model, self.importer, self.redetector)
        self.history = HistoryFeature(ctx, self.controller, self.calls, self)
        self.privacy = PrivacyView(ctx, self.calls, self.player, views.signal_view, self)
        self.team = TeamFeature(self, ctx, self.controller, self.calls, self.review, self.library_actions,
                                self.library_model)
        self.calibration = CalibrationFeature(self, ctx, self.controller, self.calls, self.library_actions)
        self.model_view = ModelView(self.calls, self.state, self.controller, views, self)
        self.reviewer_name = ReviewerName(self, ctx, db_label)
        self._connect_actions(self._action_table())
        self._wire()
        self._place_panels()
        self._set_session_enabled(False)
        self.library_actions.refresh_library()
        self._restore_geometry()

    @property
    def engine(self):
        return self.ctx.engine

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def settings_path(self) -> str:
        return self.ctx.settings_path

    # --- composition --------------------------------------------------------------------

    def _action_table(self) -> dict[str, Callable]:
        """Every action's handler: the shell's own rows and each feature's `actions()`."""
        table: dict[str, Callable] = {}
        for rows in (self._shell_actions(), self.review.actions(), self.library_actions.actions(),
                     self.team.actions(), self.calibration.actions()):
            twice = set(rows) & set(table)
            if twice:
                raise RuntimeError(f"window actions answered twice: {sorted(twice)}")
            table.update(rows)
        wanted = {spec.name for spec in ACTIONS} - set(UNDO_ACTIONS)
        if set(table) != wanted:
            raise RuntimeError(f"window actions without a handler: {sorted(wanted - set(table))}; "
                               f"handlers without an action: {sorted(set(table) - wanted)}")
        return table

    def _shell_actions(self) -> dict[str, Callable]:
        return {"focus_filter": self.do_focus_filter, "toggle_library": self.do_toggle_library,
                "review_queue": self.do_review_queue, "settings": self.do_settings,
                "shortcuts": self.do_shortcuts, "quit": self.close}

    def _connect_actions(self, table: dict[str, Callable]) -> None:
        for spec in ACTIONS:
            handler = table.get(spec.name)
            if handler is None:
                continue
            if spec.checkable:
                self.act[spec.name].triggered.connect(lambda checked=False, h=handler: h(checked))
            else:
                self.act[spec.name].triggered.connect(lambda _checked=False, h=handler: h())

    def _wire(self) -> None:
        """The views follow the shared state, and report what the user asks of it."""
        st, view, ov = self.state, self.signal_view, self.overview
        st.viewportChanged.connect(view.set_viewport)
        st.viewportChanged.connect(ov.set_viewport)
        view.viewportRequested.connect(st.set_viewport)
        ov.viewportRequested.connect(st.set_viewport)
        view.segmentClicked.connect(st.select)
        self.call_badges.segmentClicked.connect(st.select)
        st.segmentSelected.connect(self.call_badges.set_selected)
        view.spectrogramWanted.connect(self.spectrograms.request)
        self.spectrograms.ready.connect(view.set_spectrogram)
        self.player.positionChanged.connect(st.set_playhead)
        self.player.speedChanged.connect(self.transport.set_speed)
        self.player.message.connect(self.show_info)
        self.controller.error.connect(self.show_error)
        self.controller.info.connect(self.show_info)
        self.calls.callReady.connect(self.callReady)
        self.library_actions.libraryLoaded.connect(self.libraryLoaded)
        self.calibration.blindChanged.connect(  # the status bar names whom a blind review is recorded as
            lambda blind: self.reviewer_name.act_as(self.calibration.reviewer if blind else None))

    def _place_panels(self) -> None:
        """The features' panels: docks tabbed with the library, the toolbar, the status bar."""
        self.statusBar().addPermanentWidget(self.reviewer_name.label)
        self.statusBar().addPermanentWidget(self.team.training_label)
        self.statusBar().addPermanentWidget(self.team.busy_label)
        self.statusBar().addPermanentWidget(self.team.label_import_progress)
        self.statusBar().addPermanentWidget(self.team.policy_label)
        self.queue_dock = self._tabbed_dock("Review queue", "review_queue", self.team.queue_panel,
                                            closable=True)
        self.queue_dock.hide()
        self.history_dock = self._tabbed_dock("History", "history", self.history.panel)
        self.library_dock.raise_()
        self.tools_bar = make_toolbar(self, self.act)

    def _tabbed_dock(self, title: str, name: str, panel: QWidget, closable: bool = False) -> QDockWidget:
        """A dock tabbed beside the library: no width taken."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(panel)
        if closable:
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.tabifyDockWidget(self.library_dock, dock)
        self._left_docks.append(dock)
        return dock

    def _set_session_enabled(self, on: bool) -> None:
        for name in SESSION_ACTIONS:
            self.act[name].setEnabled(on)
        for spec in ACTIONS:
            if spec.name.startswith("category_"):
                self.act[spec.name].setEnabled(on)
        if on:
            self.transcript.editable = self.controller.session is not None

    # --- what app.py and the benchmarks ask of the window ------------------------------------

    def open_call(self, call: CallSummary) -> bool:
        return self.calls.open_call(call)

    def close_call(self) -> None:
        self.calls.close_call()

    def import_paths(self, paths: list[str], open_first: bool = False) -> None:
        self.library_actions.import_paths(paths, open_first)

    # --- the shell's own actions ---------------------------------------------------------------

    def do_focus_filter(self) -> None:
        self.library_dock.show()
        self.library.filter_edit.setFocus()
        self.library.filter_edit.selectAll()

    def do_toggle_library(self) -> None:
        """Ctrl+L: hide or show the library with the docks tabbed with it (review queue, history);
        the central views take the room, the window keeps its size."""
        docks = self._left_docks
        show = not any(d.isVisible() for d in docks)
        for dock in docks:
            dock.setVisible(show)
        if show:
            self.library_dock.raise_()

    def do_review_queue(self) -> None:
        self.queue_dock.show()
        self.queue_dock.raise_()
        if self.team.queue_panel.table.rowCount() == 0:
            self.team.queue_panel.request_refresh()

    def do_settings(self) -> None:
        from reviewer_app.gui.dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.settings_path, self, engine=self.engine,
                                ops=self.ops)
        if not dialog.exec() or dialog.settings_result is None:
            return
        try:
            save_settings(dialog.settings_result, self.settings_path)
        except (OSError, ReviewerError) as exc:
            self.show_error(f"{self.settings_path}: cannot save settings ({exc})")
            return
        self.ctx.settings = dialog.settings_result
        self.reviewer_name.update_reviewer_label()
        self.team.update_policy_label()
        self.show_info(f"Settings saved to {self.settings_path}")
        if dialog.rerun_requested:
            self.library_actions.do_rerun_rules()

    def do_shortcuts(self) -> None:
        from reviewer_app.gui.dialogs.shortcuts_dialog import ShortcutsDialog

        ShortcutsDialog(self).exec()

    # --- messages ----------------------------------------------------------------------------

    def show_info(self, message: str) -> None:
        self.statusBar().setStyleSheet("")
        self.statusBar().showMessage(message, 8000)

    def show_error(self, message: str) -> None:
        """Status bar (red) and a non-modal message box: never blocks the review."""
        self.statusBar().setStyleSheet("QStatusBar { color: #b00020; font-weight: bold; }")
        self.statusBar().showMessage(message, 20000)
        if self._last_error is not None:
            self._last_error.close()
        box = QMessageBox(QMessageBox.Icon.Warning, "Call review", message, QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()
        self._last_error = box
        QTimer.singleShot(30000, box.close)

    # --- window state ----------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        qs = QSettings("reviewer_app", "reviewer")
        geometry = qs.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = qs.value("window_state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        for key, splitter in (("views_splitter", self.splitter), ("bottom_splitter", self.bottom_splitter)):
            saved = qs.value(key)
            if isinstance(saved, QByteArray):
                splitter.restoreState(saved)

    def resizeEvent(self, event) -> None:  # noqa: N802
        """On a narrower window the left docks give up width first (to 30% of the window, at least
        their minimum), so the signal views and the segment table keep theirs."""
        super().resizeEvent(event)
        docks = [d for d in self._left_docks if d.isVisible() and not d.isFloating()]
        cap = max(240, int(0.3 * self.width()))
        if docks and max(d.width() for d in docks) > cap:
            self.resizeDocks(docks[:1], [cap], Qt.Orientation.Horizontal)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.player.stop()
        self.importer.cancel()
        self.team._stop_team_work()
        qs = QSettings("reviewer_app", "reviewer")
        qs.setValue("geometry", self.saveGeometry())
        qs.setValue("window_state", self.saveState())
        qs.setValue("views_splitter", self.splitter.saveState())
        qs.setValue("bottom_splitter", self.bottom_splitter.saveState())
        self.ops.wait(5000)
        super().closeEvent(event)
