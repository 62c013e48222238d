"""negative_emotion: a baseline until a learned model takes over.

Arousal, per speaker channel: over the channel's active frames, loudness is
`energy_db` and pitch is `pitch_hz` in semitones (voiced frames only). Each
is turned into a z-score against that speaker's own median and MAD (scaled
by 1.4826, floored at 1 dB and 1 semitone so a very steady voice does not
divide by zero), then averaged over `rules.emotion_smooth_s`. Frames where
both smoothed z-scores exceed `rules.emotion_loudness_z` and
`rules.emotion_pitch_z` are aroused; runs joined across gaps under
`rules.emotion_join_s` are trimmed to their first and last frame that is
aroused before smoothing too (smoothing only bridges unvoiced gaps and
quiets lone spikes, it does not widen a stretch), and kept when lasting
`rules.emotion_min_s`. A speaker needs 5 s of voiced speech for a baseline.

Lexicon: `lexicon.negative` matches in the same speaker's words.

Scoring: arousal with a lexicon hit within `rules.emotion_lexicon_near_s` of
it: 0.9 (the segment also covers the matched words); arousal alone: 0.6;
a lexicon hit alone: 0.5 (the segment spans the matched words).
"""
from __future__ import annotations

import numpy as np

from reviewer_app.core import intervals
from reviewer_app.core.detect.context import CallContext, ChannelSignal
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


def _robust_z(values: np.ndarray, valid: np.ndarray, floor: float) -> np.ndarray:
    ref = values[valid]
    med = float(np.median(ref))
    spread = max(MAD_SCALE * float(np.median(np.abs(ref - med))), floor)
    return (values - med) / spread


def aroused(ch: ChannelSignal, rules: RuleSettings) -> list[Interval]:
    """Stretches where this speaker is louder and higher-pitched than usual."""
    energy = np.asarray(ch.energy_db, dtype=float)
    pitch = np.asarray(ch.pitch_hz, dtype=float)
    n, hop = len(energy), ch.hop_s
    active = intervals.to_mask(intervals.merge(ch.activity), n, hop)
    voiced = active & (pitch > 0)
    if voiced.sum() * hop < MIN_BASELINE_S:
        return []
    semitones = 12 * np.log2(np.where(pitch > 0, pitch, 1.0) / 100.0)
    z_loud_raw = _robust_z(energy, active, MIN_SPREAD_DB)
    z_pitch_raw = _robust_z(semitones, voiced, MIN_SPREAD_ST)
    width = frames(rules.emotion_smooth_s, hop)
    z_loud = moving_mean(z_loud_raw, active, width)
    z_pitch = moving_mean(z_pitch_raw, voiced, width)
    with np.errstate(invalid="ignore"):
        raw = voiced & (z_loud_raw > rules.emotion_loudness_z) & (z_pitch_raw > rules.emotion_pitch_z)
        mask = active & (z_loud > rules.emotion_loudness_z) & (z_pitch > rules.emotion_pitch_z)
    runs = []
    for start, end in intervals.merge(intervals.from_mask(mask, hop), gap=rules.emotion_join_s):
        idx = np.flatnonzero(raw[int(round(start / hop)):int(round(end / hop))])
        if idx.size:  # trim the smoothing's spill-over back to frames aroused on their own
            base = int(round(start / hop))
            runs.append(((base + idx[0]) * hop, (base + idx[-1] + 1) * hop))
    return intervals.drop_shorter_than(runs, rules.emotion_min_s - EPS)


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
        for start, end in (aroused(ch, rules) if ch is not None else []):
            length = end - start
            close = [k for k, h in enumerate(hits) if h.end >= start - near and h.start <= end + near]
            if close:
                used.update(close)
                phrases = ", ".join(f"'{p}'" for p in dict.fromkeys(hits[k].phrase for k in close))
                seg_start = min([start] + [hits[k].start for k in close])
                seg_end = max([end] + [hits[k].end for k in close])
                evidence = f"loud and high-pitched for {length:.1f} s (lexicon: {phrases})"
                out.append(make_segment(seg_start, seg_end, role_out, CATEGORY, SCORE_BOTH, evidence))
            else:
                out.append(make_segment(start, end, role_out, CATEGORY, SCORE_AROUSAL,
                                        f"loud and high-pitched for {length:.1f} s"))
        for k, hit in enumerate(hits):
            if k not in used:
                out.append(make_segment(hit.start, hit.end, role_out, CATEGORY, SCORE_LEXICON,
                                        f"lexicon: '{hit.phrase}'"))
    return sorted(out, key=lambda s: (s.start, s.end, s.role))
