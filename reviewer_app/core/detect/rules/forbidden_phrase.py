"""forbidden_phrase: a `lexicon.forbidden` phrase is said.

Matching is case- and punctuation-insensitive and substring-aware for Chinese
(see detect/text.py). Both roles are checked; the segment spans the matched
words. Score: 1.0 when the agent says it, 0.6 for the customer, 0.8 on a mono
call where the speaker is unknown. A match inside a longer match of the same
speaker (e.g. "care" inside "i don't care") is not reported twice.
"""
from __future__ import annotations

from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules.common import make_segment
from reviewer_app.core.detect.text import PhraseMatch, find_phrases
from reviewer_app.core.domain import AGENT, BOTH, CUSTOMER, Segment
from reviewer_app.core.settings import Settings

CATEGORY = "forbidden_phrase"
SCORES = {AGENT: 1.0, CUSTOMER: 0.6, BOTH: 0.8}


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


def detect(ctx: CallContext, settings: Settings) -> list[Segment]:
    out = []
    for role in speaker_roles(ctx):
        words = ctx.words_of(role)
        role_out = ctx.speaker_role(role)
        for m in drop_contained(find_phrases(words, settings.lexicon.forbidden)):
            out.append(make_segment(m.start, m.end, role_out, CATEGORY, SCORES[role_out],
                                    f"matched '{m.phrase}'"))
    return out
