"""fast_speech: the agent talks faster than `rules.fast_speech_wpm` words per minute.

Chinese (language "zh"/"yue", or text mostly CJK) is measured in CJK characters
per minute against `rules.fast_speech_cpm`; a Latin word inside Chinese speech
counts as one character.

Definition of the rate. A window starts at each agent word and holds the
words whose midpoint lies within `rules.fast_speech_window_s` of that word's
midpoint. Its rate is units (words or characters) divided by its speaking
time: the span from the first word's start to the last word's end, where
every gap between consecutive words counts at most
`rules.fast_speech_max_pause_s` (so a customer turn or a hold inside the
window does not dilute the rate, while ordinary pauses do count). A window
needs at least `rules.fast_speech_min_words` units. Windows faster than the
limit are merged into one segment when they overlap. A window that starts
or ends in slower speech would stretch the segment into it, so the merged
segment then sheds edge words while doing so raises its overall rate (an edge
word more than 5% slower than the segment's average goes). The evidence gives
the fastest window. Score 0.5 just above the limit, 1.0 at 1.5 times the limit.
"""
from __future__ import annotations

import math

from reviewer_app.core import intervals
from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules.common import make_segment, ramp
from reviewer_app.core.detect.text import cjk_count, is_chinese, normalize
from reviewer_app.core.domain import AGENT, Interval, Segment, Word
from reviewer_app.core.settings import Settings

CATEGORY = "fast_speech"
TRIM_TOLERANCE = 0.05  # an edge word is shed only if over 5% slower than the segment's average


def _units(word: Word, chinese: bool) -> int:
    norm = normalize(word.word)
    if not norm:
        return 0
    if chinese:
        return cjk_count(norm) or 1
    return len(norm.split())


def windows(words: list[Word], units: list[int], window_s: float, max_pause_s: float,
            min_units: int) -> list[tuple[Interval, float, int, float]]:
    """Every eligible window as ((start, end), rate per minute, units, speaking time)."""
    n = len(words)
    mids = [(w.start + w.end) / 2 for w in words]
    # Speaking time up to each word's end, with long gaps capped: prefix sums.
    credited = [0.0] * n  # credited time from words[0].start to words[k].end
    for k, w in enumerate(words):
        if k == 0:
            credited[k] = w.end - w.start
        else:
            gap = max(0.0, w.start - words[k - 1].end)
            credited[k] = credited[k - 1] + min(gap, max_pause_s) + (w.end - w.start)
    unit_sum = [0] * (n + 1)
    for k, u in enumerate(units):
        unit_sum[k + 1] = unit_sum[k] + u
    out = []
    j = 0
    for i in range(n):
        j = max(j, i)
        while j + 1 < n and mids[j + 1] < mids[i] + window_s:
            j += 1
        count = unit_sum[j + 1] - unit_sum[i]
        before = credited[i] - (words[i].end - words[i].start)  # credited time before words[i].start
        speaking = credited[j] - before
        if count < min_units or speaking <= 0:
            continue
        out.append(((words[i].start, words[j].end), 60.0 * count / speaking, count, speaking))
    return out


def trim(words: list[Word], units: list[int], max_pause_s: float) -> tuple[int, int]:
    """First and last index to keep: edge words slower than the average are dropped."""
    def gap(k: int) -> float:  # credited gap between words[k] and words[k + 1]
        return min(max(0.0, words[k + 1].start - words[k].end), max_pause_s)

    lo, hi = 0, len(words) - 1
    total_units = sum(units)
    total_time = words[hi].end - words[lo].start - sum(
        max(0.0, words[k + 1].start - words[k].end) - gap(k) for k in range(len(words) - 1))
    while hi > lo and total_time > 0:
        first_t = words[lo].end - words[lo].start + gap(lo)
        last_t = words[hi].end - words[hi].start + gap(hi - 1)
        first_rate = units[lo] / first_t if first_t > 0 else math.inf
        last_rate = units[hi] / last_t if last_t > 0 else math.inf
        slow_enough = (1 - TRIM_TOLERANCE) * total_units / total_time
        if min(first_rate, last_rate) >= slow_enough:
            break
        if first_rate <= last_rate:
            total_units, total_time, lo = total_units - units[lo], total_time - first_t, lo + 1
        else:
            total_units, total_time, hi = total_units - units[hi], total_time - last_t, hi - 1
    return lo, hi


def detect(ctx: CallContext, settings: Settings) -> list[Segment]:
    rules = settings.rules
    words = sorted(ctx.words_of(AGENT), key=lambda w: (w.start, w.end))
    chinese = is_chinese(ctx.language, words)
    units = [_units(w, chinese) for w in words]
    keep = [k for k, u in enumerate(units) if u > 0]
    words, units = [words[k] for k in keep], [units[k] for k in keep]
    limit = rules.fast_speech_cpm if chinese else rules.fast_speech_wpm
    unit_name = "characters/min" if chinese else "words/min"
    flagged = [w for w in windows(words, units, rules.fast_speech_window_s, rules.fast_speech_max_pause_s,
                                  rules.fast_speech_min_words) if w[1] > limit]
    role = ctx.speaker_role(AGENT)
    out = []
    for start, end in intervals.merge(span for span, *_ in flagged):
        inside = [w for w in flagged if start <= w[0][0] and w[0][1] <= end]
        _, rate, _, speaking = max(inside, key=lambda w: w[1])
        idx = [k for k, w in enumerate(words) if start <= w.start and w.end <= end]
        lo, hi = trim([words[k] for k in idx], [units[k] for k in idx], rules.fast_speech_max_pause_s)
        start, end = words[idx[lo]].start, words[idx[hi]].end
        out.append(make_segment(start, end, role, CATEGORY, ramp(rate, limit, 1.5 * limit),
                                f"{rate:.0f} {unit_name} over {speaking:.1f} s"))
    return out
