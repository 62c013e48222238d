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
segment then sheds edge words while doing so raises its overall rate in
syllables (an edge word more than 5% slower than the segment's average goes). The evidence gives
the fastest window. Score 0.5 just above the limit, 1.0 at 1.5 times the limit.

Syllable rate (issue 9). Whisper drops words in fast speech and a word count
depends on how long the words are, so speech is also measured in syllables
(English: the vowel sounds of each word, detect/phonetic.py; Chinese:
characters) over short windows: from each word, the fewest words holding
`rules.fast_speech_syllables` syllables, rated per second of speaking time
(pauses capped as above). The speaker's usual rate is the time-weighted
median of these windows (taken again without the windows overlapping fast
ones, so a long fast stretch does not raise it), trusted once the speaker has
`rules.fast_speech_baseline_min_s` of speech. A window is fast when it is
`rules.fast_speech_relative` times the usual rate and over the words/min
limit in syllables (`rules.fast_speech_wpm` at 1.4 syllables a word; for
Chinese `rules.fast_speech_cpm`): a stretch sped up against the rest of the
call, measured over a few seconds so slower speech around it does not dilute
it and in syllables so the words Whisper drops in fast speech matter less. It
is also fast above `rules.fast_speech_syllables_per_s` whatever the usual
rate (English). These windows are merged and trimmed with
the others. Score 0.5 at the relative limit, 1.0 at 1.5 times it (or the same
ramp on the absolute syllable limit); the evidence names the fastest window
against its limit.
"""
from __future__ import annotations

import math

import statistics

from reviewer_app.core import intervals
from reviewer_app.core.detect import phonetic
from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules.common import make_segment, ramp
from reviewer_app.core.detect.text import cjk_count, is_chinese, normalize
from reviewer_app.core.domain import AGENT, Interval, Segment, Word
from reviewer_app.core.settings import Settings

CATEGORY = "fast_speech"
TRIM_TOLERANCE = 0.05  # an edge word is shed only if over 5% slower than the segment's average
SYLLABLES_PER_WORD = 1.4  # of ordinary English speech: turns the words/min limit into syllables/s


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


def syllable_units(word: Word, chinese: bool) -> int:
    """Syllables of a word (CJK characters for Chinese; a Latin word in Chinese counts its syllables)."""
    norm = normalize(word.word)
    if not norm:
        return 0
    cjk = cjk_count(norm)
    latin = [t for t in norm.split() if cjk_count(t) == 0]
    return cjk + sum(phonetic.syllables(t) for t in latin) if (cjk or latin) else 0


def count_windows(words: list[Word], units: list[int], count: int,
                  max_pause_s: float) -> list[tuple[Interval, float, float, float]]:
    """From each word, the fewest words holding `count` units: ((start, end), units per second,
    speaking time, weight), weight being the time until the next window starts (capped like a pause)."""
    n = len(words)
    out = []
    j, held, time = 0, 0, 0.0  # words[i:j] hold `held` units over `time` credited seconds
    for i in range(n):
        if j < i:
            j, held, time = i, 0, 0.0
        while j < n and held < count:
            time += words[j].end - words[j].start
            if j > i:
                time += min(max(0.0, words[j].start - words[j - 1].end), max_pause_s)
            held += units[j]
            j += 1
        if held < count:
            break
        if time > 0:
            weight = min(words[i + 1].start - words[i].start, max_pause_s) if i + 1 < n else 0.0
            out.append(((words[i].start, words[j - 1].end), held / time, time, max(weight, 0.0)))
        # drop word i from the front before the next window
        held -= units[i]
        time -= words[i].end - words[i].start
        if i + 1 < j:
            time -= min(max(0.0, words[i + 1].start - words[i].end), max_pause_s)
    return out


def usual_rate(wins: list[tuple[Interval, float, float, float]]) -> float:
    """Time-weighted median rate of the windows: the speaker's usual pace."""
    total = sum(w for *_, w in wins)
    if total <= 0:
        return statistics.median(r for _, r, _, _ in wins)
    acc = 0.0
    for _, rate, _, weight in sorted(wins, key=lambda w: w[1]):
        acc += weight
        if acc >= total / 2:
            return rate
    return wins[-1][1]


def speaking_time(words: list[Word], max_pause_s: float) -> float:
    return sum(w.end - w.start for w in words) + sum(
        min(max(0.0, b.start - a.end), max_pause_s) for a, b in zip(words, words[1:]))


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
    # (strength against its limit, score, evidence, span) of every fast window
    fast: list[tuple[float, float, str, Interval]] = []
    for span, rate, _, speaking in windows(words, units, rules.fast_speech_window_s, rules.fast_speech_max_pause_s,
                                           rules.fast_speech_min_words):
        if rate > limit:
            fast.append((rate / limit, ramp(rate, limit, 1.5 * limit), f"{rate:.0f} {unit_name} over {speaking:.1f} s",
                         span))
    syl = [syllable_units(w, chinese) for w in words]
    fast += syllable_findings(words, syl, chinese, rules)
    role = ctx.speaker_role(AGENT)
    out = []
    for start, end in intervals.merge(f[3] for f in fast):
        inside = [f for f in fast if start <= f[3][0] and f[3][1] <= end]
        _, score, evidence, _ = max(inside, key=lambda f: (f[0], f[1]))
        idx = [k for k, w in enumerate(words) if start <= w.start and w.end <= end]
        lo, hi = trim([words[k] for k in idx], [syl[k] for k in idx], rules.fast_speech_max_pause_s)
        start, end = words[idx[lo]].start, words[idx[hi]].end
        out.append(make_segment(start, end, role, CATEGORY, score, evidence))
    return out


def syllable_findings(words: list[Word], syl: list[int], chinese: bool,
                      rules) -> list[tuple[float, float, str, Interval]]:
    """Windows fast in syllables (characters) per second, against the speaker's usual rate or the absolute limit."""
    wins = count_windows(words, syl, rules.fast_speech_syllables, rules.fast_speech_max_pause_s)
    if not wins:
        return []
    unit = "characters" if chinese else "syllables"
    usual = None
    if speaking_time(words, rules.fast_speech_max_pause_s) >= rules.fast_speech_baseline_min_s:
        usual = usual_rate(wins)
        # once more without the windows that overlap fast ones, so a long fast stretch does not raise the usual
        fast_spans = intervals.merge(span for span, rate, _, _ in wins if rate >= rules.fast_speech_relative * usual)
        calm = [w for w in wins if not any(w[0][0] < e and s < w[0][1] for s, e in fast_spans)]
        if calm and sum(w[3] for w in calm) >= rules.fast_speech_baseline_min_s / 2:
            usual = usual_rate(calm)
    absolute = None if chinese else rules.fast_speech_syllables_per_s
    floor = rules.fast_speech_cpm / 60 if chinese else rules.fast_speech_wpm * SYLLABLES_PER_WORD / 60
    out = []
    for span, rate, speaking, _ in wins:
        found = []
        if usual and rate >= rules.fast_speech_relative * usual and rate > floor:
            ratio = rate / usual
            found.append((ratio / rules.fast_speech_relative,
                          ramp(ratio, rules.fast_speech_relative, 1.5 * rules.fast_speech_relative),
                          f"{rate:.1f} {unit}/s over {speaking:.1f} s, {ratio:.1f}x the speaker's usual {usual:.1f}"))
        if absolute and rate > absolute:
            found.append((rate / absolute, ramp(rate, absolute, 1.5 * absolute),
                          f"{rate:.1f} {unit}/s over {speaking:.1f} s"))
        if found:
            strength, score, evidence = max(found)
            out.append((strength, score, evidence, span))
    return out
