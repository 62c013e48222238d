"""Turn the decoded call into the frames an audio device plays: speed, solo/mute, region, loop.

`PlaybackRenderer.read(n)` gives the next n output frames (float32, stereo)
and remembers which call time each frame came from, so the playhead follows
what is actually heard (`time_at(frames_played)`).

Speed changes keep the pitch: a WSOLA time stretch (30 ms Hann frames at
50 % overlap; each next frame is taken where it best continues the previous
one, within a quarter frame of its nominal place). At speed 1 it reproduces
the input exactly. The stretched signal is then resampled linearly to the
device rate when the device cannot play the file's own rate.

The end of the region is read live: changing it while playing (dragging the
edge of the segment being played) moves where playback stops, never where
it is.
"""
from __future__ import annotations

from collections import deque

import numpy as np

FRAME_S = 0.03
MIN_SPEED, MAX_SPEED = 0.5, 2.0
_MARK_EVERY = 256  # output frames between playhead marks


def mix_matrix(gains: np.ndarray, out_channels: int = 2) -> np.ndarray:
    """(out_channels, source channels): stereo as is; a lone audible channel goes to both ears."""
    gains = np.asarray(gains, dtype=np.float32)
    src = gains.size
    m = np.zeros((out_channels, src), np.float32)
    audible = np.flatnonzero(gains > 0)
    if src == 1 or audible.size == 1:
        ch = int(audible[0]) if audible.size else 0
        m[:, ch] = gains[ch]
    elif src >= 2 and out_channels >= 2:
        m[0, 0], m[1, 1] = gains[0], gains[1]
    else:  # mono output: average
        m[0, :] = gains / max(1, audible.size)
    return m


def to_int16_bytes(frames: np.ndarray) -> bytes:
    """(n, channels) float32 -> interleaved little-endian int16."""
    return (np.clip(frames, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


class _Wsola:
    def __init__(self, samples: np.ndarray, sample_rate: int) -> None:
        self.x = samples
        self.n = samples.shape[1]
        n_frame = max(16, int(round(FRAME_S * sample_rate)) // 2 * 2)
        self.hop = n_frame // 2
        self.frame = n_frame
        self.tol = self.hop // 2
        k = np.arange(n_frame)
        self.window = (0.5 - 0.5 * np.cos(2 * np.pi * k / n_frame)).astype(np.float32)  # periodic Hann
        self.reset(0.0)

    def reset(self, pos: float) -> None:
        self.pos = float(pos)
        self.prev: int | None = None
        self.tail = np.zeros((self.x.shape[0], self.frame - self.hop), np.float32)

    def _slice(self, a: int, b: int) -> np.ndarray:
        out = np.zeros((self.x.shape[0], b - a), np.float32)
        lo, hi = max(a, 0), min(b, self.n)
        if hi > lo:
            out[:, lo - a:hi - a] = self.x[:, lo:hi]
        return out

    def step(self, speed: float) -> tuple[np.ndarray, float]:
        """`hop` output samples and the source position (samples) they start at."""
        nominal = int(round(self.pos))
        if self.prev is None or self.prev + self.hop == nominal:
            best = nominal
        else:
            natural = self._slice(self.prev + self.hop, self.prev + self.hop + self.frame).sum(axis=0)
            region = self._slice(nominal - self.tol, nominal + self.tol + self.frame).sum(axis=0)
            corr = np.correlate(region, natural, mode="valid")
            best = nominal - self.tol + int(np.argmax(corr)) if np.any(corr) else nominal
        acc = self._slice(best, best + self.frame) * self.window
        acc[:, : self.tail.shape[1]] += self.tail
        out, self.tail = acc[:, : self.hop], acc[:, self.hop:].copy()
        start = self.pos
        self.prev = best
        self.pos += speed * self.hop
        return out, start


class PlaybackRenderer:
    def __init__(self, samples: np.ndarray, sample_rate: int, out_rate: int | None = None,
                 out_channels: int = 2) -> None:
        if samples.ndim != 2:
            raise ValueError(f"samples must be (channels, n), got {samples.shape}")
        self.samples = samples
        self.sample_rate = int(sample_rate)
        self.out_rate = int(out_rate or sample_rate)
        self.out_channels = out_channels
        self.n = samples.shape[1]
        self._wsola = _Wsola(samples, self.sample_rate)
        self.speed = 1.0
        self.gains = np.ones(samples.shape[0], np.float32)
        self.end_s: float | None = None  # stop (or loop) here
        self.loop_start_s: float | None = None  # when set, playback loops back here at end_s
        self.finished = False
        self._buf = np.zeros((samples.shape[0], 0), np.float32)
        self._buf_t = np.zeros(0, np.float64)  # source time of each buffered sample
        self._phase = 0.0
        self._frames_out = 0
        self._marks: deque[tuple[int, float]] = deque(maxlen=4096)
        self.seek(0.0)

    @property
    def duration_s(self) -> float:
        return self.n / self.sample_rate

    # --- control ----------------------------------------------------------------

    def seek(self, t: float) -> None:
        t = min(max(float(t), 0.0), self.duration_s)
        self._wsola.reset(t * self.sample_rate)
        self._buf = self._buf[:, :0]
        self._buf_t = self._buf_t[:0]
        self._phase = 0.0
        self.finished = False
        self._marks.clear()
        self._marks.append((self._frames_out, t))

    def set_speed(self, speed: float) -> float:
        self.speed = float(min(max(speed, MIN_SPEED), MAX_SPEED))
        return self.speed

    def set_gains(self, gains) -> None:
        self.gains = np.asarray(gains, dtype=np.float32)

    def set_region(self, end_s: float | None, loop_start_s: float | None = None) -> None:
        """Stop at `end_s` (None: the end of the call); loop back to `loop_start_s` when given."""
        self.end_s = end_s
        self.loop_start_s = loop_start_s
        if end_s is None or self._wsola.pos < end_s * self.sample_rate:
            self.finished = False

    # --- output -----------------------------------------------------------------

    @property
    def frames_out(self) -> int:
        return self._frames_out

    def _end_sample(self) -> float:
        end = self.n if self.end_s is None else min(self.n, self.end_s * self.sample_rate)
        return float(end)

    def _fill(self, need: int) -> None:
        """Stretch more source until the buffer holds `need` samples (or playback ends)."""
        chunks, times = [self._buf], [self._buf_t]
        have = self._buf.shape[1]
        hop = self._wsola.hop
        while have < need and not self.finished:
            if self._wsola.pos >= self._end_sample():
                if self.loop_start_s is not None and self.end_s is not None \
                        and self.loop_start_s < self.end_s:
                    self._wsola.reset(self.loop_start_s * self.sample_rate)
                else:
                    self.finished = True
                    break
            end = self._end_sample()
            out, start = self._wsola.step(self.speed)
            t = start + np.arange(hop) * self.speed
            keep = hop if t[-1] < end else int(np.searchsorted(t, end))
            chunks.append(out[:, :keep])
            times.append(t[:keep] / self.sample_rate)
            have += keep
        if len(chunks) > 1:
            self._buf = np.concatenate(chunks, axis=1)
            self._buf_t = np.concatenate(times)

    def read(self, n_frames: int) -> np.ndarray:
        """Up to `n_frames` output frames (n, out_channels) float32; fewer only when playback ended."""
        ratio = self.sample_rate / self.out_rate
        need = int(np.floor(self._phase + (n_frames - 1) * ratio)) + 2
        self._fill(need)
        have = self._buf.shape[1]
        if have < 2:
            n_frames = 0
        elif need > have:  # the end: as many frames as the buffer still covers
            n_frames = max(0, int((have - 1 - self._phase) / ratio) + 1)
            n_frames = min(n_frames, int(np.floor((have - 1 - self._phase) / ratio)) + 1)
        if n_frames <= 0:
            self._buf, self._buf_t = self._buf[:, :0], self._buf_t[:0]
            return np.zeros((0, self.out_channels), np.float32)
        pos = self._phase + np.arange(n_frames) * ratio
        if ratio == 1.0 and self._phase == 0.0:
            src = self._buf[:, :n_frames]
            t = self._buf_t[:n_frames]
        else:
            idx = np.arange(have)
            src = np.stack([np.interp(pos, idx, row) for row in self._buf]).astype(np.float32)
            t = np.interp(pos, idx, self._buf_t)
        out = (mix_matrix(self.gains, self.out_channels) @ src).T.astype(np.float32, copy=False)
        for k in range(0, n_frames, _MARK_EVERY):
            self._marks.append((self._frames_out + k, float(t[k])))
        consumed = self._phase + n_frames * ratio
        drop = min(int(np.floor(consumed)), have)
        self._phase = consumed - drop
        self._buf, self._buf_t = self._buf[:, drop:], self._buf_t[drop:]
        self._frames_out += n_frames
        return np.ascontiguousarray(out)

    def time_at(self, frames_played: int) -> float | None:
        """Call time (s) of the output frame `frames_played`, from the marks kept while rendering."""
        if not self._marks:
            return None
        best = None
        for frame, t in reversed(self._marks):
            if frame <= frames_played:
                best = (frame, t)
                break
        if best is None:
            return self._marks[0][1]
        frame, t = best
        return t + (frames_played - frame) / self.out_rate * self.speed
