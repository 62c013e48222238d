"""Coarse mel band energies per frame, numpy only (no torch): the audio fingerprint rules compare.

`band_energies_db(x, sr, hop_s)` gives one row per hop frame on the same grid
as audio/features.py (frame i covers samples from round(i * hop_s * sr)),
each the log energy (dB) of N_BANDS triangular mel bands over 100-3800 Hz
from a BAND_WINDOW_S Hann window centred on the frame. Rules use it to find
the same audio twice (looped audio) without the waveform.
"""
from __future__ import annotations

import functools
import math

import numpy as np

N_BANDS = 24
BAND_WINDOW_S = 0.025
BAND_RANGE_HZ = (100.0, 3800.0)
FLOOR_DB = -120.0
_BLOCK = 4096  # frames transformed at once, bounds memory on long calls


def band_energies_db(samples: np.ndarray, sample_rate: int, hop_s: float = 0.01,
                     frames: np.ndarray | None = None) -> np.ndarray:
    """(frames, N_BANDS) float32 band energies in dB, floored at FLOOR_DB.

    With `frames` (a mask per hop frame) only those frames are measured; the
    others read FLOOR_DB.
    """
    x = np.ascontiguousarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected one channel, got shape {x.shape}")
    n_frames = int(math.ceil(x.size / (hop_s * sample_rate) - 1e-9)) if x.size else 0
    if n_frames == 0:
        return np.zeros((0, N_BANDS), np.float32)
    win = max(16, int(round(BAND_WINDOW_S * sample_rate)))
    n_fft = 1 << (win - 1).bit_length()
    fbank = _mel_fbank(n_fft, sample_rate)
    window = np.hanning(win + 2)[1:-1].astype(np.float32)
    bounds = np.minimum(np.round(np.arange(n_frames + 1) * hop_s * sample_rate).astype(np.int64), x.size)
    centres = ((bounds[:-1] + bounds[1:]) // 2).astype(np.int64)
    padded = np.concatenate([np.zeros(win, np.float32), x, np.zeros(win, np.float32)])
    starts = centres - win // 2 + win
    out = np.full((n_frames, N_BANDS), FLOOR_DB, np.float32)
    which = np.arange(n_frames) if frames is None else np.flatnonzero(np.asarray(frames[:n_frames], dtype=bool))
    offsets = np.arange(win)
    for lo in range(0, which.size, _BLOCK):
        rows = which[lo:lo + _BLOCK]
        spec = np.fft.rfft(padded[starts[rows, None] + offsets] * window, n=n_fft, axis=1)
        power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32) / np.float32(window.sum() ** 2)
        out[rows] = 10.0 * np.log10(np.maximum(power @ fbank, 1e-12))
    return np.maximum(out, FLOOR_DB)


@functools.lru_cache(maxsize=8)
def _mel_fbank(n_fft: int, sample_rate: int) -> np.ndarray:
    """(n_fft // 2 + 1, N_BANDS) triangular filters, equally spaced in mel over BAND_RANGE_HZ."""
    def mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    top = min(BAND_RANGE_HZ[1], sample_rate / 2)
    edges_mel = np.linspace(mel(BAND_RANGE_HZ[0]), mel(top), N_BANDS + 2)
    edges = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rise = (freqs[None, :] - lower) / (centre - lower)
    fall = (upper - freqs[None, :]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rise, fall)).T.astype(np.float32)
