"""Frame-level measurements of one channel: level, pitch, flatness, clipping, dropouts, log-mel.

Every array has one value per hop: frame i covers samples
[round(i * hop_s * sr), round((i + 1) * hop_s * sr)), so frame times are
exactly i * hop_s at any sample rate and there are ceil(n / (hop_s * sr))
frames. Analyses that need a longer window (pitch, spectra) centre it on the
frame.

Clipping is judged against the channel's own ceiling, not only full scale:
audio clipped before a gain stage sits flat at, say, 0.4 of full scale.
`clipped` counts samples at or above `CLIP_LEVEL` and samples on a flat top
(see `_flat_top`: two or more consecutive samples held at the channel's
extreme, or at the local extreme within 0.5 s). `near_peak` counts samples
within 10% of the channel's peak magnitude, the raw material for a
soft-saturation test (see the poor_audio rule). Dropouts: `digital` counts
samples in runs of digital silence of at least `DIGITAL_RUN_S` that cut into
sound (see `_digital_silence`); `repeated` counts samples that copy the packet
before them (`PACKET_S`), as packet-loss concealment does. `impulses` counts
clicks per frame (crackle). Everything is computed over whole channels with
numpy; loops run over the four packet times and two polarities, never over frames.
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
CEILING_MIN = 0.01  # a channel peaking below -40 dBFS has no ceiling worth calling clipping
NEAR_PEAK = 0.9  # 'near the ceiling': |x| within 10% of the channel's peak magnitude
FLAT_TOL = 0.005  # a flat top: within 0.5% of the extreme (a -60 dBFS noise floor added after the clipping
# spreads it less; a sine above 200 Hz at 8 kHz puts only its peak sample that close)
FLAT_LOCAL_S = 0.5  # flat tops at the local extreme: over this much audio around each frame
DIGITAL_LEVEL = 10 ** (-90 / 20)  # |x| at or below this is digital silence (about 1 LSB of 16-bit PCM)
DIGITAL_RUN_S = 0.01  # shorter zero runs are a quiet signal quantised to 0 (u-law calls have 5 ms ones)
CUT_DB = -20.0  # a dropout cuts into sound: within 2 ms on both sides of the run, |x| reaches this far below the loud level
CUT_EDGE_S = 0.002
PACKET_S = (0.01, 0.02, 0.03, 0.04)  # RTP packet times; concealment repeats whole packets
HUM_MAX_HZ = 150.0  # a repeated block with its energy centred below this (by first difference) is mains hum
REPEAT_RESIDUAL_DB = -35.0  # a copy differs from its original by at least this much less than its energy
# (a synthesiser's steady 100 Hz vowel repeats to -32 dB at 10 ms; a copy under a -65 dBFS floor, to -37 dB or less)
REPEAT_MIN_DBFS = -65.0  # a copied block must be at least this loud (a dozen LSB: not digital near-silence)
IMPULSE_RATIO = 30.0  # a click: a sample's second difference this many times its 50 ms mean magnitude
IMPULSE_MIN_DBFS = -50.0  # and at least this large


@dataclass(frozen=True, eq=False)
class FrameFeatures:
    hop_s: float
    energy_db: np.ndarray  # frame RMS in dBFS, floored at ENERGY_FLOOR_DB
    pitch_hz: np.ndarray  # 0 where unvoiced
    flatness: np.ndarray  # spectral flatness 0..1 (1: white noise or digital silence)
    clipped: np.ndarray  # fraction of the frame's samples at full scale or on a flat top at the channel's ceiling
    near_peak: np.ndarray | None = None  # fraction of samples with |x| >= NEAR_PEAK * ceiling
    digital: np.ndarray | None = None  # fraction of samples in digital silence runs >= DIGITAL_RUN_S that cut into sound
    repeated: np.ndarray | None = None  # fraction of samples copying the packet before them
    impulses: np.ndarray | None = None  # clicks (single-sample spikes) per frame
    ceiling: float = 0.0  # the channel's peak magnitude

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
    ceiling = float(np.abs(x).max()) if x.size else 0.0
    near_peak = _per_frame(np.abs(x) >= NEAR_PEAK * ceiling if ceiling >= CEILING_MIN else np.zeros(x.size, bool),
                           bounds)
    clipped = np.maximum(clipped, _per_frame(_flat_top(x, ceiling, bounds), bounds))
    digital = _per_frame(_digital_silence(x, sample_rate, energy_db), bounds)
    repeated = _per_frame(_repeated_packets(x, sample_rate), bounds)
    impulses = _impulses(x, bounds)
    centres = (bounds[:-1] + bounds[1:]) * 0.5
    win = max(8, int(round(SPECTRUM_WINDOW_S * sample_rate)))
    flat = np.concatenate(
        [_flatness(frames) for frames in _frames(x, centres, win)] or [np.zeros(0, np.float32)]
    )
    pitch = _pitch(x, sample_rate, centres / sample_rate, energy_db)
    return FrameFeatures(hop_s=hop_s, energy_db=energy_db, pitch_hz=pitch, flatness=flat, clipped=clipped,
                         near_peak=near_peak, digital=digital, repeated=repeated, impulses=impulses,
                         ceiling=ceiling)


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


def _per_frame(mask: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Fraction of each frame's samples where `mask` is true."""
    if bounds.size < 2:
        return np.zeros(0, np.float32)
    lengths = np.maximum(np.diff(bounds), 1)
    return (np.add.reduceat(mask.view(np.uint8), bounds[:-1], dtype=np.int32) / lengths).astype(np.float32)


def _long_runs(test, size: int, min_len: int, stride: int,
               loud: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the runs of sample indices where `test` holds, each at least `min_len` long.

    `test(idx)` says for an index array whether each sample passes. It is first
    asked about every `stride`-th sample (a run of `min_len` holds at least
    min_len // stride of them in a row), then about every sample of the few
    stretches that could hold such a run. With `loud` (the squares of the
    samples, cumulated), coarse runs quieter than REPEAT_MIN_DBFS are skipped.
    """
    coarse = np.arange(0, size, stride)
    first, last = _runs(test(coarse))
    last = last - 1
    keep = (last - first + 1) >= max(1, min_len // stride)
    if loud is not None:
        lo_s, hi_s = coarse[first], np.minimum(coarse[last] + 1, size)
        power = (loud[hi_s] - loud[lo_s]) / np.maximum(hi_s - lo_s, 1)
        keep &= power >= 10 ** (REPEAT_MIN_DBFS / 10) / 4  # within 6 dB of the final test: a coarse estimate
    lo = np.maximum(coarse[first[keep]] - stride + 1, 0)
    hi = np.minimum(coarse[last[keep]] + stride, size)
    if lo.size == 0:
        return lo, hi
    lengths = hi - lo
    idx = np.arange(int(lengths.sum())) + np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    ok = test(idx)
    joined = np.zeros(idx.size, bool)  # this sample continues the stretch of the one before
    joined[1:] = idx[1:] == idx[:-1] + 1
    prev = np.concatenate([[False], ok[:-1]]) & joined
    nxt = np.concatenate([ok[1:], [False]]) & np.concatenate([joined[1:], [False]])
    starts, ends = idx[ok & ~prev], idx[ok & ~nxt] + 1
    keep = (ends - starts) >= min_len
    return starts[keep], ends[keep]


def _spans_mask(starts: np.ndarray, ends: np.ndarray, size: int) -> np.ndarray:
    """True inside the sample spans [starts, ends) (they may overlap)."""
    out = np.zeros(size, bool)
    lengths = ends - starts
    total = int(lengths.sum()) if lengths.size else 0
    if total == 0:
        return out
    if total < size // 8:  # a few short spans: index them
        out[np.arange(total) + np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)] = True
        return out
    delta = np.zeros(size + 1, np.int32)
    np.add.at(delta, starts, 1)
    np.add.at(delta, ends, -1)
    return np.cumsum(delta[:-1]) > 0


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the runs of True in a boolean array."""
    padded = np.zeros(mask.size + 2, bool)
    padded[1:-1] = mask
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[0::2], edges[1::2]


def _flat_runs(x: np.ndarray, level: np.ndarray | float, band: np.ndarray | float) -> np.ndarray:
    """Samples in runs of two or more within `band` of `level` that the waveform jumps onto or off.

    The jump (twice the band in one sample) tells a clipped top from a low
    tone's rounded peak (mains hum at 8 kHz glides through its top slowly).
    """
    at = np.abs(x - level) <= band
    starts, ends = _runs(at)
    keep = (ends - starts) >= 2
    starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return np.zeros(x.size, bool)
    limit = 2 * (band[starts] if isinstance(band, np.ndarray) else band)
    entry = np.abs(x[starts] - x[np.maximum(starts - 1, 0)])
    leave = np.abs(x[ends - 1] - x[np.minimum(ends, x.size - 1)])
    sharp = np.maximum(entry, leave) >= limit
    return _spans_mask(starts[sharp], ends[sharp], x.size)


def _flat_top(x: np.ndarray, ceiling: float, bounds: np.ndarray | None = None) -> np.ndarray:
    """Samples on flat tops: consecutive samples held at an extreme of the waveform.

    A clean waveform reaches an extreme value once; clipping holds it there.
    Two extremes are checked, each polarity on its own (one-sided clipping
    counts too): the channel's own highest and lowest value, within FLAT_TOL
    (a noise floor added after the clipping blurs the top a little); and, for
    stretches clipped at another level than the rest of the call, the highest
    and lowest value within FLAT_LOCAL_S around each frame, exactly (a clean
    waveform's local peak is a single sample even in u-law audio).
    """
    out = np.zeros(x.size, bool)
    if ceiling < CEILING_MIN or x.size < 3:
        return out
    for level in (float(x.max()), float(x.min())):  # the two polarities
        if abs(level) >= CEILING_MIN:
            out |= _flat_runs(x, level, FLAT_TOL * abs(level))
    if bounds is None or bounds.size < 2:
        return out
    from numpy.lib.stride_tricks import sliding_window_view

    width = 2 * (max(1, int(round(FLAT_LOCAL_S / 0.01))) // 2) + 1  # odd, in frames
    lengths = np.diff(bounds)
    for reduce, pick in ((np.maximum, np.max), (np.minimum, np.min)):
        per_frame = reduce.reduceat(x, bounds[:-1])
        local = pick(sliding_window_view(np.pad(per_frame, width // 2, mode="edge"), width), axis=1)
        level = np.repeat(local, lengths)
        loud = np.abs(level) >= CEILING_MIN
        out |= loud & _flat_runs(x, level, np.zeros(x.size, np.float32))
    return out


def _impulses(x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Clicks per frame: samples standing out of the waveform's local curvature (crackle, impulse noise).

    The second difference x[n] - (x[n-1] + x[n+1]) / 2 of a voice is smooth at
    any rate; a click is one sample IMPULSE_RATIO times the 50 ms mean of it.
    """
    if bounds.size < 2 or x.size < 3:
        return np.zeros(max(bounds.size - 1, 0), np.float32)
    d2 = np.zeros(x.size, np.float32)
    d2[1:-1] = np.abs(x[1:-1] - np.float32(0.5) * (x[:-2] + x[2:]))
    lengths = np.maximum(np.diff(bounds), 1)
    mean = np.add.reduceat(d2, bounds[:-1], dtype=np.float64) / lengths
    local = np.convolve(mean, np.ones(5) / 5, mode="same")  # 50 ms around each frame
    limit = np.maximum(np.repeat(local * IMPULSE_RATIO, lengths)[: x.size], 10 ** (IMPULSE_MIN_DBFS / 20))
    click = d2 > limit
    click[1:-1] &= (d2[1:-1] > d2[:-2]) & (d2[1:-1] >= d2[2:])  # one per click, not its two neighbours
    return np.add.reduceat(click.view(np.uint8), bounds[:-1], dtype=np.int32).astype(np.float32)


def _digital_silence(x: np.ndarray, sample_rate: int, energy_db: np.ndarray) -> np.ndarray:
    """Samples in runs of digital silence at least DIGITAL_RUN_S long that cut into sound.

    A lost packet zeroes the signal mid-sound, and the sound goes on after it:
    within CUT_EDGE_S on both sides of the run |x| is within -CUT_DB of the
    channel's loud level (90th percentile of its frame RMS). A noise gate, DTX
    or a pause between words closes after the sound has died away to a few
    LSB, or opens on a quiet onset, so it is not a cut.
    """
    min_len = max(2, int(round(DIGITAL_RUN_S * sample_rate)))
    starts, ends = _long_runs(lambda idx: np.abs(x[idx]) <= DIGITAL_LEVEL, x.size, min_len, max(1, min_len // 8))
    heard = energy_db[energy_db > ENERGY_FLOOR_DB + 30]
    if starts.size == 0 or heard.size == 0:
        return np.zeros(x.size, bool)
    loud = 10 ** (float(np.percentile(heard, 90)) / 20)
    w = max(1, int(round(CUT_EDGE_S * sample_rate)))
    offsets = np.arange(w)
    before = np.abs(x[np.clip(starts[:, None] - 1 - offsets, 0, x.size - 1)]).max(axis=1)
    after = np.abs(x[np.clip(ends[:, None] + offsets, 0, x.size - 1)]).max(axis=1)
    cut = np.minimum(before, after) >= loud * 10 ** (CUT_DB / 20)
    return _spans_mask(starts[cut], ends[cut], x.size)


def _may_repeat(diff2: np.ndarray, copy: np.ndarray, block: int, ratio: float) -> bool:
    """Whether any block of `block` samples passes the repetition test on its own.

    A copy of a whole packet holds a whole block of half a packet, so when no
    block passes there is no copy at this lag and the exact search is skipped.
    """
    n = diff2.size // block
    if n == 0:
        return False
    d = diff2[: n * block].reshape(n, block).sum(axis=1)
    e = np.square(copy[: n * block]).reshape(n, block).sum(axis=1)
    return bool(np.any((d <= ratio * e) & (e >= block * 10 ** (REPEAT_MIN_DBFS / 10))))


def _repeated_packets(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """Samples that (nearly) repeat the samples one packet earlier, for a whole packet.

    For each packet time L in PACKET_S, over every window of L samples: the
    energy of x[n] - x[n - L] is REPEAT_RESIDUAL_DB or more below the energy of
    x[n] (a copy under a later line-noise floor still passes; speech one packet
    apart differs by far more), in a copy at least REPEAT_MIN_DBFS loud. A pure
    tone whose period divides L also repeats; it repeats at L/2 as well
    (exactly or inverted), which a lost packet does not, so such runs are
    dropped; so are copies of mains hum, whose energy is centred below
    HUM_MAX_HZ (told by the energy of the first difference).
    """
    out = np.zeros(x.size, bool)
    energy = np.zeros(x.size + 1)
    np.cumsum(np.square(x), dtype=np.float64, out=energy[1:])
    ratio = 10 ** (REPEAT_RESIDUAL_DB / 10)
    resid = np.zeros(x.size + 1)
    for packet_s in PACKET_S:  # four packet times, each over the whole channel
        lag = int(round(packet_s * sample_rate))
        n = x.size - 2 * lag + 1  # windows: x[k + lag : k + 2 lag] against x[k : k + lag]
        if n <= 0:
            continue
        diff2 = np.square(x[lag:] - x[:-lag])
        if not _may_repeat(diff2, x[lag:], max(1, lag // 2), ratio):
            continue
        np.cumsum(diff2, dtype=np.float64, out=resid[1:x.size - lag + 1])
        e = energy[2 * lag:] - energy[lag:x.size + 1 - lag]
        hit = resid[lag:lag + n] - resid[:n] <= ratio * e
        hit &= e >= lag * 10 ** (REPEAT_MIN_DBFS / 10)
        if not hit.any():
            continue
        first = np.flatnonzero(hit) + lag  # copies x[first:first + lag]
        starts, stops = _runs(_spans_mask(first, first + lag, x.size))
        lengths = stops - starts
        ids = np.repeat(np.arange(starts.size), lengths)
        idx = np.arange(int(lengths.sum())) + np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        # A tone repeats at L/2 too (exactly or inverted): correlate each copy with itself half a packet on.
        a_, b_ = x[idx].astype(np.float64), x[idx - lag // 2].astype(np.float64)
        prod = np.bincount(ids, a_ * b_, starts.size)
        energy_a = np.bincount(ids, a_ * a_, starts.size)
        tonal = prod**2 >= 0.99 * np.maximum(energy_a * np.bincount(ids, b_ * b_, starts.size), 1e-30)
        # Mains hum repeats every 20 ms too; its energy sits at 50/60 Hz and the first few harmonics
        # (centred near 100 Hz), a speech packet's well above: the first difference tells them apart.
        step = a_ - x[idx - 1].astype(np.float64)
        low = np.bincount(ids, step * step, starts.size) < (2 * np.sin(np.pi * HUM_MAX_HZ / sample_rate)) ** 2 * energy_a
        good = ~tonal & ~low
        out |= _spans_mask(starts[good], stops[good], x.size)
    return out


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
