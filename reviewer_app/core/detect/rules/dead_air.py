"""dead_air: nobody speaks for at least `rules.dead_air_min_s`.

Speech is the union of every channel's activity and every word's span (a word
counts as speech even where the voice-activity detector missed it). Hold music
and comfort noise are not speech: the activity detector (Silero VAD, then the
crosstalk check) and the ASR word filter keep them out, so a 3-15 s hold in the
middle of a call is dead air.

Silence before the first and after the last speech is not dead air by default:
a recording often starts before the line connects and stops a while after the
goodbye. `rules.dead_air_count_edges = 1` counts it, and its evidence says
so. A call with no speech at all is one stretch of dead air either way. Score
0.75 at the threshold, rising to 1.0 at twice the threshold.
"""
from __future__ import annotations

from reviewer_app.core import intervals
from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules.common import EPS, make_segment, ramp
from reviewer_app.core.domain import BOTH, Interval, Segment
from reviewer_app.core.settings import Settings

CATEGORY = "dead_air"


def speech_intervals(ctx: CallContext) -> list[Interval]:
    """Where anyone speaks: all channels' activity plus all words."""
    spans: list[Interval] = [iv for ch in ctx.channels for iv in ch.activity]
    spans += [(w.start, w.end) for t in ctx.turns for w in t.words]
    return intervals.merge(spans)


def detect(ctx: CallContext, settings: Settings) -> list[Segment]:
    min_s = settings.rules.dead_air_min_s
    count_edges = bool(settings.rules.dead_air_count_edges)
    speech = speech_intervals(ctx)
    out = []
    for start, end in intervals.complement(speech, 0.0, ctx.duration_s):
        length = end - start
        if length < min_s - EPS:
            continue
        if not speech:
            where = " (no speech in the call)"
        elif end <= speech[0][0]:
            where = " before anyone speaks"
        elif start >= speech[-1][1]:
            where = " after the last speech"
        else:
            where = ""
        if speech and where and not count_edges:
            continue  # the line connecting or hanging up, not a silence inside the call
        score = ramp(length, min_s, 2 * min_s) * 0.5 + 0.5  # 0.75 at threshold, 1.0 at 2x
        out.append(make_segment(start, end, BOTH, CATEGORY, score, f"silence {length:.1f} s{where}"))
    return out
