"""missing_greeting: no `lexicon.greeting` phrase early in the agent's speech.

The window is `rules.greeting_window_s` of the agent's speech measured from
the agent's first word (not from call start, so a long ring or IVR prompt
does not eat it). A greeting counts when its first word starts inside the
window. The segment spans the window, cut at the agent's last word. On a
mono call the mixed channel's words stand for the agent.

Greetings are matched exactly or approximately (ASR errors, see
detect/text.py) from `rules.greeting_closing_min_match`; short ones ("hi",
"hello") only exactly.

If the agent never speaks, one missing_greeting segment covers the whole call
(the closing rule then stays silent, so the call is not penalised twice).
No segment when the greeting lexicon is empty. Score 1.0.
"""
from __future__ import annotations

from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules.common import EPS, make_segment
from reviewer_app.core.detect.text import find_phrases_approx, normalize
from reviewer_app.core.domain import AGENT, Segment, Word
from reviewer_app.core.settings import Settings

CATEGORY = "missing_greeting"
NEAR_S = 15.0  # only words this close to the window are searched (no lexicon phrase is longer)


def agent_words(ctx: CallContext) -> list[Word]:
    """The agent's words with some text, in time order (all words on a mono call)."""
    return sorted((w for w in ctx.words_of(AGENT) if normalize(w.word)), key=lambda w: (w.start, w.end))


def detect(ctx: CallContext, settings: Settings) -> list[Segment]:
    phrases = settings.lexicon.greeting
    if not phrases:
        return []
    role = ctx.speaker_role(AGENT)
    words = agent_words(ctx)
    if not words:
        who = "nobody speaks" if ctx.is_mono else "agent never speaks"
        return [make_segment(0.0, ctx.duration_s, role, CATEGORY, 1.0, f"no greeting: {who}")]
    window_s = settings.rules.greeting_window_s
    first = words[0].start
    limit = first + window_s
    near = [w for w in words if w.start <= limit + NEAR_S]
    found = find_phrases_approx(near, phrases, settings.rules.greeting_closing_min_match)
    if any(m.start <= limit + EPS for m in found):
        return []
    end = min(limit, max(w.end for w in words))
    evidence = (f"no greeting in the first {window_s:g} s of speech" if ctx.is_mono
                else f"no greeting in agent's first {window_s:g} s of speech")
    return [make_segment(first, end, role, CATEGORY, 1.0, evidence)]
