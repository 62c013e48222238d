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

Twice in a row (a looping line, a phrase said again at once): a phrase of at
least `rules.repetition_twice_min_words` words (`repetition_twice_min_chars`
characters for Chinese) followed straight away by a second saying of it (at
most one other token between, starting at most
`rules.repetition_twice_max_gap_s` after the first ends). The second saying may
be heard slightly differently (one token more or less, misheard words), but
both must start alike and end alike, neither may hold a pause longer than that
gap, and the two must reach `rules.repetition_twice_min_similarity` (detect/text.py,
`sequence_similarity`). The longest such phrase is reported. Not counted:
phrases that are a repeated shorter unit ("thank you thank you"), have fewer
than the minimum words besides fillers or start or end with a filler, or are mostly numbers or single
letters (reading back an account number, spelling a name). Score: 0.5 at the
minimum length, rising to 1.0 at twice that, times the similarity.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules.common import EPS, make_segment, ramp
from reviewer_app.core.detect.rules.forbidden_phrase import speaker_roles
from reviewer_app.core.detect.text import (
    is_chinese,
    join_tokens,
    sequence_similarity,
    token_similarity,
    word_tokens,
)
from reviewer_app.core.domain import Segment, Word
from reviewer_app.core.settings import Settings

CATEGORY = "repetition"
FILLERS = frozenset({
    "um", "uh", "umm", "uhm", "er", "erm", "ah", "eh", "hmm", "hm", "mm", "mhm", "oh", "uhhuh",
    "嗯", "啊", "呃", "额", "哦", "唔", "呀", "哈",
})


NUMBER_WORDS = frozenset({
    "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
    "thousand", "double", "triple", "dash", "point", "dot", "at",
    "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "百", "千", "万", "幺", "两",
})
TWICE_MAX_TOKENS = 24  # longest phrase looked for (a looping sentence)
ANCHOR_SIM = 0.7  # the sayings must start alike and end alike (token similarity)


@dataclass(frozen=True)
class Finding:
    start: float
    end: float
    phrase: str
    count: int
    length: int  # tokens in the phrase
    similarity: float = 1.0  # of the sayings (twice in a row)
    heard_again: str = ""  # the second saying where it was heard differently


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


def _is_number(tok: str) -> bool:
    return tok.isdigit() or tok in NUMBER_WORDS or (len(tok) == 1 and tok.isascii() and tok.isalpha() and tok not in ("a", "i"))


def _eligible(gram: tuple[str, ...], min_len: int) -> bool:
    """A phrase worth reporting when said twice: long enough without fillers, not a unit repeated, not a number."""
    content = [t for t in gram if t not in FILLERS]
    if len(content) < min_len or _periodic(gram) or gram[0] in FILLERS or gram[-1] in FILLERS:
        return False
    return sum(_is_number(t) for t in content) * 2 <= len(content)


def _anchored(first: tuple[str, ...], second: tuple[str, ...]) -> bool:
    """The sayings start with alike tokens and end alike (one token of slack where their lengths differ)."""
    slack = 1 if len(first) != len(second) else 0
    ends = ([(first[-1], second[-1 - k]) for k in range(slack + 1)]
            + [(first[-1 - k], second[-1]) for k in range(slack + 1)])
    return (token_similarity(first[0], second[0]) >= ANCHOR_SIM
            and any(token_similarity(a, b) >= ANCHOR_SIM for a, b in ends))


def _continuous(words: list[Word], owner: list[int], lo: int, hi: int, max_gap_s: float) -> bool:
    """No pause longer than `max_gap_s` between the words of tokens lo..hi-1."""
    idx = sorted(set(owner[lo:hi]))
    return all(words[b].start - words[a].end <= max_gap_s for a, b in zip(idx, idx[1:]))


def find_twice(words: list[Word], min_len: int, max_gap_s: float, min_similarity: float) -> list[Finding]:
    """Phrases of at least `min_len` tokens said twice in a row (see the module notes)."""
    pairs = word_tokens(words)
    tokens = [t for t, _ in pairs]
    owner = [w for _, w in pairs]
    n = len(tokens)
    findings = []
    i = 0
    while i + 2 * min_len <= n:
        found = None
        # the second saying starts with a token like the first one's: only sizes that reach such a token
        sizes = sorted({k - i - skip for k in range(i + min_len, min(n, i + TWICE_MAX_TOKENS + 2))
                        for skip in (0, 1) if token_similarity(tokens[i], tokens[k]) >= ANCHOR_SIM}
                       & set(range(min_len, TWICE_MAX_TOKENS + 1)), reverse=True)
        for size in sizes:
            first = tuple(tokens[i:i + size])
            if len(first) < size or not _eligible(first, min_len) or not _continuous(words, owner, i, i + size,
                                                                                       max_gap_s):
                continue
            end_first = words[owner[i + size - 1]].end
            first_set = set(first)
            for skip in (0, 1):
                j = i + size + skip
                if j >= n or words[owner[j]].start - end_first > max_gap_s:
                    break
                if token_similarity(tokens[i], tokens[j]) < ANCHOR_SIM:
                    continue
                for size2 in (size, size - 1, size + 1):
                    second = tuple(tokens[j:j + size2])
                    if len(second) < size2 or size2 < min_len or second[0] in FILLERS or second[-1] in FILLERS:
                        continue
                    if 2 * len(first_set & set(second)) < len(first_set) or not _anchored(first, second):
                        continue  # not even half the words in common, or different edges
                    if not _continuous(words, owner, j, j + size2, max_gap_s):
                        continue
                    sim = sequence_similarity(first, second)
                    if sim >= min_similarity:
                        found = (size, j, size2, sim)
                        break
                if found:
                    break
            if found:
                break
        if not found:
            i += 1
            continue
        size, j, size2, sim = found
        phrase = join_tokens(tokens[i:i + size])
        again = join_tokens(tokens[j:j + size2])
        findings.append(Finding(words[owner[i]].start, words[owner[j + size2 - 1]].end, phrase, 2, size,
                                round(sim, 3), "" if again == phrase else again))
        i = j + size2
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
        chinese = is_chinese(ctx.language, words)
        n = rules.repetition_min_chars if chinese else rules.repetition_min_words
        found = find_repetitions(words, max(2, n), rules.repetition_min_count, rules.repetition_window_s)
        twice_len = max(2, rules.repetition_twice_min_chars if chinese else rules.repetition_twice_min_words)
        found += find_twice(words, twice_len, rules.repetition_twice_max_gap_s,
                            rules.repetition_twice_min_similarity)
        for start, end, best in merge_findings(found):
            out.append(make_segment(start, end, ctx.speaker_role(role), CATEGORY, _score(best, rules, twice_len),
                                    _evidence(best, end - start)))
    return out


def _score(f: Finding, rules, twice_len: int) -> float:
    if f.count >= 3:
        return ramp(f.count, rules.repetition_min_count, rules.repetition_min_count + 2)
    return ramp(f.length, twice_len, 2 * twice_len) * f.similarity


def _evidence(f: Finding, length_s: float) -> str:
    if f.count >= 3:
        return f"'{f.phrase}' said {f.count} times in {length_s:.1f} s"
    again = f" (again as '{f.heard_again}', {f.similarity:.2f} alike)" if f.heard_again else ""
    return f"'{f.phrase}' said twice in a row in {length_s:.1f} s{again}"
