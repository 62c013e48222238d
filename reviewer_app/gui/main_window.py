"""The reviewer window: layout, and the wiring between the shared state, the controller,
the player, the background services and the views.

Views never call each other. The table, the signal view, the overview and the
transcript report user intents as signals; this window turns them into
controller calls or ReviewState changes, and ReviewState's signals update
every view. What each action does lives in review_actions.py.
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.core.review.call_audio import CallAudio
from reviewer_app.core.review.transcript import TranscriptIndex
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.repository import CallSummary
from reviewer_app.gui.actions import ACTIONS, EDIT, HELP, LIBRARY, MODEL, NAVIGATE, PLAYBACK, REVIEW, TEAM
from reviewer_app.gui.controller import ReviewController
from reviewer_app.gui.models.library_model import LibraryModel
from reviewer_app.gui.models.segment_model import SegmentTableModel
from reviewer_app.gui.ops import Ops
from reviewer_app.gui.playback import Player
from reviewer_app.gui.review_actions import ReviewActions
from reviewer_app.gui.services import CallLoader, ImportRunner, RedetectRunner, SpectrogramService
from reviewer_app.gui.state import ReviewState
from reviewer_app.gui.history import HistoryActions
from reviewer_app.gui.reviewer_name import ReviewerNameActions
from reviewer_app.gui.team_actions import TeamActions
from reviewer_app.gui.widgets.call_badges import CallBadges
from reviewer_app.gui.widgets.library_panel import LibraryPanel
from reviewer_app.gui.widgets.overview import OverviewStrip
from reviewer_app.gui.widgets.segment_table import SegmentTable
from reviewer_app.gui.widgets.signal_view import SignalView
from reviewer_app.gui.widgets.transcript_view import TranscriptView
from reviewer_app.gui.widgets.transport import TransportBar

SESSION_ACTIONS = {"play_pause", "play_segment", "seek_back", "seek_forward", "next_segment", "prev_segment",
                   "zoom_in", "zoom_out", "zoom_segment", "zoom_all", "pan_left", "pan_right", "confirm",
                   "reject", "delete", "note", "cycle_role", "nudge_start_left", "nudge_start_right",
                   "nudge_end_left", "nudge_end_right", "mark_in", "mark_out", "mark_reviewed", "edit_turn",
                   "reload", "rerun_rules", "scorecard"}


class MainWindow(QMainWindow, ReviewActions, TeamActions, HistoryActions, ReviewerNameActions):
    callReady = Signal(int)  # a call's labels and transcript are shown (its audio loaded or failed)
    libraryLoaded = Signal(int)  # the whole library was (re)read: how many calls it holds

    def __init__(self, engine, settings: Settings, settings_path: str, db_label: str = "") -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings
        self.settings_path = settings_path
        self.setWindowTitle("Call review")
        self.resize(1600, 980)
        screen = self.screen()
        if screen is not None:  # a first start on a laptop: never larger than the screen
            room = screen.availableGeometry()
            self.resize(min(1600, room.width()), min(980, room.height()))

        self.ops = Ops(self)
        self.state = ReviewState(self)
        self.controller = ReviewController(engine, lambda: self.settings.reviewer.name, self.ops, self,
                                           score_settings=lambda: self.settings.score)
        self.player = Player(self)
        self.loader = CallLoader(self.ops, self)
        self.spectrograms = SpectrogramService(self.ops, self)
        self.importer = ImportRunner(self.ops, engine, self)
        self.redetector = RedetectRunner(self.ops, engine, self)
        self.audio: CallAudio | None = None
        self.open_started: float | None = None
        self.first_paint_s: float | None = None
        self._open_after_import = False  # open the first imported call when the import ends
        self._mark_in: float | None = None
        self._opening: CallSummary | None = None  # the call being (or last) opened
        self._roles: tuple[str, ...] = ()  # channel roles the lanes were built for
        self._audio_error: str | None = None
        self._session_asked = False
        self._playing_segment: int | None = None
        self._last_error = None

        self.library_model = LibraryModel(self)
        self.segment_model = SegmentTableModel(self)
        self._build_views()
        self._build_actions()
        self._wire()
        self._set_session_enabled(False)
        self._db_label = db_label
        self.reviewer_label = QLabel()
        self.statusBar().addPermanentWidget(self.reviewer_label)
        self.update_reviewer_label()
        self._build_reviewer()
        self._build_team()
        self._build_history()
        self.refresh_library()
        self._restore_geometry()

    # --- layout ------------------------------------------------------------------------

    def _build_views(self) -> None:
        self.overview = OverviewStrip()
        self.signal_view = SignalView()
        self.transport = TransportBar()
        self.transcript = TranscriptView()
        self.segment_table = SegmentTable(self.segment_model)
        self.library = LibraryPanel(self.library_model)
        self.library.setMinimumWidth(240)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(2)
        self.call_badges = CallBadges()
        top_layout.addWidget(self.call_badges)
        top_layout.addWidget(self.overview)
        top_layout.addWidget(self.signal_view, 1)
        top_layout.addWidget(self.transport)

        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self._titled("Transcript", self.transcript))
        bottom.addWidget(self._titled("Segments", self.segment_table))
        bottom.setStretchFactor(0, 2)
        bottom.setStretchFactor(1, 3)
        bottom.setChildrenCollapsible(True)
        bottom.setSizes([600, 900])
        self.bottom_splitter = bottom

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([560, 360])
        self.setCentralWidget(self.splitter)

        self.library_dock = QDockWidget("Library", self)
        self.library_dock.setObjectName("library")
        self.library_dock.setWidget(self.library)
        self.library_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                      | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.library_dock)
        self.resizeDocks([self.library_dock], [320], Qt.Orientation.Horizontal)

    @staticmethod
    def _titled(title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        label = QLabel(f"<b>{title}</b>")
        layout.addWidget(label)
        layout.addWidget(widget, 1)
        return box

    def _build_actions(self) -> None:
        self.act: dict[str, QAction] = {}
        groups = (LIBRARY, EDIT, REVIEW, PLAYBACK, NAVIGATE, TEAM, MODEL, HELP)
        menus = {g: self.menuBar().addMenu(g) for g in groups}
        menus[LIBRARY].setTitle("&File")
        undo = self.controller.undo_group.createUndoAction(self, "Undo")
        redo = self.controller.undo_group.createRedoAction(self, "Redo")
        for spec in ACTIONS:
            if spec.name == "undo":
                action = undo
            elif spec.name == "redo":
                action = redo
            else:
                action = QAction(spec.text, self)
                action.setCheckable(spec.checkable)
                handler = getattr(self, f"do_{spec.name}", None)
                if handler is None and spec.name.startswith("category_"):
                    index = int(spec.name.split("_")[1]) - 1
                    action.triggered.connect(lambda _=False, i=index: self.do_category(i))
                elif handler is not None:
                    action.triggered.connect(lambda checked=False, h=handler, s=spec: h(checked) if s.checkable else h())
            action.setShortcuts([QKeySequence(k) for k in spec.keys])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
            menus[spec.group].addAction(action)
            self.act[spec.name] = action
        bar = self.transport
        for name, label in (("play_pause", "▶ Play/Pause"), ("play_segment", "▶ Segment"), ("loop", "⟲ Loop"),
                            ("speed_down", "Slower"), ("speed_up", "Faster")):
            bar.add_action(self.act[name], label)
        bar.add_separator()
        for name, label in (("solo_agent", "Solo agent"), ("solo_customer", "Solo customer"),
                            ("mute_agent", "Mute agent"), ("mute_customer", "Mute customer")):
            bar.add_action(self.act[name], label)
        bar.add_separator()
        for name, label in (("zoom_out", "Zoom −"), ("zoom_in", "Zoom +"), ("zoom_segment", "Zoom to segment"),
                            ("zoom_all", "Whole call")):
            bar.add_action(self.act[name], label)
        for name, label in (("prev_segment", "◀ Previous"), ("next_segment", "Next ▶"), ("confirm", "✔ Confirm"),
                            ("reject", "✘ Reject"), ("delete", "Delete"), ("note", "Note…"),
                            ("mark_reviewed", "Mark call reviewed")):
            bar.add_action(self.act[name], label, row=1)
        bar.add_separator(row=1)
        bar.add_action(self.act["undo"], "↶ Undo", row=1)
        bar.add_action(self.act["redo"], "↷ Redo", row=1)
        self.transport.finish()
        self.library.add_import_action(self.act["import_files"])
        self.library.add_import_action(self.act["import_folder"])
        self.library.finish_import_row()

    def _wire(self) -> None:
        st, view, ov, tr = self.state, self.signal_view, self.overview, self.transcript
        st.viewportChanged.connect(view.set_viewport)
        st.viewportChanged.connect(ov.set_viewport)
        st.playheadMoved.connect(self._on_playhead)
        st.segmentSelected.connect(self._on_selected)

        view.viewportRequested.connect(st.set_viewport)
        ov.viewportRequested.connect(st.set_viewport)
        view.seekRequested.connect(self.seek)
        view.segmentClicked.connect(st.select)
        self.call_badges.segmentClicked.connect(st.select)
        st.segmentSelected.connect(self.call_badges.set_selected)
        view.boundsEdited.connect(lambda sid, a, b: self.controller.set_bounds(sid, a, b))
        view.spanDrawn.connect(self._on_span_drawn)
        view.contextMenuRequested.connect(self._segment_menu)
        view.spectrogramWanted.connect(self.spectrograms.request)
        view.waveformPainted.connect(self._on_waveform_painted)
        self.spectrograms.ready.connect(view.set_spectrogram)

        tr.seekRequested.connect(self.seek)
        tr.seekRequested.connect(self.select_finding_at)
        tr.turnEdited.connect(self.controller.edit_turn)
        tr.editRefused.connect(self.show_error)
        self.segment_table.segmentActivated.connect(self._on_table_pick)

        self.player.positionChanged.connect(st.set_playhead)
        self.player.speedChanged.connect(self.transport.set_speed)
        self.player.playingChanged.connect(self._on_playing)
        self.player.message.connect(self.show_info)

        c = self.controller
        c.segmentsChanged.connect(self._on_segments_changed)
        c.transcriptChanged.connect(self._on_transcript_changed)
        c.callChanged.connect(self._on_call_changed)
        c.error.connect(self.show_error)
        c.info.connect(self.show_info)

        self.loader.audioLoaded.connect(self._on_audio_loaded)
        self.loader.audioFailed.connect(self._on_audio_failed)
        self.loader.sessionLoaded.connect(self._on_session_loaded)
        self.loader.failed.connect(self._on_open_failed)
        self.library.callActivated.connect(self.open_call)
        self.library.cancelRequested.connect(self.importer.cancel)
        self.importer.progress.connect(self.library.show_progress)
        self.importer.running.connect(self.library.set_importing)
        self.importer.fileFinished.connect(self._on_import_file_done)
        self.importer.finished.connect(self._on_import_finished)
        self.importer.failed.connect(self.show_error)
        self.redetector.finished.connect(self._on_redetected)
        self.redetector.failed.connect(self.show_error)

    def _set_session_enabled(self, on: bool) -> None:
        for name in SESSION_ACTIONS:
            self.act[name].setEnabled(on)
        for spec in ACTIONS:
            if spec.name.startswith("category_"):
                self.act[spec.name].setEnabled(on)
        if on:
            self.transcript.editable = self.controller.session is not None

    def update_reviewer_label(self) -> None:
        self.reviewer_label.setText(f"Reviewer: {self.settings.reviewer.name}  ·  {self._db_label}")

    # --- library -------------------------------------------------------------------------

    def refresh_library(self, then=None) -> None:
        """Read the whole library on the read lane; `then(calls)` once it is shown."""
        engine = self.engine

        def show(calls) -> None:
            self.library_model.set_calls(calls)
            if self.controller.session is not None:
                self.library.select_call(self.controller.session.call_id)
            if then is not None:
                then(calls)
            self.libraryLoaded.emit(len(calls))

        self.ops.query(lambda _c: repository.list_calls(engine), owner=self, on_success=show,
                       on_failure=lambda f: self.show_error(f.message))

    def apply_rows(self, change) -> None:
        """A LibraryRowsChanged: update or add just those rows."""
        if change is not None:
            self.library_model.upsert_calls(change.calls)

    def import_paths(self, paths: list[str], open_first: bool = False) -> None:
        if not paths:
            return
        if self.importer.busy:
            self.show_error("An import is already running; wait for it or cancel it.")
            return
        self.library.show_failures([])
        self._open_after_import = open_first
        self.importer.start(list(paths), self.settings)

    def _on_import_file_done(self, step) -> None:
        self.apply_rows(step.rows)

    def _on_import_finished(self, outcomes) -> None:
        failures = [o.error for o in outcomes if o.error]
        self.library.show_failures(failures)
        ok = sum(1 for o in outcomes if not o.error)
        self.show_info(f"Import finished: {ok} analysed, {len(failures)} failed."
                       if outcomes else "No audio files found in what was imported.")
        if failures:
            self.show_error(f"{len(failures)} file(s) failed: " + "; ".join(failures[:3]))
        if self._open_after_import:
            self._open_after_import = False
            first = next((o for o in outcomes if o.analysis is not None), None)
            call = self.library_model.find_sha(first.analysis.audio.sha256) if first else None
            if call is not None:
                self.open_call(call)

    # --- opening a call ----------------------------------------------------------------------

    def open_call(self, call: CallSummary) -> bool:
        """Open a call. Its audio and then its labels and transcript load in the loading lane;
        the waveform shows as soon as the audio is decoded, the rest right after."""
        self.open_started = time.perf_counter()
        self.first_paint_s = None
        self.player.set_audio(None)  # the previous call's audio is freed before the next one decodes
        self.audio = None
        self.spectrograms.set_audio(None)
        self.signal_view.forget_audio()
        self.overview.forget_audio()
        self._playing_segment = None
        self._mark_in = None
        self.controller.close_call()  # its undo history stays for when it is reopened
        self._opening = call
        self._session_asked = False
        self._roles = ()
        self._set_session_enabled(False)
        self.state.reset(call.duration_s)
        self.signal_view.set_call(call.duration_s, ())
        self.signal_view.set_message(f"Opening {Path(call.path).name}…")
        self.overview.set_call(call.duration_s)
        self.transcript.set_transcript([], TranscriptIndex([]))
        self.segment_model.set_segments([])
        self.transport.set_duration(call.duration_s)
        self.setWindowTitle(f"{Path(call.path).name} — opening… — Call review")
        self.library.select_call(call.id)
        self.loader.load_audio(call)  # the session is asked for once the waveform is up
        return True

    def _load_session(self) -> None:
        call = self._opening
        if call is not None and self.controller.session is None and not self._session_asked:
            self._session_asked = True
            self.loader.load_session(call, lambda: self.controller.new_session(call), self.controller.session_lane())

    def _guess_roles(self, channels: int) -> tuple[str, ...]:
        return ("both",) if channels == 1 else tuple(self.settings.channels.roles[:channels])

    def _lay_out(self, roles: tuple[str, ...]) -> None:
        """(Re)build the lanes for these channel roles and give the views what has arrived."""
        session = self.controller.session
        duration = self.audio.duration_s if self.audio is not None else self._opening.duration_s
        self._roles = roles
        self.signal_view.set_call(duration, roles)
        if self.audio is not None:
            self.signal_view.set_audio(self.audio)
        if session is not None:
            self.signal_view.set_turns(session.analysis.transcript)
            self.signal_view.set_segments(self.shown_segments(session.segments))
            self.signal_view.set_selected(self.state.selected)
        vp = self.state.viewport
        if vp is None or abs(vp.duration - duration) > 0.05:
            self.state.reset(duration)
        self.signal_view.set_viewport(self.state.viewport)
        self.signal_view.set_playhead(self.state.playhead)

    def _on_audio_loaded(self, call_id: int, audio: CallAudio) -> None:
        session = self.controller.session
        roles = tuple(session.analysis.audio.roles) if session is not None else ()
        if len(roles) != audio.samples.shape[0]:
            roles = self._guess_roles(audio.samples.shape[0])
        self.audio = replace(audio, roles=roles)
        self._lay_out(roles)
        self.signal_view.redraw()
        self.signal_view.repaint()  # the waveform first; the overview and the rest follow
        self.overview.set_call(audio.duration_s)
        self.overview.set_audio(self.audio)
        self.spectrograms.set_audio(self.audio)
        self.player.set_audio(self.audio.samples, self.audio.sample_rate)
        self._apply_channel_gains()
        self.transport.set_duration(audio.duration_s)
        QTimer.singleShot(1000, self._load_session)  # in case no paint comes (hidden window)

    def _on_audio_failed(self, call_id: int, message: str) -> None:
        self._audio_error = message
        self._load_session()
        self.show_error(f"Cannot load the audio: {message} — the transcript and segments are still shown.")

    def _on_session_loaded(self, call_id: int, session) -> None:
        self.controller.adopt(session)
        roles = tuple(session.analysis.audio.roles) or ("both",)
        if self.audio is not None and len(roles) == self.audio.samples.shape[0] and roles != self._roles:
            self.audio = replace(self.audio, roles=roles)  # the stored roles win over the guess
            self._lay_out(roles)
            self._apply_channel_gains()
        elif self.audio is None:
            self._lay_out(roles)
            self.signal_view.set_message(f"Audio not available: {self._audio_error}" if self._audio_error else "")
        self.signal_view.set_turns(session.analysis.transcript)
        self.transcript.set_transcript(session.analysis.transcript, session.index)
        self._on_segments_changed()
        self._set_session_enabled(True)
        self._update_title()
        self._audio_error = None
        self.callReady.emit(call_id)

    def _on_open_failed(self, call_id: int, message: str) -> None:
        self.show_error(f"Cannot open {self._opening.path if self._opening else 'the call'}: {message}")
        self.close_call()

    def close_call(self) -> None:
        """Close the open call and free its audio (its undo history stays for a later reopen)."""
        self.loader.forget()
        self._opening = None
        self.player.set_audio(None)
        self.spectrograms.set_audio(None)
        self.audio = None
        self.controller.close_call()
        self.state.reset(None)
        self.signal_view.set_call(1.0, ())
        self.overview.set_call(1.0)
        self.transcript.set_transcript([], TranscriptIndex([]))
        self.segment_model.set_segments([])
        self._set_session_enabled(False)
        self._update_title()

    def _on_waveform_painted(self) -> None:
        if self.open_started is not None and self.first_paint_s is None:
            self.first_paint_s = time.perf_counter() - self.open_started
        self._load_session()

    def _update_title(self) -> None:
        session = self.controller.session
        if session is None:
            self.setWindowTitle("Call review")
            return
        call = session.call
        self.setWindowTitle(f"{Path(call.path).name} — score {call.score_text} ({call.score_grade}), "
                            f"{call.review_status.replace('_', ' ')} — Call review")

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
        docks = [d for d in (self.library_dock, getattr(self, "queue_dock", None), getattr(self, "history_dock", None))
                 if d is not None and d.isVisible() and not d.isFloating()]
        cap = max(240, int(0.3 * self.width()))
        if docks and max(d.width() for d in docks) > cap:
            self.resizeDocks(docks[:1], [cap], Qt.Orientation.Horizontal)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.player.stop()
        self.importer.cancel()
        self._stop_team_work()
        qs = QSettings("reviewer_app", "reviewer")
        qs.setValue("geometry", self.saveGeometry())
        qs.setValue("window_state", self.saveState())
        qs.setValue("views_splitter", self.splitter.saveState())
        qs.setValue("bottom_splitter", self.bottom_splitter.saveState())
        self.ops.wait(5000)
        super().closeEvent(event)
