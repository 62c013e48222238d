"""Runs every problem rule on one call."""
from __future__ import annotations

from collections.abc import Callable

from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules import (
    closing,
    dead_air,
    fast_speech,
    forbidden_phrase,
    greeting,
    negative_emotion,
    overtalk,
    poor_audio,
    repetition,
)
from reviewer_app.core.domain import Segment
from reviewer_app.core.settings import Settings

Rule = Callable[[CallContext, Settings], list[Segment]]

# Rule name (= the category it produces) -> detect function, in CATEGORIES order.
RULES: dict[str, Rule] = {
    "dead_air": dead_air.detect,
    "overtalk": overtalk.detect,
    "fast_speech": fast_speech.detect,
    "forbidden_phrase": forbidden_phrase.detect,
    "missing_greeting": greeting.detect,
    "missing_closing": closing.detect,
    "poor_audio": poor_audio.detect,
    "repetition": repetition.detect,
    "negative_emotion": negative_emotion.detect,
}


def detect_problems(ctx: CallContext, settings: Settings) -> list[Segment]:
    """All rules' segments, sorted by (start, category)."""
    segments = [seg for rule in RULES.values() for seg in rule(ctx, settings)]
    return sorted(segments, key=lambda s: (s.start, s.category))
