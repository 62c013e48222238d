"""Problems placed into audio with known truth: pure functions over numpy arrays.

Conventions, for every function here:

* Audio is float, full scale = 1.0. An array is one channel of shape (n,) or
  several of shape (channels, n); time is always the last axis.
* Times and lengths are in seconds and need the sample `rate` in Hz; levels
  are in dB (relative) or dBFS (RMS against a full-scale value of 1.0).
* Nothing is changed in place: every function returns a new array.
* Randomness comes only from the `rng` argument (a `numpy.random.Generator`),
  so a seed gives the same result every time.
"""
from __future__ import annotations

import numpy as np

EDGE_S = 0.01  # raised-cosine ramp at the edges of a burst or a level change


# --- small helpers -------------------------------------------------------------------------------


def db_to_gain(db: float) -> float:
    """Amplitude factor of `db` decibels (20 log10)."""
    return float(10.0 ** (db / 20.0))


def rms(x: np.ndarray) -> float:
    """Root mean square over all samples (0.0 for an empty array)."""
    x = np.asarray(x, dtype=float)
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def rms_dbfs(x: np.ndarray) -> float:
    """RMS level in dBFS (-inf for silence)."""
    value = rms(x)
    return 20.0 * np.log10(value) if value > 0 else float("-inf")


def active_rms(x: np.ndarray, rate: int, frame_s: float = 0.02, top_share: float = 0.3) -> float:
    """Speech level of a mono signal: RMS of its loudest `top_share` of frames of `frame_s` seconds.

    Pauses do not dilute it, so an SNR against it is an SNR against the speech.
    """
    x = np.asarray(x, dtype=float)
    size = max(1, int(round(frame_s * rate)))
    n = x.size // size
    if n == 0:
        return rms(x)
    power = np.mean(x[: n * size].reshape(n, size) ** 2, axis=1)
    keep = max(1, int(np.ceil(top_share * n)))
    return float(np.sqrt(np.mean(np.sort(power)[-keep:])))


def _span(rate: int, n: int, start_s: float | None, end_s: float | None) -> tuple[int, int]:
    lo = 0 if start_s is None else int(round(start_s * rate))
    hi = n if end_s is None else int(round(end_s * rate))
    lo, hi = max(0, min(n, lo)), max(0, min(n, hi))
    if hi < lo:
        raise ValueError(f"span ends before it starts ({start_s} .. {end_s} s)")
    return lo, hi


def edge_window(n: int, rate: int, edge_s: float = EDGE_S) -> np.ndarray:
    """Envelope of n samples: 1.0 with raised-cosine ramps of `edge_s` seconds at both ends."""
    env = np.ones(n)
    m = min(n // 2, int(round(edge_s * rate)))
    if m > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(m) + 0.5) / m)
        env[:m] = ramp
        env[n - m:] = ramp[::-1]
    return env


def fit_length(x: np.ndarray, n: int) -> np.ndarray:
    """`x` (mono) tiled or cut to exactly n samples."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        raise ValueError("cannot fit an empty signal")
    reps = int(np.ceil(n / x.size))
    return np.tile(x, reps)[:n]


# --- clipping and saturation ---------------------------------------------------------------------


def hard_clip(x: np.ndarray, ceiling: float, gain_db: float = 0.0, rate: int | None = None,
              start_s: float | None = None, end_s: float | None = None) -> np.ndarray:
    """Gain by `gain_db` dB, then clip flat at +-`ceiling` (a fraction of full scale, 0 < ceiling <= 1).

    With `rate`, only samples from `start_s` to `end_s` seconds are changed.
    """
    if not 0.0 < ceiling <= 1.0:
        raise ValueError(f"ceiling must be in (0, 1], got {ceiling}")
    y = np.array(x, dtype=float)
    lo, hi = _span(rate or 1, y.shape[-1], start_s if rate else None, end_s if rate else None)
    y[..., lo:hi] = np.clip(y[..., lo:hi] * db_to_gain(gain_db), -ceiling, ceiling)
    return y


def soft_saturate(x: np.ndarray, drive: float, rate: int | None = None,
                  start_s: float | None = None, end_s: float | None = None) -> np.ndarray:
    """tanh saturation: y = tanh(drive * x) / tanh(drive), so full scale stays full scale.

    `drive` (> 0, no unit) sets how hard: near 0 is almost linear, 3 is audible
    distortion, 10 squares the peaks off. Samples are never flat, unlike hard_clip.
    """
    if drive <= 0:
        raise ValueError(f"drive must be positive, got {drive}")
    y = np.array(x, dtype=float)
    lo, hi = _span(rate or 1, y.shape[-1], start_s if rate else None, end_s if rate else None)
    y[..., lo:hi] = np.tanh(drive * y[..., lo:hi]) / np.tanh(drive)
    return y


def clipped_fraction(x: np.ndarray, ceiling: float, tolerance: float = 1e-9) -> float:
    """Share of samples whose magnitude is at the clip level `ceiling` (within `tolerance`)."""
    x = np.asarray(x, dtype=float)
    return float(np.mean(np.abs(x) >= ceiling - tolerance)) if x.size else 0.0


# --- dropouts ------------------------------------------------------------------------------------


def dropout(x: np.ndarray, rate: int, start_s: float, length_s: float, mode: str = "zero",
            frame_s: float = 0.02) -> np.ndarray:
    """Packet loss of `length_s` seconds starting at `start_s`.

    mode "zero": the samples become digital silence. mode "repeat": the lost
    stretch is filled by repeating the last `frame_s` seconds received before it
    (what a simple jitter buffer does), so the signal never goes silent.
    """
    if mode not in ("zero", "repeat"):
        raise ValueError(f"mode must be 'zero' or 'repeat', got {mode!r}")
    y = np.array(x, dtype=float)
    lo, hi = _span(rate, y.shape[-1], start_s, start_s + length_s)
    if hi <= lo:
        return y
    if mode == "zero":
        y[..., lo:hi] = 0.0
        return y
    size = max(1, int(round(frame_s * rate)))
    if lo < size:
        raise ValueError("a repeated-frame dropout needs one frame of audio before it")
    frame = y[..., lo - size:lo]
    reps = int(np.ceil((hi - lo) / size))
    tiles = (reps,) if y.ndim == 1 else (1, reps)
    y[..., lo:hi] = np.tile(frame, tiles)[..., : hi - lo]
    return y


# --- noise ---------------------------------------------------------------------------------------


def white_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """n samples of Gaussian white noise with RMS 1."""
    return rng.standard_normal(n)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """n samples of 1/f (pink) noise with RMS 1, shaped in the frequency domain."""
    if n == 0:
        return np.zeros(0)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spectrum.size, dtype=float)
    f[0] = 1.0
    y = np.fft.irfft(spectrum / np.sqrt(f), n)
    return y / rms(y)


def mains_hum(n: int, rate: int, freq_hz: float = 50.0,
              harmonics: tuple[float, ...] = (1.0, 0.5, 0.35, 0.2, 0.1),
              rng: np.random.Generator | None = None) -> np.ndarray:
    """n samples of mains hum with RMS 1: `freq_hz` (50 or 60) and its harmonics.

    harmonics[k] is the amplitude of harmonic k + 1 relative to the fundamental;
    with `rng` each harmonic gets a random phase.
    """
    t = np.arange(n) / rate
    phases = rng.uniform(0, 2 * np.pi, len(harmonics)) if rng is not None else np.zeros(len(harmonics))
    k = np.arange(1, len(harmonics) + 1)[:, None]
    keep = (k[:, 0] * freq_hz < rate / 2)
    y = (np.asarray(harmonics)[keep, None]
         * np.sin(2 * np.pi * freq_hz * k[keep] * t[None, :] + phases[keep, None])).sum(axis=0)
    return y / rms(y) if n else y


def crackle(n: int, rate: int, clicks_per_s: float, rng: np.random.Generator,
            decay_s: float = 0.002) -> np.ndarray:
    """n samples of crackle with RMS 1: random clicks (about `clicks_per_s` per second).

    Each click is an impulse of random sign and size (log-uniform over 20 dB)
    ringing down exponentially with time constant `decay_s` seconds.
    """
    impulses = np.zeros(n)
    count = rng.poisson(clicks_per_s * n / rate)
    if count == 0 or n == 0:
        count = 1
    at = rng.integers(0, max(1, n), count)
    impulses[at] = rng.choice([-1.0, 1.0], count) * 10 ** rng.uniform(-1.0, 0.0, count)
    tail = np.exp(-np.arange(max(1, int(6 * decay_s * rate))) / (decay_s * rate))
    y = np.convolve(impulses, tail)[:n]
    return y / rms(y)


def add_noise(x: np.ndarray, noise: np.ndarray, snr_db: float, rate: int, reference_rms: float,
              start_s: float | None = None, end_s: float | None = None) -> np.ndarray:
    """Add `noise` (mono, tiled or cut to fit) at `snr_db` dB below `reference_rms`.

    The noise is scaled so that 20 log10(reference_rms / rms(noise)) = snr_db,
    with `reference_rms` normally the speech level (see active_rms). Between
    `start_s` and `end_s` seconds only (a burst, with 10 ms ramps), or over the
    whole signal (steady). A multi-channel `x` gets the same noise on every channel.
    """
    y = np.array(x, dtype=float)
    lo, hi = _span(rate, y.shape[-1], start_s, end_s)
    if hi <= lo:
        return y
    piece = fit_length(noise, hi - lo)
    level = rms(piece)
    if level == 0:
        raise ValueError("noise is silent")
    scaled = piece * (reference_rms * db_to_gain(-snr_db) / level)
    if start_s is not None or end_s is not None:
        scaled = scaled * edge_window(hi - lo, rate)
    y[..., lo:hi] += scaled
    return y


# --- level ---------------------------------------------------------------------------------------


def change_level(x: np.ndarray, db: float, rate: int, start_s: float | None = None,
                 end_s: float | None = None) -> np.ndarray:
    """Gain of `db` dB (negative: quieter) from `start_s` to `end_s` seconds (default: all),
    with 10 ms ramps where it starts and ends inside the signal."""
    y = np.array(x, dtype=float)
    n = y.shape[-1]
    lo, hi = _span(rate, n, start_s, end_s)
    g = db_to_gain(db)
    gain = np.ones(n)
    gain[lo:hi] = g
    m = min(int(round(EDGE_S * rate)), (hi - lo) // 2)
    if m > 0:
        if lo > 0:
            gain[lo:lo + m] = np.linspace(1.0, g, m)
        if hi < n:
            gain[hi - m:hi] = np.linspace(g, 1.0, m)
    return y * gain


# --- inserting audio -----------------------------------------------------------------------------


def insert(x: np.ndarray, at_s: float, block: np.ndarray, rate: int) -> np.ndarray:
    """`block` inserted at `at_s` seconds; what followed moves later by the block's length.

    `block` has the same channel layout as `x` (a mono block into a
    multi-channel `x` goes into every channel).
    """
    y = np.asarray(x, dtype=float)
    at = int(round(at_s * rate))
    if not 0 <= at <= y.shape[-1]:
        raise ValueError(f"insert point {at_s} s is outside the signal")
    block = np.asarray(block, dtype=float)
    if y.ndim == 2 and block.ndim == 1:
        block = np.broadcast_to(block, (y.shape[0], block.size))
    return np.concatenate([y[..., :at], block, y[..., at:]], axis=-1)


def comfort_noise(n: int, rate: int, dbfs: float, rng: np.random.Generator) -> np.ndarray:
    """n samples of low pink noise at `dbfs` dBFS RMS (what a codec plays during silence)."""
    del rate  # kept for a uniform signature
    return pink_noise(n, rng) * db_to_gain(dbfs)


# Chord roots in semitones above A3 (220 Hz) for a I-vi-IV-V style loop; major/minor triads.
_PROGRESSION = ((3, (0, 4, 7)), (0, (0, 3, 7)), (8, (0, 4, 7)), (10, (0, 4, 7)))


def hold_music(duration_s: float, rate: int, rng: np.random.Generator, dbfs: float = -24.0,
               chord_s: tuple[float, float] = (1.2, 2.0)) -> np.ndarray:
    """Synthesised hold music: a looping chord progression, soft tones with a decaying envelope.

    Each chord lasts a random time within `chord_s` seconds; the key is a random
    transposition of 0-11 semitones. Returned at `dbfs` dBFS RMS, mono, at `rate` Hz.
    """
    n = int(round(duration_s * rate))
    out = np.zeros(n)
    shift = int(rng.integers(0, 12))
    pos, k = 0, 0
    while pos < n:
        length = min(n - pos, int(round(rng.uniform(*chord_s) * rate)))
        root, triad = _PROGRESSION[k % len(_PROGRESSION)]
        t = np.arange(length) / rate
        freqs = 220.0 * 2 ** ((root + shift + np.asarray(triad + (12,))) / 12.0)
        tones = np.sin(2 * np.pi * freqs[:, None] * t[None, :]) \
            + 0.3 * np.sin(4 * np.pi * freqs[:, None] * t[None, :])
        envelope = np.exp(-t / (0.8 * max(t[-1], 1e-3) + 1e-9)) * edge_window(length, rate, 0.02)
        out[pos:pos + length] = tones.sum(axis=0) * envelope
        pos, k = pos + length, k + 1
    return out / max(rms(out), 1e-12) * db_to_gain(dbfs) if n else out


def overlay(x: np.ndarray, other: np.ndarray, at_s: float, rate: int, relative_db: float,
            reference_rms: float) -> np.ndarray:
    """Mix `other` (mono) into `x` from `at_s` seconds, its speech level `relative_db` dB
    against `reference_rms` (0 dB: as loud; -20 dB: ten times quieter in amplitude).

    The level of `other` is measured with active_rms. Whatever runs past the end is cut.
    """
    y = np.array(x, dtype=float)
    other = np.asarray(other, dtype=float)
    at = int(round(at_s * rate))
    end = min(y.shape[-1], at + other.size)
    if at < 0 or at >= y.shape[-1]:
        raise ValueError(f"overlay point {at_s} s is outside the signal")
    level = active_rms(other, rate)
    if level == 0:
        raise ValueError("the overlaid signal is silent")
    y[..., at:end] += other[: end - at] * (reference_rms * db_to_gain(relative_db) / level)
    return y


def loop(x: np.ndarray, rate: int, start_s: float, end_s: float, times: int) -> np.ndarray:
    """The stretch from `start_s` to `end_s` seconds played `times` more times right after itself
    (a looped phrase); everything after it moves later by times * (end_s - start_s)."""
    if times < 0:
        raise ValueError("times must be >= 0")
    y = np.asarray(x, dtype=float)
    lo, hi = _span(rate, y.shape[-1], start_s, end_s)
    reps = [y[..., lo:hi]] * times
    return np.concatenate([y[..., :hi], *reps, y[..., hi:]], axis=-1)
