"""Runs every problem rule on one call.

A category may have more than one rule (repetition: the words said again,
and the same audio played again). Their segments of the same category and
role that overlap are reported once, with the stronger one's evidence.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules import (
    closing,
    dead_air,
    fast_speech,
    forbidden_phrase,
    greeting,
    looped_audio,
    negative_emotion,
    overtalk,
    poor_audio,
    repetition,
)
from reviewer_app.core.domain import Segment
from reviewer_app.core.settings import Settings

Rule = Callable[[CallContext, Settings], list[Segment]]

# Category -> the rules producing it, in CATEGORIES order.
RULES: dict[str, tuple[Rule, ...]] = {
    "dead_air": (dead_air.detect,),
    "overtalk": (overtalk.detect,),
    "fast_speech": (fast_speech.detect,),
    "forbidden_phrase": (forbidden_phrase.detect,),
    "missing_greeting": (greeting.detect,),
    "missing_closing": (closing.detect,),
    "poor_audio": (poor_audio.detect,),
    "repetition": (repetition.detect, looped_audio.detect),
    "negative_emotion": (negative_emotion.detect,),
}


def detect_problems(ctx: CallContext, settings: Settings) -> list[Segment]:
    """All rules' segments, sorted by (start, category)."""
    segments = []
    for rules in RULES.values():
        found = [seg for rule in rules for seg in rule(ctx, settings)]
        segments += merge_overlapping(found) if len(rules) > 1 else found
    return sorted(segments, key=lambda s: (s.start, s.category))


def merge_overlapping(segments: list[Segment]) -> list[Segment]:
    """Segments of one category and role that overlap as one span, with the highest-scored one's evidence."""
    out: list[Segment] = []
    for seg in sorted(segments, key=lambda s: (s.category, s.role, s.start, s.end)):
        last = out[-1] if out else None
        if last is not None and (last.category, last.role) == (seg.category, seg.role) and seg.start < last.end:
            best = seg if seg.score > last.score else last
            out[-1] = replace(best, start=last.start, end=max(last.end, seg.end))
        else:
            out.append(seg)
    return out
