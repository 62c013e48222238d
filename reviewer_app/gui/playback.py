"""Playback: a QAudioSink fed from core.review.playback.PlaybackRenderer.

The renderer does speed (pitch kept), solo/mute and the live region end; this
class only moves bytes (push mode: every few milliseconds it tops the
device's short buffer up) and reports the playhead ~30 times a second from
what the device has actually played. With no audio device (offscreen tests,
a server under Xvfb) or when the device fails, the same API runs on a clock:
the playhead still advances at the chosen speed and regions still end and loop.
"""
from __future__ import annotations

import os
import time

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

from reviewer_app.core.review.playback import MAX_SPEED, MIN_SPEED, PlaybackRenderer, to_int16_bytes

TICK_MS = 33  # playhead updates
FEED_MS = 15  # device buffer top-ups
BUFFER_S = 0.15  # device buffer: short, so seeks, mute and speed are heard at once
BYTES_PER_FRAME = 4  # stereo int16
STALL_S = 1.5  # a device that has played nothing this long after starting is given up on


class Player(QObject):
    positionChanged = Signal(float)
    playingChanged = Signal(bool)
    speedChanged = Signal(float)
    message = Signal(str)  # e.g. "no audio device: playing silently"

    def __init__(self, parent: QObject | None = None, use_device: bool | None = None) -> None:
        super().__init__(parent)
        self._renderer: PlaybackRenderer | None = None
        self._sink: QAudioSink | None = None
        self._io = None  # the sink's QIODevice in push mode
        self._format: QAudioFormat | None = None
        self._audio_device = None
        self.playing = False
        self.speed = 1.0
        self._mute = [False, False]
        self._solo: int | None = None
        self._region: tuple[float, float] | None = None
        self._loop = False
        self._position = 0.0
        self._clock_t0 = 0.0  # clock mode: wall time when the current run started
        self._clock_pos0 = 0.0
        self._frames_base = 0  # device mode: renderer frames written before the sink (re)started
        self._sink_started = 0.0
        if use_device is None:
            use_device = os.environ.get("QT_QPA_PLATFORM") not in ("offscreen", "minimal") \
                and os.environ.get("REVIEWER_APP_NO_AUDIO") is None
        self._want_device = use_device
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._feeder = QTimer(self)
        self._feeder.setInterval(FEED_MS)
        self._feeder.timeout.connect(self._feed)

    # --- set-up -----------------------------------------------------------------

    @property
    def has_device(self) -> bool:
        return self._format is not None

    @property
    def position(self) -> float:
        return self._position

    @property
    def duration(self) -> float:
        return self._renderer.duration_s if self._renderer else 0.0

    @property
    def samples(self):
        """The (channels, n) samples being played, None without audio."""
        return self._renderer.samples if self._renderer else None

    def set_audio(self, samples: np.ndarray | None, sample_rate: int = 8000) -> None:
        self.stop()
        self._teardown_sink()
        if samples is None:
            self._renderer = None
            return
        out_rate = self._choose_format(sample_rate)
        self._renderer = PlaybackRenderer(samples, sample_rate, out_rate or sample_rate)
        self._renderer.set_speed(self.speed)
        self._apply_gains()
        self._position = 0.0

    def use_device(self, device, fmt: QAudioFormat) -> None:
        """Play on this device in this format (tests; the default output is chosen otherwise)."""
        self._audio_device, self._format = device, fmt

    def _choose_format(self, sample_rate: int) -> int | None:
        if not self._want_device:
            return None
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            self.message.emit("No audio output device: playback runs silently (the playhead still moves).")
            return None
        fmt = QAudioFormat()
        fmt.setSampleRate(sample_rate)
        fmt.setChannelCount(2)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        if not device.isFormatSupported(fmt):
            fmt.setSampleRate(device.preferredFormat().sampleRate() or 48000)
            if not device.isFormatSupported(fmt):
                self.message.emit(f"Audio device {device.description()} cannot play 16-bit stereo: silent playback.")
                return None
        self.use_device(device, fmt)
        return fmt.sampleRate()

    def _start_sink(self) -> None:
        """A fresh sink per run: a stopped QAudioSink that is started again does not resume reliably."""
        self._stop_sink()
        self._sink = QAudioSink(self._audio_device, self._format, self)
        self._sink.setBufferSize(int(self._format.bytesForDuration(int(BUFFER_S * 1e6))))
        self._frames_base = self._renderer.frames_out
        self._sink_started = time.perf_counter()
        self._io = self._sink.start()
        self._check_sink()  # a device that fails to open reports it at once
        if self._sink is not None:
            self._feed()
            self._feeder.start()

    def _stop_sink(self) -> None:
        self._feeder.stop()
        sink, self._sink, self._io = self._sink, None, None
        if sink is not None:
            sink.stop()
            sink.deleteLater()

    def _teardown_sink(self) -> None:
        self._stop_sink()
        self._format, self._audio_device = None, None

    def _check_sink(self) -> None:
        """On a device error or a stalled device, drop it and go on with the clock from where we are."""
        if self._sink is None:
            return
        # By name: Qt 6 has both QAudio.Error and QtAudio.Error, and they do not compare equal.
        error = self._sink.error().name
        stalled = self._sink.processedUSecs() == 0 and time.perf_counter() - self._sink_started > STALL_S
        if error in ("NoError", "UnderrunError") and not stalled:
            return
        pos = self._position
        why = "it plays nothing" if stalled and error in ("NoError", "UnderrunError") else error
        self.message.emit(f"Audio device error ({why}): playback continues silently.")
        self._teardown_sink()
        if self.playing and self._renderer is not None:
            self._renderer.seek(pos)
            self._start_clock(pos)

    # --- controls ----------------------------------------------------------------

    def play(self, start: float | None = None, end: float | None = None, loop: bool | None = None) -> None:
        """Play from `start` (default: the playhead) to `end` (default: the call's end)."""
        if self._renderer is None:
            return
        if loop is not None:
            self._loop = loop
        pos = self._position if start is None else start
        if end is None and (self._region is None or start is not None):
            self._region = None
        if end is not None:
            self._region = (pos if start is None else start, end)
        if self._region is not None and not (self._region[0] - 1e-3 <= pos < self._region[1]):
            pos = self._region[0]
        if self._region is None and pos >= self.duration - 1e-3:
            pos = 0.0
        self._renderer.seek(pos)
        self._position = pos
        self._sync_region()
        self.playing = True
        if self._format is not None:
            self._start_sink()
        if self._format is None:
            self._start_clock(pos)
        self._timer.start()
        self.playingChanged.emit(True)
        self.positionChanged.emit(pos)

    def _start_clock(self, pos: float) -> None:
        self._clock_t0 = time.perf_counter()
        self._clock_pos0 = pos

    def pause(self) -> None:
        if not self.playing:
            return
        self._position, _done = self._measure()
        self.playing = False
        self._timer.stop()
        self._stop_sink()
        self.positionChanged.emit(self._position)
        self.playingChanged.emit(False)

    stop = pause

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def seek(self, t: float) -> None:
        t = min(max(float(t), 0.0), self.duration)
        self._position = t
        if self._region is not None and not (self._region[0] <= t < self._region[1]):
            self._region = None  # seeking out of the region plays on from there
            self._sync_region()
        if self.playing and self._renderer is not None:
            self.play(t)
        else:
            self.positionChanged.emit(t)

    def set_loop(self, loop: bool) -> None:
        self._loop = bool(loop)
        self._sync_region()

    @property
    def loop(self) -> bool:
        return self._loop

    @property
    def region(self) -> tuple[float, float] | None:
        return self._region

    def set_region_bounds(self, start: float, end: float) -> None:
        """Move the playing region's bounds (an edge was edited): where we are does not change."""
        if self._region is not None:
            self._region = (start, end)
            self._sync_region()

    def set_speed(self, speed: float) -> None:
        speed = float(min(max(round(speed, 3), MIN_SPEED), MAX_SPEED))
        if speed == self.speed:
            return
        if self.playing and self._sink is None:
            self._start_clock(self._clock_position())
        self.speed = speed
        if self._renderer is not None:
            self._renderer.set_speed(speed)
        self.speedChanged.emit(speed)

    def set_mute(self, channel: int, muted: bool) -> None:
        if 0 <= channel < len(self._mute):
            self._mute[channel] = bool(muted)
            self._apply_gains()

    def set_solo(self, channel: int | None) -> None:
        self._solo = channel
        self._apply_gains()

    def gains(self) -> list[float]:
        n = self._renderer.samples.shape[0] if self._renderer else 2
        if self._solo is not None and 0 <= self._solo < n:
            return [1.0 if i == self._solo else 0.0 for i in range(n)]
        return [0.0 if (i < len(self._mute) and self._mute[i]) else 1.0 for i in range(n)]

    def _apply_gains(self) -> None:
        if self._renderer is not None:
            self._renderer.set_gains(self.gains())

    def _sync_region(self) -> None:
        if self._renderer is None:
            return
        if self._region is None:
            self._renderer.set_region(self.duration if self._loop else None, 0.0 if self._loop else None)
        else:
            start, end = self._region
            self._renderer.set_region(end, start if self._loop else None)

    # --- feeding the device and the clock ------------------------------------------------

    def _feed(self) -> None:
        """Top the device buffer up with freshly rendered frames."""
        if self._io is None or self._renderer is None or not self.playing:
            return
        frames = self._sink.bytesFree() // BYTES_PER_FRAME
        if frames <= 0 or self._renderer.finished:
            return
        out = self._renderer.read(frames)
        if out.shape[0]:
            self._io.write(to_int16_bytes(out))

    def _clock_position(self) -> float:
        return self._clock_pos0 + (time.perf_counter() - self._clock_t0) * self.speed

    def _measure(self) -> tuple[float, bool]:
        """(where playback is now, whether it reached the end of its region)."""
        if self._sink is not None:
            played = int(self._sink.processedUSecs() * self._format.sampleRate() / 1e6) + self._frames_base
            t = self._renderer.time_at(played)
            pos = self._position if t is None else t
            return pos, self._renderer.finished and played >= self._renderer.frames_out
        pos = self._clock_position()
        end = self._region[1] if self._region else self.duration
        if pos >= end and self._loop:
            start = self._region[0] if self._region else 0.0
            self._start_clock(start)
            return start, False
        return min(pos, end), pos >= end

    def _tick(self) -> None:
        if not self.playing or self._renderer is None:
            return
        self._check_sink()
        self._position, done = self._measure()
        self.positionChanged.emit(self._position)
        if done:
            self.pause()
