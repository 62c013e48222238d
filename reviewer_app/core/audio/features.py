"""Frame-level measurements of one channel: level, pitch, flatness, clipping, log-mel.

Every array has one value per hop: frame i covers samples
[round(i * hop_s * sr), round((i + 1) * hop_s * sr)), so frame times are
exactly i * hop_s at any sample rate and there are ceil(n / (hop_s * sr))
frames. Analyses that need a longer window (pitch, spectra) centre it on the
frame.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

ENERGY_FLOOR_DB = -120.0
CLIP_LEVEL = 0.99
PITCH_MIN_HZ = 60.0
PITCH_MAX_HZ = 400.0
PITCH_WINDOW_S = 0.04
PITCH_RATE = 8000  # pitch is tracked on audio at this rate (or the native rate if lower)
VOICING_NCCF = 0.6  # normalised autocorrelation peak a voiced frame must reach
VOICING_MIN_DB = -55.0  # frames quieter than this are never voiced
SPECTRUM_WINDOW_S = 0.025
_BLOCK_FRAMES = 4096  # frames analysed at once, bounds memory on long calls


@dataclass(frozen=True, eq=False)
class FrameFeatures:
    hop_s: float
    energy_db: np.ndarray  # frame RMS in dBFS, floored at ENERGY_FLOOR_DB
    pitch_hz: np.ndarray  # 0 where unvoiced
    flatness: np.ndarray  # spectral flatness 0..1 (1: white noise or digital silence)
    clipped: np.ndarray  # fraction of the frame's samples with |x| >= CLIP_LEVEL

    @property
    def n_frames(self) -> int:
        return int(self.energy_db.shape[0])

    def frame_times(self) -> np.ndarray:
        return np.arange(self.n_frames) * self.hop_s


def frame_count(n_samples: int, sample_rate: int, hop_s: float = 0.01) -> int:
    return int(math.ceil(n_samples / (hop_s * sample_rate) - 1e-9)) if n_samples > 0 else 0


def frame_features(samples: np.ndarray, sample_rate: int, hop_s: float = 0.01) -> FrameFeatures:
    x = _as_channel(samples)
    bounds = _frame_bounds(x.size, sample_rate, hop_s)
    energy_db, clipped = _level_and_clipping(x, bounds)
    centres = (bounds[:-1] + bounds[1:]) * 0.5
    win = max(8, int(round(SPECTRUM_WINDOW_S * sample_rate)))
    flat = np.concatenate(
        [_flatness(frames) for frames in _frames(x, centres, win)] or [np.zeros(0, np.float32)]
    )
    pitch = _pitch(x, sample_rate, centres / sample_rate, energy_db)
    return FrameFeatures(hop_s=hop_s, energy_db=energy_db, pitch_hz=pitch, flatness=flat, clipped=clipped)


def log_mel(
    samples: np.ndarray, sample_rate: int, n_mels: int = 64, hop_s: float = 0.01,
    f_max: float | None = None,
) -> np.ndarray:
    """(n_mels, frames) float32 mel power in dB (floor -120): a full-scale sine is about -6 dB."""
    x = _as_channel(samples)
    bounds = _frame_bounds(x.size, sample_rate, hop_s)
    centres = (bounds[:-1] + bounds[1:]) * 0.5
    win = max(8, int(round(SPECTRUM_WINDOW_S * sample_rate)))
    n_fft = max(512, 1 << (win - 1).bit_length())
    fbank = _mel_fbank(n_fft // 2 + 1, sample_rate, n_mels, float(f_max or sample_rate / 2))
    window = np.hanning(win + 2)[1:-1].astype(np.float32)
    norm = np.float32(1.0 / window.sum() ** 2)
    out = []
    for frames in _frames(x, centres, win):
        spec = np.fft.rfft(frames * window, n=n_fft, axis=1)
        power = (spec.real**2 + spec.imag**2).astype(np.float32) * norm
        out.append(power @ fbank)
    if not out:
        return np.zeros((n_mels, 0), np.float32)
    mel = np.concatenate(out).T
    return np.maximum(10.0 * np.log10(np.maximum(mel, 1e-12)), ENERGY_FLOOR_DB).astype(np.float32)


# --- framing ----------------------------------------------------------------


def _as_channel(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"expected one channel (1-D samples), got shape {x.shape}")
    return np.ascontiguousarray(x, dtype=np.float32)


def _frame_bounds(n: int, sample_rate: int, hop_s: float) -> np.ndarray:
    """Sample index where each frame starts, plus n at the end."""
    count = frame_count(n, sample_rate, hop_s)
    bounds = np.round(np.arange(count + 1) * (hop_s * sample_rate)).astype(np.int64)
    bounds[-1] = n
    return np.minimum(bounds, n)


def _frames(x: np.ndarray, centres: np.ndarray, win: int) -> Iterator[np.ndarray]:
    """Blocks of (frames, win) windows of x centred on `centres` (samples), zero padded."""
    padded = np.concatenate([np.zeros(win, np.float32), x, np.zeros(win, np.float32)])
    offsets = np.arange(win)
    starts = np.round(centres - win / 2).astype(np.int64) + win
    for lo in range(0, starts.size, _BLOCK_FRAMES):
        yield padded[starts[lo:lo + _BLOCK_FRAMES, None] + offsets]


def _level_and_clipping(x: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if bounds.size < 2:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    starts = bounds[:-1]
    lengths = np.maximum(np.diff(bounds), 1)
    sq = np.add.reduceat(x.astype(np.float64) ** 2, starts) / lengths
    energy = 10.0 * np.log10(np.maximum(sq, 10 ** (ENERGY_FLOOR_DB / 10)))
    clipped = np.add.reduceat((np.abs(x) >= CLIP_LEVEL).astype(np.float32), starts) / lengths
    return energy.astype(np.float32), clipped.astype(np.float32)


# --- spectra ----------------------------------------------------------------


def _flatness(frames: np.ndarray) -> np.ndarray:
    win = frames.shape[1]
    n_fft = 1 << (win - 1).bit_length()
    window = np.hanning(win + 2)[1:-1].astype(np.float32)
    spec = np.fft.rfft(frames * window, n=n_fft, axis=1)[:, 1:]  # no DC
    power = (spec.real**2 + spec.imag**2).astype(np.float64) + 1e-12
    geo = np.exp(np.mean(np.log(power), axis=1))
    return np.clip(geo / np.mean(power, axis=1), 0.0, 1.0).astype(np.float32)


@functools.lru_cache(maxsize=16)
def _mel_fbank(n_freqs: int, sample_rate: int, n_mels: int, f_max: float) -> np.ndarray:
    import warnings

    import torchaudio.functional as F

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # empty top/bottom filters at low rates are harmless
        fb = F.melscale_fbanks(n_freqs, 0.0, f_max, n_mels, sample_rate, norm=None, mel_scale="htk")
    return fb.numpy().astype(np.float32)


# --- pitch ------------------------------------------------------------------


def _pitch(x: np.ndarray, sample_rate: int, centre_times: np.ndarray, energy_db: np.ndarray) -> np.ndarray:
    """Normalised-autocorrelation pitch (Hz) per frame; 0 where unvoiced or quiet."""
    out = np.zeros(centre_times.size, np.float32)
    if centre_times.size == 0:
        return out
    rate = sample_rate
    if sample_rate > PITCH_RATE:
        from reviewer_app.core.audio.decode import resample

        x, rate = resample(x, sample_rate, PITCH_RATE), PITCH_RATE
    win = int(round(PITCH_WINDOW_S * rate))
    lag_min = max(2, int(math.floor(rate / PITCH_MAX_HZ)))
    lag_max = min(win - 2, int(math.ceil(rate / PITCH_MIN_HZ)))
    n_fft = 1 << (win + lag_max + 1).bit_length()
    loud = energy_db > VOICING_MIN_DB
    lo = 0
    for frames in _frames(x, centre_times * rate, win):
        hi = lo + frames.shape[0]
        sel = np.flatnonzero(loud[lo:hi])
        if sel.size:
            out[lo + sel] = _pitch_of_frames(frames[sel], rate, lag_min, lag_max, n_fft)
        lo = hi
    return _drop_isolated(out)


def _pitch_of_frames(frames: np.ndarray, rate: int, lag_min: int, lag_max: int, n_fft: int) -> np.ndarray:
    frames = frames - frames.mean(axis=1, keepdims=True)
    win = frames.shape[1]
    spec = np.fft.rfft(frames, n=n_fft, axis=1)
    acf = np.fft.irfft(spec.real**2 + spec.imag**2, n=n_fft, axis=1)[:, : lag_max + 2]
    # Energy of the two overlapping parts for every lag: NCCF in [-1, 1].
    csum = np.concatenate([np.zeros((frames.shape[0], 1)), np.cumsum(frames.astype(np.float64) ** 2, axis=1)], axis=1)
    lags = np.arange(lag_max + 2)
    e_head = csum[:, win - lags]
    e_tail = csum[:, win : win + 1] - csum[:, lags]
    nccf = acf / np.sqrt(np.maximum(e_head * e_tail, 1e-20))
    seg = nccf[:, lag_min - 1 : lag_max + 2]  # one lag of context either side
    mid = seg[:, 1:-1]
    is_peak = (mid > seg[:, :-2]) & (mid >= seg[:, 2:])
    best = np.where(is_peak, mid, -1.0).max(axis=1)
    # The shortest-lag peak close to the best one: avoids halving the pitch.
    good = is_peak & (mid >= 0.9 * best[:, None])
    idx = np.argmax(good, axis=1)
    rows = np.arange(frames.shape[0])
    y0, y1, y2 = seg[rows, idx], seg[rows, idx + 1], seg[rows, idx + 2]
    denom = y0 - 2 * y1 + y2
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (y0 - y2) / np.where(denom == 0, 1, denom), 0.0)
    lag = lag_min + idx + np.clip(shift, -0.5, 0.5)
    voiced = (best >= VOICING_NCCF) & good.any(axis=1)
    return np.where(voiced, rate / lag, 0.0).astype(np.float32)


def _drop_isolated(pitch: np.ndarray) -> np.ndarray:
    """A voiced frame with no voiced neighbour is noise, not a voice."""
    if pitch.size < 3:
        return pitch
    voiced = pitch > 0
    neighbour = np.zeros_like(voiced)
    neighbour[1:] |= voiced[:-1]
    neighbour[:-1] |= voiced[1:]
    return np.where(voiced & neighbour, pitch, 0.0).astype(np.float32)
