"""repetition (audio): the same piece of a channel's audio played again right after itself.

A looping line or a stuck playback repeats the *same audio*, which ASR often
does not transcribe twice, so the text rule (repetition.py) cannot see it.
This rule compares the channel with itself, on its coarse mel band energies
(`ChannelSignal.bands_db`, audio/bands.py, averaged to FRAME_S frames):

  For every lag L in [looped_audio_min_s, looped_audio_max_lag_s] and every
  block of W = looped_audio_min_s starting at frame i, r_L(i) is the Pearson
  correlation of the block's band x time values with the block L later, each
  with its own per-band mean removed (so a level change or a steady hum,
  tone or noise floor does not correlate; only the same spectro-temporal
  pattern does). A replay of the same audio gives r near 1 over the whole
  piece; two natural utterances, even of the same words by the same voice,
  stay well below (timing and spectra differ), as does silence.

A loop is a run of blocks with r_L >= looped_audio_min_r where both the
piece and its replay are the channel's own speech (activity over at least
MIN_ACTIVE of the block) and vary enough to be speech (band std at least
MIN_STD_DB), and whose pitch contour is the same in the replay (median gap
at most MAX_PITCH_GAP_ST semitones over the frames voiced in both). Band
envelopes alone are not enough: a speaker saying a similar phrase again can
reach r = 0.95 on them (measured on calls_en), but never hits the same pitch
contour (gaps of 1-7 semitones there), while a replay is within ~0.1. The
voicing must also be the same (SAME_VOICING) and cover MIN_VOICED_SHARE.
Finally a replay matches frame by frame: at least MIN_MATCHED of the
piece's frames lie within EDGE_DB of their replay frame (replays 0.84-1.0;
rule-based synthesis saying "morning," and "calling," with the same
intonation, which passes the pitch test, 0.70). Candidates at neighbouring lags and overlapping spans are one
finding, the one matching the longest piece (then the highest r). The segment
spans the piece and its replay, on the channel's role, with evidence
"audio from 12.3-14.1 s repeats at 14.1 s (r=0.98)". Score 0.5 at the
threshold r, 1.0 at r = 1.

Cost: one pass of (frames x bands) products per lag, all numpy; about
(max_lag - min_s) / FRAME_S lags.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reviewer_app.core import intervals
from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.domain import ChannelSignal
from reviewer_app.core.detect.rules.common import EPS, make_segment, ramp
from reviewer_app.core.domain import Segment
from reviewer_app.core.settings import Settings

CATEGORY = "repetition"
FRAME_S = 0.02  # band frames are averaged to this hop before comparing
MIN_ACTIVE = 0.6  # share of a block that must be the channel's own speech
MIN_STD_DB = 3.0  # a block whose bands vary less than this (after removing their means) is steady sound
COARSE_SLACK = 0.15  # the coarse search keeps candidates this far below the threshold for refining
FINE_SEARCH_S = 0.03  # the refinement tries lags this far either side of the coarse one
EDGE_DB = 8.0  # a frame within this band distance (RMS dB) of its replay frame is inside the loop
EDGE_RUN = 4  # frames in a row that mark the loop's first and last matching stretch
MIN_MATCHED = 0.8  # share of the trimmed piece's frames that must match their replay frame (EDGE_DB)
MIN_TRIMMED = 0.8  # the trimmed piece must still last this share of looped_audio_min_s
MAX_PITCH_GAP_ST = 0.5  # a replay repeats the pitch contour: median gap in semitones at most this
COARSE_PITCH_FACTOR = 2.0  # coarse candidates (lag within a frame) may differ in pitch this many times more
MIN_VOICED_FRAMES = 10  # frames voiced in both piece and replay needed to compare pitch
MIN_VOICED_SHARE = 0.3  # ... and at least this share of the piece
SAME_VOICING = 0.7  # frames voiced in both over frames voiced in either: a replay keeps its voicing


@dataclass(frozen=True)
class Loop:
    start: float  # the piece: [start, end)
    end: float
    lag: float  # the replay starts `lag` seconds after the piece
    r: float
    matched: float = 1.0  # share of the piece's frames within EDGE_DB of their replay frame

    @property
    def replay_end(self) -> float:
        return self.end + self.lag


def detect(ctx: CallContext, settings: Settings) -> list[Segment]:
    rules = settings.rules
    out = []
    for ch in ctx.channels:
        if ch.bands_db is None:
            continue
        for loop in find_loops(ch, rules.looped_audio_min_s, rules.looped_audio_max_lag_s, rules.looped_audio_min_r):
            score = ramp(loop.r, rules.looped_audio_min_r, 1.0)
            evidence = (f"audio from {loop.start:.1f}-{loop.end:.1f} s repeats at {loop.start + loop.lag:.1f} s "
                        f"(r={loop.r:.2f})")
            out.append(make_segment(loop.start, loop.replay_end, ctx.speaker_role(ch.role), CATEGORY, score,
                                    evidence))
    return out


def find_loops(ch: ChannelSignal, min_s: float, max_lag_s: float, min_r: float) -> list[Loop]:
    """Pieces of at least `min_s` replayed within `max_lag_s` with correlation >= `min_r`.

    A coarse scan of every lag on FRAME_S frames (bands averaged in pairs) keeps candidates down to
    COARSE_SLACK below `min_r`; each is then scanned again on the full-rate
    frames at lags within FINE_SEARCH_S of its own (a replay need not start
    on a coarse frame boundary) and kept where it reaches `min_r` there.
    """
    coarse_feats, coarse_active = _frames(ch, FRAME_S)
    if coarse_feats.shape[1] % 2 == 0:  # neighbouring bands averaged: half the cost, enough to find candidates
        coarse_feats = coarse_feats.reshape(coarse_feats.shape[0], -1, 2).mean(axis=2)
    coarse_feats = coarse_feats.astype(np.float32)
    coarse_lags = range(max(2, int(round(min_s / FRAME_S))), int(round(max_lag_s / FRAME_S)) + 1)
    coarse = _scan(coarse_feats, coarse_active, FRAME_S, min_s, coarse_lags, min_r - COARSE_SLACK)
    if not coarse:
        return []
    feats, active = _frames(ch, ch.hop_s)
    reach = int(round(FINE_SEARCH_S / ch.hop_s))
    found = []
    # A replay keeps its pitch even at the coarse lag (within a frame of the true one): natural
    # look-alikes, by far the most coarse candidates, are dropped here before any fine scan.
    coarse = [c for c in coarse if _same_pitch(ch, c, COARSE_PITCH_FACTOR * MAX_PITCH_GAP_ST, voicing=False)]
    for c in _distinct(coarse):
        lo = max(0, int(round((c.start - FINE_SEARCH_S) / ch.hop_s)) - 1)
        hi = min(feats.shape[0], int(round((c.replay_end + FINE_SEARCH_S) / ch.hop_s)) + 1)
        centre = int(round(c.lag / ch.hop_s))
        lags = range(max(1, centre - reach), centre + reach + 1)
        for f in _scan(feats[lo:hi], active[lo:hi], ch.hop_s, min_s, lags, min_r):
            loop = _trim(Loop(f.start + lo * ch.hop_s, f.end + lo * ch.hop_s, f.lag, f.r), feats, ch.hop_s)
            if loop.end - loop.start >= MIN_TRIMMED * min_s and loop.matched >= MIN_MATCHED and _same_pitch(ch, loop):
                found.append(loop)
    return _strongest(found)


def _trim(loop: Loop, feats: np.ndarray, hop_s: float) -> Loop:
    """The piece narrowed to where its frames match the replay's frame by frame.

    A block reaching past the piece still correlates while most of it is
    inside, so a run of matching blocks overshoots; the band distance of each
    frame to its replay frame (RMS over bands, dB) is ~0 inside a replay and
    tens of dB outside. The piece keeps the frames from the first to the last
    run of EDGE_RUN frames within EDGE_DB.
    """
    lo, hi = int(round(loop.start / hop_s)), int(round(loop.end / hop_s))
    lag = int(round(loop.lag / hop_s))
    hi = min(hi, feats.shape[0] - lag)
    if hi - lo < EDGE_RUN:
        return loop
    dist = np.sqrt(np.mean((feats[lo:hi] - feats[lo + lag:hi + lag]) ** 2, axis=1))
    close = np.convolve((dist <= EDGE_DB).astype(np.int32), np.ones(EDGE_RUN, np.int32), mode="valid") == EDGE_RUN
    runs = np.flatnonzero(close)
    if runs.size == 0:
        return loop
    first, last = runs[0], runs[-1] + EDGE_RUN
    matched = float(np.mean(dist[first:last] <= EDGE_DB))
    return Loop((lo + first) * hop_s, (lo + last) * hop_s, loop.lag, loop.r, matched)


def _same_pitch(ch: ChannelSignal, loop: Loop, max_gap_st: float = MAX_PITCH_GAP_ST, voicing: bool = True) -> bool:
    """True when the piece and its replay have the same pitch contour (median gap <= `max_gap_st`);
    with `voicing`, also voiced in the same places over enough of the piece."""
    lo, hi = int(round(loop.start / ch.hop_s)), int(round(loop.end / ch.hop_s))
    lag = int(round(loop.lag / ch.hop_s))
    first = np.asarray(ch.pitch_hz[lo:hi], dtype=np.float64)
    second = np.asarray(ch.pitch_hz[lo + lag:hi + lag], dtype=np.float64)
    n = min(first.size, second.size)
    first, second = first[:n], second[:n]
    voiced = (first > 0) & (second > 0)
    either = np.count_nonzero((first > 0) | (second > 0))
    both = np.count_nonzero(voiced)
    if both < MIN_VOICED_FRAMES or voicing and (both < MIN_VOICED_SHARE * n or both < SAME_VOICING * either):
        return False  # too little voicing to compare, or voiced in different places
    gap = 12.0 * np.abs(np.log2(first[voiced] / second[voiced]))
    return float(np.median(gap)) <= max_gap_st


def _scan(feats: np.ndarray, active: np.ndarray, hop_s: float, min_s: float, lags: range,
          min_r: float) -> list[Loop]:
    """Runs of blocks of `min_s` whose correlation with the block `lag` frames later reaches `min_r`."""
    n = feats.shape[0]
    width = max(2, int(round(min_s / hop_s)))
    n_blocks = n - width + 1
    if n_blocks < 2:
        return []
    # Per block: band means (n_blocks, bands), centred sum of squares, share of own speech.
    csum = _cumsum0(feats)
    means = (csum[width:] - csum[:-width]) / width
    sq = _cumsum0(np.sum(feats ** 2, axis=1))
    centred = (sq[width:] - sq[:-width]) - width * np.sum(means ** 2, axis=1)
    speech = _cumsum0(active.astype(np.float64))
    usable = ((speech[width:] - speech[:-width]) >= MIN_ACTIVE * width) & (
        centred >= width * feats.shape[1] * MIN_STD_DB ** 2)
    out: list[Loop] = []
    for lag in lags:
        m = n_blocks - lag  # blocks i with i + lag also a block
        if m <= 0:
            break
        ok = usable[:m] & usable[lag:lag + m]
        if not ok.any():
            continue
        prod = _cumsum0(np.einsum("ij,ij->i", feats[:n - lag], feats[lag:]))
        cross = (prod[width:width + m] - prod[:m]) - width * np.einsum("ij,ij->i", means[:m], means[lag:lag + m])
        r = cross / np.sqrt(np.maximum(centred[:m] * centred[lag:lag + m], 1e-12))
        hits = ok & (r >= min_r)
        if hits.any():
            out += _runs(hits, r, lag, width, hop_s)
    return out


def _frames(ch: ChannelSignal, hop_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Band energies averaged to `hop_s` frames (float64) and whether each frame is own speech."""
    bands = np.asarray(ch.bands_db, dtype=np.float64)
    step = max(1, int(round(hop_s / ch.hop_s)))
    n = bands.shape[0] // step
    feats = bands[: n * step].reshape(n, step, -1).mean(axis=1)
    mask = intervals.to_mask(ch.activity, n * step, ch.hop_s)
    active = mask[: n * step].reshape(n, step).any(axis=1)
    return feats, active


def _cumsum0(values: np.ndarray) -> np.ndarray:
    """Cumulative sum along the first axis with a leading zero row."""
    c = np.cumsum(values, axis=0, dtype=np.float64)
    return np.concatenate([np.zeros((1,) + c.shape[1:]), c])


def _runs(hits: np.ndarray, r: np.ndarray, lag: int, width: int, hop_s: float) -> list[Loop]:
    """One Loop per run of matching blocks: the piece from the first block to the end of the last."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], hits.astype(np.int8), [0]])))
    return [Loop(lo * hop_s, (hi - 1 + width) * hop_s, lag * hop_s, float(r[lo:hi].max()))
            for lo, hi in zip(edges[0::2], edges[1::2])]


def _distinct(candidates: list[Loop]) -> list[Loop]:
    """Candidates less those repeating a stronger one (overlapping piece, lag within FINE_SEARCH_S)."""
    chosen: list[Loop] = []
    for c in sorted(candidates, key=lambda c: -c.r):
        if not any(abs(c.lag - k.lag) <= FINE_SEARCH_S + EPS and c.start < k.end and k.start < c.end
                   for k in chosen):
            chosen.append(c)
    return chosen


def _strongest(candidates: list[Loop]) -> list[Loop]:
    """Overlapping candidates (piece and replay spans) as one: the longest piece, then the highest r."""
    chosen: list[Loop] = []
    for c in sorted(candidates, key=lambda c: (-(c.end - c.start), -c.r, c.lag)):
        if all(c.replay_end <= k.start + EPS or c.start >= k.replay_end - EPS for k in chosen):
            chosen.append(c)
    return sorted(chosen, key=lambda c: c.start)
