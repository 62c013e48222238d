"""repetition: one speaker says the same phrase again and again within a short time.

A phrase is an n-gram of `rules.repetition_min_words` words, or of
`rules.repetition_min_chars` characters for Chinese (each CJK character is a
token). It is flagged when said at least `rules.repetition_min_count` times
(occurrences not overlapping) with the first start and the last end no more
than `rules.repetition_window_s` apart. The segment spans the first to the
last of those occurrences.

Not counted as phrases: n-grams of a single repeated token or of a repeated
shorter unit ("i i i", "thank you thank", "好的好的"), and n-grams made only of
fillers ("um", "uh", "嗯"). A repeated phrase longer than n is reported once:
the n-gram is extended to the right while every occurrence continues with the
same token, and overlapping findings of one speaker are merged, keeping the
longest phrase in the evidence. Score 0.5 at the minimum count, 1.0 at two
more repetitions.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules.common import EPS, make_segment, ramp
from reviewer_app.core.detect.rules.forbidden_phrase import speaker_roles
from reviewer_app.core.detect.text import is_chinese, join_tokens, word_tokens
from reviewer_app.core.domain import Segment, Word
from reviewer_app.core.settings import Settings

CATEGORY = "repetition"
FILLERS = frozenset({
    "um", "uh", "umm", "uhm", "er", "erm", "ah", "eh", "hmm", "hm", "mm", "mhm", "oh", "uhhuh",
    "嗯", "啊", "呃", "额", "哦", "唔", "呀", "哈",
})


@dataclass(frozen=True)
class Finding:
    start: float
    end: float
    phrase: str
    count: int
    length: int  # tokens in the phrase


def _periodic(gram: tuple[str, ...]) -> bool:
    """True if the n-gram is a shorter unit said about 1.5 times or more ("a a a", "a b a", "好的好的")."""
    n = len(gram)
    return any(all(gram[i] == gram[i + p] for i in range(n - p)) for p in range(1, (n + 1) // 2 + 1))


def _extend(tokens: list[str], positions: list[int], n: int) -> int:
    """Longest length >= n over which every occurrence reads the same, without overlapping the next."""
    length = n
    while True:
        nxt = [p + length for p in positions]
        if nxt[-1] >= len(tokens) or len({tokens[k] for k in nxt}) != 1:
            return length
        if any(p + length + 1 > q for p, q in zip(positions, positions[1:])):
            return length
        length += 1


def find_repetitions(words: list[Word], n: int, min_count: int, window_s: float) -> list[Finding]:
    pairs = word_tokens(words)
    tokens = [t for t, _ in pairs]
    owner = [w for _, w in pairs]
    grams: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i:i + n])
        if _periodic(gram) or all(t in FILLERS for t in gram):
            continue
        if grams[gram] and i < grams[gram][-1] + n:
            continue  # overlaps the previous occurrence
        grams[gram].append(i)
    findings = []
    for gram, positions in grams.items():
        if len(positions) < min_count:
            continue
        start_t = [words[owner[p]].start for p in positions]
        end_t = [words[owner[p + n - 1]].end for p in positions]
        i = 0
        while i <= len(positions) - min_count:
            j = i
            while j + 1 < len(positions) and end_t[j + 1] - start_t[i] <= window_s + EPS:
                j += 1
            if j - i + 1 >= min_count:
                cluster = positions[i:j + 1]
                length = _extend(tokens, cluster, n)
                end = words[owner[cluster[-1] + length - 1]].end
                phrase = join_tokens(tokens[cluster[0]:cluster[0] + length])
                findings.append(Finding(start_t[i], end, phrase, len(cluster), length))
                i = j + 1
            else:
                i += 1
    return findings


def merge_findings(findings: list[Finding]) -> list[tuple[float, float, Finding]]:
    """Overlapping findings as one span, each with its strongest finding (most said, then longest)."""
    groups: list[tuple[float, float, Finding]] = []
    for f in sorted(findings, key=lambda f: (f.start, f.end)):
        if groups and f.start <= groups[-1][1]:
            start, end, best = groups[-1]
            if (f.count, f.length) > (best.count, best.length):
                best = f
            groups[-1] = (start, max(end, f.end), best)
        else:
            groups.append((f.start, f.end, f))
    return groups


def detect(ctx: CallContext, settings: Settings) -> list[Segment]:
    rules = settings.rules
    out = []
    for role in speaker_roles(ctx):
        words = sorted(ctx.words_of(role), key=lambda w: (w.start, w.end))
        n = rules.repetition_min_chars if is_chinese(ctx.language, words) else rules.repetition_min_words
        found = find_repetitions(words, max(2, n), rules.repetition_min_count, rules.repetition_window_s)
        for start, end, best in merge_findings(found):
            score = ramp(best.count, rules.repetition_min_count, rules.repetition_min_count + 2)
            out.append(make_segment(start, end, ctx.speaker_role(role), CATEGORY, score,
                                    f"'{best.phrase}' said {best.count} times in {end - start:.1f} s"))
    return out
