"""Opening and closing a call in the window.

Its audio and then its labels and transcript load in the loading lane (the
CallLoader, through gui/ops.py); the waveform shows as soon as the audio is
decoded, the rest right after. The opener lays the views out for the call's
channel roles and announces each step by a signal; the review feature follows
them (channel gains, the segment views).
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from reviewer_app.core.review.call_audio import CallAudio
from reviewer_app.core.review.transcript import TranscriptIndex
from reviewer_app.core.storage.repository import CallSummary
from reviewer_app.gui.context import WindowContext, WindowViews
from reviewer_app.gui.widgets.call_badges import shown_segments


class CallOpener(QObject):
    opening = Signal()  # a call is being opened or closed: what belonged to the last one is dropped
    audioReady = Signal()  # the call's audio (with its channel roles) is set on the player
    sessionShown = Signal()  # the labels and transcript are in the views (before callReady)
    callReady = Signal(int)  # a call's labels and transcript are shown (its audio loaded or failed)

    def __init__(self, window, ctx: WindowContext, views: WindowViews, state, controller, player, loader,
                 spectrograms, segment_model, library_model, set_session_enabled) -> None:
        super().__init__(window)
        self.window, self.ctx, self.views = window, ctx, views
        self.state, self.controller, self.player = state, controller, player
        self.loader, self.spectrograms = loader, spectrograms
        self.segment_model, self.library_model = segment_model, library_model
        self._set_session_enabled = set_session_enabled
        self.audio: CallAudio | None = None
        self.open_started: float | None = None
        self.first_paint_s: float | None = None
        self._opening: CallSummary | None = None  # the call being (or last) opened
        self._roles: tuple[str, ...] = ()  # channel roles the lanes were built for
        self._audio_error: str | None = None
        self._session_asked = False
        loader.audioLoaded.connect(self._on_audio_loaded)
        loader.audioFailed.connect(self._on_audio_failed)
        loader.sessionLoaded.connect(self._on_session_loaded)
        loader.failed.connect(self._on_open_failed)
        views.signal_view.waveformPainted.connect(self._on_waveform_painted)
        controller.callChanged.connect(self._on_call_changed)

    def open_call(self, call: CallSummary) -> bool:
        """Open a call. Its audio and then its labels and transcript load in the loading lane;
        the waveform shows as soon as the audio is decoded, the rest right after."""
        v = self.views
        self.open_started = time.perf_counter()
        self.first_paint_s = None
        self.player.set_audio(None)  # the previous call's audio is freed before the next one decodes
        self.audio = None
        self.spectrograms.set_audio(None)
        v.signal_view.forget_audio()
        v.overview.forget_audio()
        self.opening.emit()
        self.controller.close_call()  # its undo history stays for when it is reopened
        self._opening = call
        self._session_asked = False
        self._roles = ()
        self._set_session_enabled(False)
        self.state.reset(call.duration_s)
        v.signal_view.set_call(call.duration_s, ())
        v.signal_view.set_message(f"Opening {Path(call.path).name}…")
        v.overview.set_call(call.duration_s)
        v.transcript.set_transcript([], TranscriptIndex([]))
        self.segment_model.set_segments([])
        v.transport.set_duration(call.duration_s)
        self.window.setWindowTitle(f"{Path(call.path).name} — opening… — Call review")
        v.library.select_call(call.id)
        self.loader.load_audio(call)  # the session is asked for once the waveform is up
        return True

    def _load_session(self) -> None:
        call = self._opening
        if call is not None and self.controller.session is None and not self._session_asked:
            self._session_asked = True
            self.loader.load_session(call, lambda: self.controller.new_session(call), self.controller.session_lane())

    def _guess_roles(self, channels: int) -> tuple[str, ...]:
        return ("both",) if channels == 1 else tuple(self.ctx.settings.channels.roles[:channels])

    def _lay_out(self, roles: tuple[str, ...]) -> None:
        """(Re)build the lanes for these channel roles and give the views what has arrived."""
        view = self.views.signal_view
        session = self.controller.session
        duration = self.audio.duration_s if self.audio is not None else self._opening.duration_s
        self._roles = roles
        view.set_call(duration, roles)
        if self.audio is not None:
            view.set_audio(self.audio)
        if session is not None:
            view.set_turns(session.analysis.transcript)
            view.set_segments(shown_segments(session.segments, self.state.hide_rejected))
            view.set_selected(self.state.selected)
        vp = self.state.viewport
        if vp is None or abs(vp.duration - duration) > 0.05:
            self.state.reset(duration)
        view.set_viewport(self.state.viewport)
        view.set_playhead(self.state.playhead)

    def _on_audio_loaded(self, call_id: int, audio: CallAudio) -> None:
        v = self.views
        session = self.controller.session
        roles = tuple(session.analysis.audio.roles) if session is not None else ()
        if len(roles) != audio.samples.shape[0]:
            roles = self._guess_roles(audio.samples.shape[0])
        self.audio = replace(audio, roles=roles)
        self._lay_out(roles)
        v.signal_view.redraw()
        v.signal_view.repaint()  # the waveform first; the overview and the rest follow
        v.overview.set_call(audio.duration_s)
        v.overview.set_audio(self.audio)
        self.spectrograms.set_audio(self.audio)
        self.player.set_audio(self.audio.samples, self.audio.sample_rate)
        self.audioReady.emit()
        v.transport.set_duration(audio.duration_s)
        QTimer.singleShot(1000, self._load_session)  # in case no paint comes (hidden window)

    def _on_audio_failed(self, call_id: int, message: str) -> None:
        self._audio_error = message
        self._load_session()
        self.ctx.show_error(f"Cannot load the audio: {message} — the transcript and segments are still shown.")

    def _on_session_loaded(self, call_id: int, session) -> None:
        v = self.views
        self.controller.adopt(session)
        roles = tuple(session.analysis.audio.roles) or ("both",)
        if self.audio is not None and len(roles) == self.audio.samples.shape[0] and roles != self._roles:
            self.audio = replace(self.audio, roles=roles)  # the stored roles win over the guess
            self._lay_out(roles)
            self.audioReady.emit()
        elif self.audio is None:
            self._lay_out(roles)
            v.signal_view.set_message(f"Audio not available: {self._audio_error}" if self._audio_error else "")
        v.signal_view.set_turns(session.analysis.transcript)
        v.transcript.set_transcript(session.analysis.transcript, session.index)
        self.sessionShown.emit()
        self._set_session_enabled(True)
        self.update_title()
        self._audio_error = None
        self.callReady.emit(call_id)

    def _on_open_failed(self, call_id: int, message: str) -> None:
        self.ctx.show_error(f"Cannot open {self._opening.path if self._opening else 'the call'}: {message}")
        self.close_call()

    def close_call(self) -> None:
        """Close the open call and free its audio (its undo history stays for a later reopen)."""
        v = self.views
        self.loader.forget()
        self._opening = None
        self.player.set_audio(None)
        self.spectrograms.set_audio(None)
        self.audio = None
        self.opening.emit()
        self.controller.close_call()
        self.state.reset(None)
        v.signal_view.set_call(1.0, ())
        v.overview.set_call(1.0)
        v.transcript.set_transcript([], TranscriptIndex([]))
        self.segment_model.set_segments([])
        self._set_session_enabled(False)
        self.update_title()

    def _on_waveform_painted(self) -> None:
        if self.open_started is not None and self.first_paint_s is None:
            self.first_paint_s = time.perf_counter() - self.open_started
        self._load_session()

    def _on_call_changed(self, call) -> None:
        self.library_model.update_call(call)
        self.update_title()

    def update_title(self) -> None:
        session = self.controller.session
        if session is None:
            self.window.setWindowTitle("Call review")
            return
        call = session.call
        self.window.setWindowTitle(f"{Path(call.path).name} — score {call.score_text} ({call.score_grade}), "
                                   f"{call.review_status.replace('_', ' ')} — Call review")
