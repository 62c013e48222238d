"""Everything the reviewer window needs from a call's audio, loaded once per call.

`load_call_audio` decodes the file and builds one peak pyramid per channel;
`visible_spectrogram` computes the log-mel image of just the visible window,
at about one column per pixel, with core.audio.features.log_mel.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reviewer_app.core.audio.decode import decode_audio
from reviewer_app.core.audio.peaks import PeakPyramid, build_pyramids
from reviewer_app.core.domain import BOTH
from reviewer_app.core.progress import CancelToken

N_MELS = 64
SPEC_WINDOW_S = 0.025  # features.SPECTRUM_WINDOW_S: each log_mel frame looks at this much audio
FINE_HOP_S = 0.004  # finest column step: smooth images when zoomed in to a few seconds


@dataclass(frozen=True, eq=False)
class CallAudio:
    path: str
    samples: np.ndarray  # (channels, n) float32
    sample_rate: int
    roles: tuple[str, ...]  # role of each channel
    pyramids: list[PeakPyramid]

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    def channel_of(self, role: str) -> int | None:
        return self.roles.index(role) if role in self.roles else None

    def nbytes(self) -> int:
        return int(self.samples.nbytes + sum(p.nbytes() for p in self.pyramids))


def load_call_audio(path: str, roles: tuple[str, ...] = (), cancel: CancelToken | None = None) -> CallAudio:
    """Decode `path` and build its peak pyramids. Raises AudioError naming the file."""
    audio = decode_audio(path)
    if cancel is not None:
        cancel.raise_if_cancelled()
    samples = audio.samples
    if len(roles) != samples.shape[0]:
        roles = (BOTH,) if samples.shape[0] == 1 else tuple(roles[: samples.shape[0]]) or ("left", "right")
    return CallAudio(str(path), samples, audio.sample_rate, tuple(roles), build_pyramids(samples, audio.sample_rate))


@dataclass(frozen=True, eq=False)
class Spectrogram:
    image: np.ndarray  # (N_MELS, columns) dB
    start: float  # time of the left edge of the first column
    end: float  # time of the right edge of the last column
    sample_rate: int


def visible_spectrogram(samples: np.ndarray, sample_rate: int, t0: float, t1: float,
                        columns: int, channel: int | None = None) -> Spectrogram:
    """Log-mel of [t0, t1] with about `columns` frames, reading only that window.

    `channel` None mixes all channels. Zoomed out further than one 25 ms
    window per column, only one 25 ms excerpt per column is read and
    analysed, so a whole 2-hour call costs the same as 50 seconds of it.
    """
    from reviewer_app.core.audio.features import log_mel

    n = samples.shape[1]
    duration = n / sample_rate
    t0, t1 = max(0.0, t0), min(duration, t1)
    columns = max(8, int(columns))
    if t1 - t0 <= 1.0 / sample_rate:
        return Spectrogram(np.full((N_MELS, 1), -120.0, np.float32), t0, max(t1, t0 + 1e-3), sample_rate)
    hop = max(FINE_HOP_S, (t1 - t0) / columns)
    rows = range(samples.shape[0]) if channel is None else [channel]
    if hop <= SPEC_WINDOW_S * 1.5:
        s0, s1 = int(t0 * sample_rate), int(math.ceil(t1 * sample_rate))
        x = _mix(samples, rows, s0, s1)
        image = log_mel(x, sample_rate, n_mels=N_MELS, hop_s=hop)
        return Spectrogram(image, s0 / sample_rate, s0 / sample_rate + image.shape[1] * hop, sample_rate)
    win = int(round(SPEC_WINDOW_S * sample_rate))
    centres = t0 + (np.arange(columns) + 0.5) * (t1 - t0) / columns
    starts = np.clip(np.round(centres * sample_rate).astype(np.int64) - win // 2, 0, max(0, n - win))
    idx = (starts[:, None] + np.arange(win)).reshape(-1)
    x = np.zeros(idx.size, np.float32)
    for r in rows:
        x += samples[r, idx]
    x /= len(rows)
    image = log_mel(x, sample_rate, n_mels=N_MELS, hop_s=win / sample_rate)[:, :columns]
    return Spectrogram(image, t0, t1, sample_rate)


def _mix(samples: np.ndarray, rows, s0: int, s1: int) -> np.ndarray:
    rows = list(rows)
    if len(rows) == 1:
        return samples[rows[0], s0:s1]
    x = samples[rows[0], s0:s1].copy()
    for r in rows[1:]:
        x += samples[r, s0:s1]
    x /= len(rows)
    return x


def mel_band_of(freq_hz: float, sample_rate: int, n_mels: int = N_MELS) -> float:
    """Row (0..n_mels) where `freq_hz` sits in a log_mel image (HTK mel scale, 0..Nyquist)."""
    def mel(f: float) -> float:
        return 2595.0 * math.log10(1.0 + f / 700.0)

    return n_mels * mel(freq_hz) / mel(sample_rate / 2)
