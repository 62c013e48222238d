"""The call score: 100 minus capped per-category deductions."""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from reviewer_app.core.domain import CATEGORIES, CallScore, Segment
from reviewer_app.core.settings import ScoreSettings


def _round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5 + 1e-9))


def grade(value: int, settings: ScoreSettings) -> str:
    if value >= settings.high_min:
        return "high"
    if value >= settings.medium_min:
        return "medium"
    return "low"


def score_call(segments: Iterable[Segment], settings: ScoreSettings) -> CallScore:
    """Each segment takes off its category's weight times its score; a category
    takes off at most `max_per_category`. Each category's deduction is rounded
    (half up) to whole points, and the score is 100 minus their sum, clipped to
    0..100, so the shown deductions always add up to the points lost.
    Categories without a weight deduct nothing.
    """
    raw: dict[str, float] = defaultdict(float)
    for seg in segments:
        raw[seg.category] += settings.weights.get(seg.category, 0.0) * seg.score
    deductions = {}
    order = {c: i for i, c in enumerate(CATEGORIES)}
    for category, points in sorted(raw.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])):
        rounded = _round_half_up(min(points, settings.max_per_category))
        if rounded > 0:
            deductions[category] = rounded
    value = max(0, min(100, 100 - sum(deductions.values())))
    return CallScore(value=value, grade=grade(value, settings), deductions=deductions)
