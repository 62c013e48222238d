"""forbidden_phrase: a `lexicon.forbidden` phrase is said, as heard or as ASR misheard it.

Matching is case- and punctuation-insensitive and substring-aware for Chinese,
and approximate on words and on sound (see detect/text.py): "that's in my
problem" is a hearing of "not my problem". Short entries ("whatever", "shut
up") are matched exactly, or when they sound exactly the same ("what ever").
An approximate match counts from `rules.forbidden_min_match`.

Polite phrases that sound like forbidden ones ("not a problem", "no
problem", "my problem is") are decoys: an approximate match that overlaps one
of them said exactly is dropped. An exact match always counts.

Both roles are checked; the segment spans the matched words. Score: the
match's strength (1.0 exact) times 1.0 when the agent says it, 0.6 for the
customer, 0.8 on a mono call where the speaker is unknown. A match inside a
longer match of the same speaker (e.g. "care" inside "i don't care") is not
reported twice, nor are two approximate matches over the same words.
Evidence: "matched 'x'" for an exact match, "heard 'y' ≈ 'x'" otherwise.
"""
from __future__ import annotations

from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules.common import make_segment
from reviewer_app.core.detect.text import PhraseMatch, find_phrases, find_phrases_approx, keep_best
from reviewer_app.core.domain import AGENT, BOTH, CUSTOMER, Segment, Word
from reviewer_app.core.settings import Settings

CATEGORY = "forbidden_phrase"
SCORES = {AGENT: 1.0, CUSTOMER: 0.6, BOTH: 0.8}
# Everyday polite phrases one or two sounds away from a default forbidden phrase.
DECOYS = (
    "not a problem", "no problem", "not the problem", "not a big problem", "my problem is", "my problem was",
    "the problem is", "your problem is", "i don't know", "i do care", "what ever happened",
)


def drop_contained(matches: list[PhraseMatch]) -> list[PhraseMatch]:
    """Matches not lying inside another, longer match of the same text; in time order."""
    kept: list[PhraseMatch] = []
    for m in sorted(matches, key=lambda m: (m.char_start, -m.char_end)):
        if any(k.char_start <= m.char_start and m.char_end <= k.char_end for k in kept):
            continue
        kept.append(m)
    return kept


def speaker_roles(ctx: CallContext) -> list[str]:
    """The roles to check separately: one pass over everything on a mono call."""
    return [AGENT] if ctx.is_mono else [AGENT, CUSTOMER]


def evidence(m: PhraseMatch) -> str:
    return f"matched '{m.phrase}'" if m.exact else f"heard '{m.heard}' ≈ '{m.phrase}' ({m.score:.2f})"


def forbidden_matches(words: list[Word], phrases: list[str], min_score: float,
                      decoys: tuple[str, ...] = DECOYS) -> list[PhraseMatch]:
    """Exact and approximate forbidden phrases, decoys removed, one per stretch of words."""
    found = find_phrases_approx(words, phrases, min_score)
    said = find_phrases(words, [p for p in decoys if p not in phrases])
    found = [m for m in found
             if m.exact or not any(m.first <= d.last and d.first <= m.last for d in said)]
    return keep_best(found)


def detect(ctx: CallContext, settings: Settings) -> list[Segment]:
    out = []
    for role in speaker_roles(ctx):
        words = ctx.words_of(role)
        role_out = ctx.speaker_role(role)
        for m in forbidden_matches(words, settings.lexicon.forbidden, settings.rules.forbidden_min_match):
            out.append(make_segment(m.start, m.end, role_out, CATEGORY, SCORES[role_out] * m.score, evidence(m)))
    return out
