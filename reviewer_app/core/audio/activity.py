"""Who is speaking when: Silero VAD per channel, then crosstalk removal.

On a stereo call each side's microphone also picks up the other side a few
tens of dB down (line echo, headset leak). VAD hears that leak as speech, so
on frames where both channels are VAD-active the much quieter channel is
treated as leakage rather than its own speech.
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


def channel_activity(
    vad: Sequence[list[Interval]],
    energies: Sequence[np.ndarray],
    hop_s: float,
    margin_db: float,
) -> list[list[Interval]]:
    """Each channel's own speech: VAD minus crosstalk, smoothed.

    `energies` are frame RMS levels in dB (one array per channel, hop `hop_s`).
    Where both channels are VAD-active, a channel more than `margin_db` below
    the other is leakage and loses those frames. A mono call keeps its VAD.
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
        masks = [
            masks[0] & ~(diff < -margin_db) & ~(both & ~audible[0]),
            masks[1] & ~(diff > margin_db) & ~(both & ~audible[1]),
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
