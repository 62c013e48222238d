"""Who is speaking when: Silero VAD per channel, then crosstalk removal.

On a stereo call each side's microphone also picks up the other side a few
tens of dB down (line echo, headset leak). VAD hears that leak as speech, so
on frames where both channels are VAD-active the much quieter channel is
treated as leakage rather than its own speech.

Level alone cannot tell leakage from a real quiet voice (a customer talking
over the agent 20 dB down is as quiet as a leak), so when the audio is at
hand (`crosstalk_leak_fraction`) a quieter channel is leakage only where its
sound is also a linear copy of the other channel: leakage is the other side
filtered and delayed by the line or headset, so the other channel predicts
it through the cross-spectrum (magnitude-squared coherence near 1), while a
different voice is not predictable from it (coherence near 0).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reviewer_app.core import intervals as iv
from reviewer_app.core.domain import Interval

VAD_RATE = 16000
VAD_THRESHOLD = 0.35  # tuned on real 8 kHz calls: catches soft onsets, still ~99% precise
VAD_MIN_SILENCE_S = 0.1  # a pause this long ends a VAD segment
VAD_PAD_S = 0.1
GAP_FILL_S = 0.2  # pauses shorter than this inside one channel's speech are joined
MIN_BURST_S = 0.1  # activity shorter than this is dropped
ENERGY_SMOOTH_S = 0.05  # frame energies are averaged over this before comparing channels
FLOOR_MARGIN_DB = 10.0  # while the other side talks, a channel this close to its noise floor is silent
MIN_EVIDENCE_S = 0.05  # a stretch of activity needs this much audible sound of its own
VAD_TARGET_DBFS = -20.0  # a channel's loudest 50 ms is raised to this before the VAD
VAD_MAX_GAIN_DB = 40.0  # but by no more than this, so near-silence stays near-silence
VAD_LEVEL_BLOCK_S = 0.05
# Crosstalk by coherence (crosstalk_leak_fraction): spectra of LEAK_WINDOW samples at 16 kHz
# every LEAK_HOP_S, cross-spectra averaged over LEAK_BLOCK_S (Welch), over the telephone band.
LEAK_WINDOW = 512  # 32 ms
LEAK_HOP_S = 0.02
LEAK_BLOCK_S = 0.3  # ~15 spectra averaged: an unrelated voice scores ~1/15, a copy ~1
LEAK_BAND_HZ = (150.0, 3800.0)
LEAK_FRACTION = 0.5  # a quieter channel whose power is at least this share a copy of the other is leakage


def speech_intervals(
    samples_16k: np.ndarray,
    threshold: float = VAD_THRESHOLD,
    min_silence_s: float = VAD_MIN_SILENCE_S,
    pad_s: float = VAD_PAD_S,
) -> list[Interval]:
    """Speech of one 16 kHz float32 channel as sorted (start, end) seconds."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    x = np.ascontiguousarray(samples_16k, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected one channel, got shape {x.shape}")
    if x.size == 0:
        return []
    x = _raised(x)
    options = VadOptions(
        threshold=threshold,
        min_speech_duration_ms=0,
        min_silence_duration_ms=int(round(min_silence_s * 1000)),
        speech_pad_ms=int(round(pad_s * 1000)),
    )
    stamps = get_speech_timestamps(x, vad_options=options, sampling_rate=VAD_RATE)
    duration = x.size / VAD_RATE
    spans = [(max(0.0, s["start"] / VAD_RATE), min(duration, s["end"] / VAD_RATE)) for s in stamps]
    return iv.merge(spans)


def _raised(x: np.ndarray) -> np.ndarray:
    """x with its loudest 50 ms block at VAD_TARGET_DBFS, if that means raising it (at most VAD_MAX_GAIN_DB)."""
    block = int(VAD_LEVEL_BLOCK_S * VAD_RATE) // 4  # every 4th sample is plenty for a level
    thin = x[::4]
    n = thin.size // block
    if n == 0:
        return x
    loudest = float(np.sqrt(np.max(np.mean(np.square(thin[: n * block].reshape(n, block)), axis=1))))
    if loudest <= 0.0:
        return x
    gain_db = min(VAD_MAX_GAIN_DB, VAD_TARGET_DBFS - 20.0 * np.log10(loudest))
    if gain_db <= 0.0:
        return x
    return np.clip(x * np.float32(10 ** (gain_db / 20)), -1.0, 1.0).astype(np.float32)


def channel_activity(
    vad: Sequence[list[Interval]],
    energies: Sequence[np.ndarray],
    hop_s: float,
    margin_db: float,
    leak: Sequence[np.ndarray] | None = None,
) -> list[list[Interval]]:
    """Each channel's own speech: VAD minus crosstalk, smoothed.

    `energies` are frame RMS levels in dB (one array per channel, hop `hop_s`).
    Where both channels are VAD-active, a channel more than `margin_db` below
    the other is leakage and loses those frames. With `leak` (per channel and
    frame, the share of its power the other channel explains, from
    `crosstalk_leak_fraction`) such a frame is leakage only if that share is at
    least LEAK_FRACTION: a quiet voice of its own stays speech. A mono call
    keeps its VAD.
    """
    if len(vad) != len(energies):
        raise ValueError("one energy array per VAD channel is needed")
    n_frames = min((len(e) for e in energies), default=0)
    masks = [iv.to_mask(v, n_frames, hop_s) for v in vad]
    if len(masks) == 2:
        smooth = max(1, int(round(ENERGY_SMOOTH_S / hop_s)))
        level = [_smoothed_db(np.asarray(e[:n_frames], dtype=np.float64), smooth) for e in energies]
        both = masks[0] & masks[1]
        diff = level[0] - level[1]
        audible = [lv >= _noise_floor_db(lv, m) + FLOOR_MARGIN_DB for lv, m in zip(level, masks)]
        quieter = [diff < -margin_db, diff > margin_db]
        if leak is not None:
            quieter = [q & _leak_frames(f, n_frames) for q, f in zip(quieter, leak)]
        masks = [
            masks[0] & ~quieter[0] & ~(both & ~audible[0]),
            masks[1] & ~quieter[1] & ~(both & ~audible[1]),
        ]
        evidence = max(1, int(round(MIN_EVIDENCE_S / hop_s)))
        masks = [_runs_with_evidence(m, m & a, evidence) for m, a in zip(masks, audible)]
    return [smooth_activity(iv.from_mask(m, hop_s)) for m in masks]


def smooth_activity(
    spans: list[Interval], gap_s: float = GAP_FILL_S, min_len_s: float = MIN_BURST_S
) -> list[Interval]:
    """Join pauses shorter than `gap_s`, then drop bursts shorter than `min_len_s`."""
    return iv.drop_shorter_than(iv.merge(spans, gap=gap_s), min_len_s)


def _smoothed_db(energy_db: np.ndarray, width: int) -> np.ndarray:
    """Moving average in the power domain, back to dB."""
    if width <= 1 or energy_db.size == 0:
        return energy_db
    power = 10.0 ** (energy_db / 10.0)
    kernel = np.ones(width) / width
    return 10.0 * np.log10(np.maximum(np.convolve(power, kernel, mode="same"), 1e-12))


def _noise_floor_db(level_db: np.ndarray, speech: np.ndarray) -> float:
    """The channel's background level: median of its non-speech frames (digital silence aside).

    With under half a second of non-speech there is no telling; -120 dB then
    turns the floor tests off rather than guessing.
    """
    quiet = level_db[(level_db > -100.0) & ~speech]
    return float(np.median(quiet)) if quiet.size >= 50 else -120.0


def _runs_with_evidence(mask: np.ndarray, evidence: np.ndarray, min_frames: int) -> np.ndarray:
    """Keep only the runs of `mask` holding at least `min_frames` `evidence` frames.

    A run made only of VAD hangover over the channel's noise floor (the tail of
    the other side's leak) is not speech.
    """
    if not mask.any():
        return mask
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    counts = np.concatenate([[0], np.cumsum(evidence)])
    keep = (counts[ends] - counts[starts]) >= min_frames
    out = np.zeros_like(mask)
    for s, e in zip(starts[keep], ends[keep]):
        out[s:e] = True
    return out


# --- crosstalk by coherence ---------------------------------------------------


def crosstalk_leak_fraction(pcm: Sequence[np.ndarray], rate: int, hop_s: float,
                            needed: np.ndarray | None = None) -> list[np.ndarray]:
    """Per channel and `hop_s` frame: the share (0..1) of its power that is a filtered copy of the other.

    For channels x, y with Welch cross-spectra over LEAK_BLOCK_S, the share of
    y explained by x is sum_f |Sxy|^2 / Sxx over sum_f Syy (coherence weighted
    by y's power): ~1 where y is x's leak (any linear filter and a delay the
    global GCC-PHAT alignment finds, up to +-LEAK_WINDOW/4 samples), about
    1/(spectra averaged) where y is a voice of its own. Two channels expected.
    With `needed` (a mask of hop frames, e.g. where both channels' VAD fires)
    only those frames are measured, the lag included; the rest read 0.
    """
    if len(pcm) != 2:
        raise ValueError("crosstalk needs exactly two channels")
    n = min(len(pcm[0]), len(pcm[1]))
    hop = int(round(LEAK_HOP_S * rate))
    n_frames = int(np.ceil(n / (hop_s * rate))) if n else 0
    n_leak = int(np.ceil(n / hop)) if n else 0
    out = [np.zeros(n_frames, np.float32), np.zeros(n_frames, np.float32)]
    # Leak frame k is centred on k * LEAK_HOP_S; hop frame j on (j + 0.5) * hop_s.
    idx = np.minimum(((np.arange(n_frames) + 0.5) * hop_s / LEAK_HOP_S).round().astype(np.int64),
                     max(n_leak - 1, 0))
    want = np.zeros(n_leak, dtype=bool)
    if needed is None:
        want[:] = True
    else:
        m = min(n_frames, len(needed))
        want[idx[:m][np.asarray(needed[:m], dtype=bool)]] = True
    if not want.any():
        return out
    block = max(2, int(round(LEAK_BLOCK_S / LEAK_HOP_S)))
    before, after = block // 2, block - block // 2
    # Spectra are needed wherever a wanted frame's block reaches.
    reach = np.convolve(want.astype(np.int32), np.ones(block + 1, np.int32))[after:after + n_leak] > 0
    pad = np.zeros(LEAK_WINDOW, np.float32)
    x = np.concatenate([pad, np.asarray(pcm[0][:n], dtype=np.float32), pad, np.zeros(hop, np.float32)])
    y = np.concatenate([pad, np.asarray(pcm[1][:n], dtype=np.float32), pad, np.zeros(hop, np.float32)])
    freqs = np.fft.rfftfreq(LEAK_WINDOW, 1.0 / rate)
    band = np.flatnonzero((freqs >= LEAK_BAND_HZ[0]) & (freqs <= LEAK_BAND_HZ[1]))
    rows = np.flatnonzero(reach)
    y = _shift(y, _gcc_phat_lag(x, y, hop, rows, band))
    frac_y, frac_x = np.zeros(n_leak, np.float32), np.zeros(n_leak, np.float32)
    for lo in range(0, n_leak, _LEAK_CHUNK):
        hi = min(n_leak, lo + _LEAK_CHUNK)
        if not want[lo:hi].any():
            continue
        a, b = max(0, lo - before), min(n_leak, hi + after)
        sx = np.zeros((b - a, band.size), np.complex64)
        sy = np.zeros_like(sx)
        k = a + np.flatnonzero(reach[a:b])
        sx[k - a], sy[k - a] = _spectra(x, hop, k, band), _spectra(y, hop, k, band)
        starts = np.arange(lo, hi) - before - a  # block of frame f: rows [f - before, f + after)
        first = np.maximum(starts, 0)
        last = np.minimum(starts + block, b - a)
        sxy = _range_sums(sx * np.conj(sy), first, last)
        sxx = _range_sums(sx.real ** 2 + sx.imag ** 2, first, last)
        syy = _range_sums(sy.real ** 2 + sy.imag ** 2, first, last)
        cross = sxy.real ** 2 + sxy.imag ** 2
        tiny = 1e-20
        frac_y[lo:hi] = np.sum(cross / (sxx + tiny), axis=1) / (np.sum(syy, axis=1) + tiny)
        frac_x[lo:hi] = np.sum(cross / (syy + tiny), axis=1) / (np.sum(sxx, axis=1) + tiny)
    frac_x, frac_y = np.clip(frac_x, 0.0, 1.0), np.clip(frac_y, 0.0, 1.0)
    return [frac_x[idx], frac_y[idx]]


_LEAK_CHUNK = 4096  # spectra computed at once, bounds memory on long calls


def _spectra(padded: np.ndarray, hop: int, k: np.ndarray, band: np.ndarray) -> np.ndarray:
    """Band bins of the Hann-windowed spectra centred on samples k * hop of the signal in `padded`
    (the signal after LEAK_WINDOW zeros)."""
    starts = k * hop - LEAK_WINDOW // 2 + LEAK_WINDOW
    frames = padded[starts[:, None] + np.arange(LEAK_WINDOW)]
    window = np.hanning(LEAK_WINDOW + 2)[1:-1].astype(np.float32)
    return np.fft.rfft(frames * window, axis=1)[:, band].astype(np.complex64)


def _gcc_phat_lag(x: np.ndarray, y: np.ndarray, hop: int, rows: np.ndarray, band: np.ndarray) -> int:
    """Samples by which y lags x (GCC-PHAT over the frames `rows`), 0 when no clear peak."""
    cross = np.zeros(LEAK_WINDOW // 2 + 1, np.complex128)
    for lo in range(0, rows.size, _LEAK_CHUNK):
        k = rows[lo:lo + _LEAK_CHUNK]
        cross[band] += np.sum(_spectra(x, hop, k, band) * np.conj(_spectra(y, hop, k, band)), axis=0)
    mag = np.abs(cross)
    if not mag.any():
        return 0
    cc = np.fft.irfft(np.where(mag > 0, cross / np.maximum(mag, 1e-30), 0.0), n=LEAK_WINDOW)
    limit = LEAK_WINDOW // 4
    lags = np.concatenate([np.arange(0, limit + 1), np.arange(-limit, 0)])
    vals = np.concatenate([cc[: limit + 1], cc[-limit:]])
    best = int(np.argmax(vals))
    # x * conj(y) peaks at -d when y is x delayed by d samples.
    return -int(lags[best]) if vals[best] > 4 * np.median(np.abs(vals)) else 0


def _shift(y: np.ndarray, lag: int) -> np.ndarray:
    """y moved `lag` samples earlier (later when negative), zero filled."""
    if lag == 0:
        return y
    out = np.zeros_like(y)
    if lag > 0:
        out[:-lag] = y[lag:]
    else:
        out[-lag:] = y[:lag]
    return out


def _range_sums(v: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Sums of rows [first[i], last[i]) of v, for each i."""
    c = np.cumsum(v, axis=0, dtype=np.complex128 if np.iscomplexobj(v) else np.float64)
    c = np.concatenate([np.zeros((1, v.shape[1]), c.dtype), c])
    return c[last] - c[first]


def _leak_frames(fraction: np.ndarray, n_frames: int) -> np.ndarray:
    """Frames whose explained share reaches LEAK_FRACTION (missing frames: not leakage)."""
    out = np.zeros(n_frames, dtype=bool)
    f = np.asarray(fraction)[:n_frames]
    out[: f.size] = f >= LEAK_FRACTION
    return out
