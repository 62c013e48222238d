"""overtalk: both sides speak at once for at least `rules.overtalk_min_s`.

Uses each channel's `activity`, from which the pipeline already removed
crosstalk leakage. Overlaps separated by less than `rules.overtalk_join_gap_s`
are joined into one. A mono call cannot tell speakers apart: no segments.
Score 0.5 at the threshold, rising to 1.0 at four times the threshold.
"""
from __future__ import annotations

from itertools import combinations

from reviewer_app.core import intervals
from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules.common import EPS, make_segment, ramp
from reviewer_app.core.domain import BOTH, Interval, Segment
from reviewer_app.core.settings import Settings

CATEGORY = "overtalk"


def detect(ctx: CallContext, settings: Settings) -> list[Segment]:
    if ctx.is_mono or len(ctx.channels) < 2:
        return []
    rules = settings.rules
    overlaps: list[Interval] = []
    for a, b in combinations(ctx.channels, 2):
        overlaps += intervals.intersect(intervals.merge(a.activity), intervals.merge(b.activity))
    # merge() joins gaps <= its argument; the join is for gaps strictly below the setting.
    joined = intervals.merge(overlaps, gap=max(0.0, rules.overtalk_join_gap_s - EPS))
    out = []
    for start, end in joined:
        length = end - start
        if length < rules.overtalk_min_s - EPS:
            continue
        score = ramp(length, rules.overtalk_min_s, 4 * rules.overtalk_min_s)
        out.append(make_segment(start, end, BOTH, CATEGORY, score, f"both speaking for {length:.1f} s"))
    return out
