"""Redacted personal data on the open call: hatched in the waveform and muted at playback.

A call analysed with `[privacy] redact = true` has a redacted transcript and, in its audit log,
where the personal data was (storage/redactions.py). When the call is shown, those spans are read
on the read lane, widened by `[privacy] padding_s` as the redacted audio is, hatched on every
waveform lane and muted on every channel of what the player plays (the same core function that
writes redacted files, core/privacy/redact.py). The waveform itself is still drawn from the
stored audio; only its shape shows under the hatching, nothing of it is heard.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from reviewer_app.core.domain import Interval, PiiSpan
from reviewer_app.core.privacy.redact import redact_samples, redaction_intervals
from reviewer_app.core.storage.redactions import current_spans
from reviewer_app.gui.context import WindowContext


class PrivacyView(QObject):
    spansShown = Signal(int)  # how many redacted spans the open call has (0: none)

    def __init__(self, ctx: WindowContext, calls, player, signal_view, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.calls, self.player, self.signal_view = ctx, calls, player, signal_view
        self.spans: list[PiiSpan] = []
        self.intervals: list[Interval] = []
        self._call_id: int | None = None
        calls.opening.connect(self.forget)
        calls.callReady.connect(self.load)

    def forget(self) -> None:
        self._call_id, self.spans, self.intervals = None, [], []
        self.signal_view.set_pii([])

    def load(self, call_id: int) -> None:
        """Read the call's redacted spans (read lane), then show and mute them."""
        self._call_id = call_id
        engine = self.ctx.engine
        self.ctx.ops.query(lambda _cancel: current_spans(engine, call_id), owner=self,
                           on_success=lambda spans, cid=call_id: self.show(cid, spans))

    def show(self, call_id: int, spans: list[PiiSpan]) -> None:
        if call_id != self._call_id:
            return  # another call was opened meanwhile
        audio = self.calls.audio
        duration = audio.duration_s if audio is not None else max((s.end for s in spans), default=0.0)
        self.spans = list(spans)
        self.intervals = redaction_intervals(spans, self.ctx.settings.privacy.padding_s, duration)
        self.signal_view.set_pii(self.intervals)
        if self.intervals and audio is not None:
            position = self.player.position
            self.player.set_audio(redact_samples(audio.samples, audio.sample_rate, self.intervals),
                                  audio.sample_rate)
            self.player.seek(position)
        self.spansShown.emit(len(self.spans))
