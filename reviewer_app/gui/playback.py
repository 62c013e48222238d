"""Playback: a QAudioSink pulling frames from core.review.playback.PlaybackRenderer.

The renderer does speed (pitch kept), solo/mute and the live region end; this
class only moves bytes and reports the playhead ~30 times a second from what
the device has actually played. With no audio device (offscreen tests, a
server under Xvfb) or when the device fails, the same API runs on a clock:
the playhead still advances at the chosen speed and regions still end and loop.
"""
from __future__ import annotations

import os
import time

import numpy as np
from PySide6.QtCore import QIODevice, QObject, QTimer, Signal
from PySide6.QtMultimedia import QAudio, QAudioFormat, QAudioSink, QMediaDevices

from reviewer_app.core.review.playback import MAX_SPEED, MIN_SPEED, PlaybackRenderer, to_int16_bytes

TICK_MS = 33
BUFFER_S = 0.12  # device buffer: short, so seeks and mute are heard at once


class _PullDevice(QIODevice):
    """A read-only QIODevice that the sink pulls; each read renders more frames."""

    def __init__(self, player: "Player") -> None:
        super().__init__(player)
        self._player = player

    def readData(self, maxlen: int) -> bytes:  # noqa: N802 - Qt override
        return self._player._render_bytes(maxlen)

    def writeData(self, data) -> int:  # noqa: N802 - Qt override
        return -1

    def bytesAvailable(self) -> int:  # noqa: N802 - Qt override
        return 1 << 16 if self._player.playing else 0

    def isSequential(self) -> bool:  # noqa: N802 - Qt override
        return True


class Player(QObject):
    positionChanged = Signal(float)
    playingChanged = Signal(bool)
    speedChanged = Signal(float)
    message = Signal(str)  # e.g. "no audio device: playing silently"

    def __init__(self, parent: QObject | None = None, use_device: bool | None = None) -> None:
        super().__init__(parent)
        self._renderer: PlaybackRenderer | None = None
        self._sink: QAudioSink | None = None
        self._device: _PullDevice | None = None
        self._format: QAudioFormat | None = None
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
        if use_device is None:
            use_device = os.environ.get("QT_QPA_PLATFORM") not in ("offscreen", "minimal") \
                and os.environ.get("REVIEWER_APP_NO_AUDIO") is None
        self._want_device = use_device
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    # --- set-up -----------------------------------------------------------------

    @property
    def has_device(self) -> bool:
        return self._sink is not None

    @property
    def position(self) -> float:
        return self._position

    @property
    def duration(self) -> float:
        return self._renderer.duration_s if self._renderer else 0.0

    def set_audio(self, samples: np.ndarray | None, sample_rate: int = 8000) -> None:
        self.stop()
        self._teardown_sink()
        if samples is None:
            self._renderer = None
            return
        out_rate = self._open_sink(sample_rate)
        self._renderer = PlaybackRenderer(samples, sample_rate, out_rate or sample_rate)
        self._renderer.set_speed(self.speed)
        self._apply_gains()
        self._position = 0.0

    def _open_sink(self, sample_rate: int) -> int | None:
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
        self._format = fmt
        self._sink = QAudioSink(device, fmt, self)
        self._sink.setBufferSize(int(fmt.bytesForDuration(int(BUFFER_S * 1e6))))
        self._sink.stateChanged.connect(self._sink_state)
        self._device = _PullDevice(self)
        self._device.open(QIODevice.OpenModeFlag.ReadOnly)
        return fmt.sampleRate()

    def _teardown_sink(self) -> None:
        sink, self._sink, self._device, self._format = self._sink, None, None, None
        if sink is not None:
            sink.stop()
            sink.deleteLater()

    def _sink_state(self, _state) -> None:
        self._check_sink()

    def _check_sink(self) -> None:
        """On a device error, drop the device and go on with the clock from where we are."""
        if self._sink is None or self._sink.error() in (QAudio.Error.NoError, QAudio.Error.UnderrunError):
            return
        pos = self._position
        self.message.emit(f"Audio device error ({self._sink.error().name}): playback continues silently.")
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
        if self._sink is not None:
            self._sink.stop()
            self._frames_base = self._renderer.frames_out
            self._sink.start(self._device)
            self._check_sink()  # a device that fails to open reports it at once
        if self._sink is None:
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
        if self._sink is not None:
            self._sink.stop()
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

    # --- the clock -----------------------------------------------------------------

    def _render_bytes(self, maxlen: int) -> bytes:
        if self._renderer is None or self._format is None or not self.playing:
            return b""
        frames = max(0, maxlen // 4)  # 2 channels x int16
        out = self._renderer.read(frames)
        if out.shape[0] == 0:
            return b""
        return to_int16_bytes(out)

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
