"""missing_closing: no `lexicon.closing` phrase late in the agent's speech.

The window is the last `rules.closing_window_s` of the agent's speech, ending
at the agent's last word. A closing counts when its last word ends inside the
window; it may be matched approximately, as greetings are ("have a nice day"
heard as "you'll have on the next day"; see detect/text.py and
`rules.greeting_closing_min_match`). The segment spans the window, cut at the
agent's first word. If the agent never speaks, the greeting rule reports the whole call and this rule
reports nothing. No segment when the closing lexicon is empty. Score 1.0.
"""
from __future__ import annotations

from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules.common import EPS, make_segment
from reviewer_app.core.detect.rules.greeting import NEAR_S, agent_words
from reviewer_app.core.detect.text import find_phrases_approx
from reviewer_app.core.domain import AGENT, Segment
from reviewer_app.core.settings import Settings

CATEGORY = "missing_closing"


def detect(ctx: CallContext, settings: Settings) -> list[Segment]:
    phrases = settings.lexicon.closing
    words = agent_words(ctx)
    if not phrases or not words:
        return []
    window_s = settings.rules.closing_window_s
    last = max(w.end for w in words)
    limit = last - window_s
    near = [w for w in words if w.end >= limit - NEAR_S]  # a phrase ending in the window starts here
    found = find_phrases_approx(near, phrases, settings.rules.greeting_closing_min_match)
    if any(m.end >= limit - EPS for m in found):
        return []
    start = max(limit, words[0].start)
    evidence = (f"no closing in the last {window_s:g} s of speech" if ctx.is_mono
                else f"no closing in agent's last {window_s:g} s of speech")
    return [make_segment(start, last, ctx.speaker_role(AGENT), CATEGORY, 1.0, evidence)]
