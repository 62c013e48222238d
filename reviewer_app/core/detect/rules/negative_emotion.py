"""negative_emotion: a baseline until a learned model takes over.

Arousal, per speaker channel, judged against that speaker's own voice in the
call (a loud or high-voiced speaker is not angry; a speaker who becomes much
higher and more strained than their own normal is):

- pitch: `pitch_hz` in semitones on voiced frames;
- vocal effort: the spectral tilt, mean level of the upper coarse mel bands
  (about 1-3.8 kHz) minus that of the lower ones (`bands_db`, audio/bands.py).
  Raised effort moves energy up the spectrum; unlike loudness it survives the
  automatic gain control of phone lines and per-file normalisation (acted
  anger in EmoDB is *quieter* than the same speaker's neutral clips after
  normalisation, while 7-12 semitones higher).

Each is a z-score against the speaker's own median and MAD over the call
(scaled by 1.4826, floored at 1 semitone / 1 dB), averaged over
`rules.emotion_smooth_s`. Frames whose mean of the two z-scores exceeds
`rules.emotion_arousal_z` are aroused (pitch alone where the bands were not
measured); runs joined across gaps under `rules.emotion_join_s` are kept
when lasting `rules.emotion_min_s`. A speaker needs 5 s of voiced speech for
a baseline. Loudness (`energy_db` z above `rules.emotion_loudness_z`) is
reported in the evidence when it comes along, and is not required.

Lexicon: `lexicon.negative` matches in the same speaker's words.

Scoring: arousal with a lexicon hit within `rules.emotion_lexicon_near_s` of
it: 0.9 (the segment also covers the matched words); arousal alone: 0.6;
a lexicon hit alone: 0.5 (the segment spans the matched words).
"""
from __future__ import annotations

import numpy as np

from reviewer_app.core import intervals
from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.domain import ChannelSignal
from reviewer_app.core.detect.rules.common import EPS, frames, make_segment, moving_mean
from reviewer_app.core.detect.rules.forbidden_phrase import drop_contained, speaker_roles
from reviewer_app.core.detect.text import find_phrases
from reviewer_app.core.domain import Interval, Segment
from reviewer_app.core.settings import RuleSettings, Settings

CATEGORY = "negative_emotion"
SCORE_BOTH, SCORE_AROUSAL, SCORE_LEXICON = 0.9, 0.6, 0.5
MIN_BASELINE_S = 5.0
MAD_SCALE = 1.4826
MIN_SPREAD_DB, MIN_SPREAD_ST = 1.0, 1.0
EFFORT_SPLIT = 0.4  # the lowest 40% of the coarse mel bands lie below about 1 kHz


def _robust_z(values: np.ndarray, valid: np.ndarray, floor: float) -> np.ndarray:
    ref = values[valid]
    med = float(np.median(ref))
    spread = max(MAD_SCALE * float(np.median(np.abs(ref - med))), floor)
    return (values - med) / spread


def _effort_db(bands_db: np.ndarray) -> np.ndarray:
    """Spectral tilt per frame: upper bands' mean level minus the lower bands' (dB)."""
    split = int(round(EFFORT_SPLIT * bands_db.shape[1]))
    return bands_db[:, split:].mean(axis=1) - bands_db[:, :split].mean(axis=1)


def _combined(z_pitch: np.ndarray, z_effort: np.ndarray | None) -> np.ndarray:
    """Mean of the pitch and effort z-scores (pitch alone without effort); NaN where pitch is."""
    if z_effort is None:
        return z_pitch
    return np.where(np.isnan(z_pitch), np.nan, (z_pitch + z_effort) / 2)


def arousal_z(ch: ChannelSignal, rules: RuleSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Per frame: (raw arousal z, smoothed arousal z, smoothed loudness z); None without a baseline.

    Raw z-scores are NaN on frames that are not voiced speech.
    """
    energy = np.asarray(ch.energy_db, dtype=float)
    pitch = np.asarray(ch.pitch_hz, dtype=float)
    n, hop = len(energy), ch.hop_s
    active = intervals.to_mask(intervals.merge(ch.activity), n, hop)
    voiced = active & (pitch > 0)
    if voiced.sum() * hop < MIN_BASELINE_S:
        return None
    width = frames(rules.emotion_smooth_s, hop)
    semitones = 12 * np.log2(np.where(pitch > 0, pitch, 1.0) / 100.0)
    z_pitch = _robust_z(semitones, voiced, MIN_SPREAD_ST)
    z_effort = None
    if ch.bands_db is not None and len(ch.bands_db) >= n:
        z_effort = _robust_z(_effort_db(np.asarray(ch.bands_db[:n], dtype=float)), active, MIN_SPREAD_DB)
    raw = np.where(voiced, _combined(z_pitch, z_effort), np.nan)
    smooth = _combined(moving_mean(z_pitch, voiced, width),
                       None if z_effort is None else moving_mean(z_effort, active, width))
    smooth = np.where(active, smooth, np.nan)
    z_loud = moving_mean(_robust_z(energy, active, MIN_SPREAD_DB), active, width)
    return raw, smooth, z_loud


def aroused(ch: ChannelSignal, rules: RuleSettings) -> list[tuple[Interval, bool]]:
    """Stretches where this speaker is higher and more strained than usual, each with 'also louder'.

    Smoothing bridges unvoiced gaps and quiets lone spikes; each run is then trimmed
    back to its first and last frame aroused before smoothing, so it is not widened.
    """
    measured = arousal_z(ch, rules)
    if measured is None:
        return []
    raw, smooth, z_loud = measured
    hop, limit = ch.hop_s, rules.emotion_arousal_z
    with np.errstate(invalid="ignore"):
        mask, raw_mask = smooth > limit, raw > limit
    runs = []
    for start, end in intervals.merge(intervals.from_mask(mask, hop), gap=rules.emotion_join_s):
        lo = int(round(start / hop))
        idx = np.flatnonzero(raw_mask[lo:int(round(end / hop))])
        if idx.size:
            runs.append(((lo + idx[0]) * hop, (lo + idx[-1] + 1) * hop))
    out = []
    for start, end in intervals.drop_shorter_than(runs, rules.emotion_min_s - EPS):
        loud = z_loud[int(round(start / hop)):int(round(end / hop))]
        louder = bool(loud.size and np.nanmedian(loud) > rules.emotion_loudness_z)
        out.append(((start, end), louder))
    return out


def detect(ctx: CallContext, settings: Settings) -> list[Segment]:
    rules = settings.rules
    near = rules.emotion_lexicon_near_s
    out = []
    for role in speaker_roles(ctx):
        role_out = ctx.speaker_role(role)
        ch = ctx.channel(role)
        words = sorted(ctx.words_of(role), key=lambda w: (w.start, w.end))
        hits = drop_contained(find_phrases(words, settings.lexicon.negative))
        used: set[int] = set()
        for (start, end), louder in (aroused(ch, rules) if ch is not None else []):
            length = end - start
            what = f"raised pitch and vocal effort{' and louder' if louder else ''} for {length:.1f} s"
            close = [k for k, h in enumerate(hits) if h.end >= start - near and h.start <= end + near]
            if close:
                used.update(close)
                phrases = ", ".join(f"'{p}'" for p in dict.fromkeys(hits[k].phrase for k in close))
                seg_start = min([start] + [hits[k].start for k in close])
                seg_end = max([end] + [hits[k].end for k in close])
                evidence = f"{what} (lexicon: {phrases})"
                out.append(make_segment(seg_start, seg_end, role_out, CATEGORY, SCORE_BOTH, evidence))
            else:
                out.append(make_segment(start, end, role_out, CATEGORY, SCORE_AROUSAL, what))
        for k, hit in enumerate(hits):
            if k not in used:
                out.append(make_segment(hit.start, hit.end, role_out, CATEGORY, SCORE_LEXICON,
                                        f"lexicon: '{hit.phrase}'"))
    return sorted(out, key=lambda s: (s.start, s.end, s.role))
