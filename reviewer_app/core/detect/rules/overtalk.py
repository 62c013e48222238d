"""overtalk: one side talks over the other for at least `rules.overtalk_min_s`.

Definition. Each channel's `activity` is its own speech (the pipeline removed
crosstalk leakage by coherence, so a quiet voice of its own still counts, see
audio/activity.py). A side's *utterance* is its activity with pauses shorter
than `rules.overtalk_join_gap_s` bridged: a breath or a hesitation inside a
sentence does not end a turn, so speaking through it is still speaking over
it. Wherever both sides' utterances overlap, the *interrupter* is the side
whose utterance started later (the other was already speaking); when both
started within SAME_START_S of each other nobody interrupted and the
segment's role is `both`. Overlaps of the same interrupter's utterance closer
than `overtalk_join_gap_s` are one overtalk, reported on the interrupter's
role when it lasts `overtalk_min_s`.

Not overtalk: a *backchannel* ("mm-hm", "yes", "okay", "对") said while the
other side keeps the floor. An interrupter's utterance is a backchannel when
  * the other side is still speaking BACKCHANNEL_HOLD_S after it ends (a
    listener's token, not the start of a turn taken over the other), and
  * its ASR words are all BACKCHANNEL_TOKENS (at most BACKCHANNEL_MAX_TOKENS)
    and it lasts at most twice `rules.overtalk_backchannel_max_s`, or, where
    ASR heard no word in it, it lasts at most `overtalk_backchannel_max_s`.
Any other word in it ("no wait", "but I said") makes it a real interruption.

A mono call cannot tell speakers apart: no segments. Score 0.5 at the
threshold, rising to 1.0 at four times the threshold.
"""
from __future__ import annotations

import bisect

from reviewer_app.core import intervals
from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.detect.rules.common import EPS, make_segment, ramp
from reviewer_app.core.detect.text import normalize, split_tokens
from reviewer_app.core.domain import BOTH, Interval, Segment, Word
from reviewer_app.core.settings import Settings

CATEGORY = "overtalk"
SAME_START_S = 0.25  # starts closer than this are simultaneous: no one can react that fast
BACKCHANNEL_HOLD_S = 1.0  # the other side keeps talking at least this long after a backchannel
BACKCHANNEL_MAX_TOKENS = 4
BACKCHANNEL_TOKENS = frozenset({
    "mm", "mmm", "hm", "hmm", "mhm", "mmhm", "mmhmm", "uh", "huh", "uhhuh", "um", "umm", "uhm", "ah", "oh",
    "er", "erm", "yes", "yeah", "yep", "yup", "ya", "ok", "okay", "kay", "right", "alright", "all", "sure",
    "i", "see", "got", "it", "true", "exactly", "really", "wow", "cool", "great", "fine", "thanks",
    "嗯", "对", "是", "的", "好", "行", "哦", "噢", "喔", "啊", "呃", "额", "唔", "呀", "哈",
})


def detect(ctx: CallContext, settings: Settings) -> list[Segment]:
    if ctx.is_mono or len(ctx.channels) < 2:
        return []
    rules = settings.rules
    gap = max(0.0, rules.overtalk_join_gap_s - EPS)  # merge() joins gaps <= its argument
    first, second = ctx.channels[0], ctx.channels[1]
    own = {ch.role: intervals.merge(ch.activity) for ch in (first, second)}
    utterances = {role: intervals.merge(spans, gap=gap) for role, spans in own.items()}
    starts = {role: [s for s, _ in utts] for role, utts in utterances.items()}

    def utterance_at(role: str, t: float) -> Interval:
        return utterances[role][bisect.bisect_right(starts[role], t + EPS) - 1]

    pieces: dict[tuple[str, float], list[Interval]] = {}  # (interrupter, its utterance start) -> overlaps
    words_of = {role: sorted(ctx.words_of(role), key=lambda w: w.start) for role in own}
    for start, end in intervals.intersect(utterances[first.role], utterances[second.role]):
        utt = {role: utterance_at(role, start) for role in own}
        (early, u_early), (late, u_late) = sorted(utt.items(), key=lambda kv: kv[1][0])
        if u_late[0] - u_early[0] < SAME_START_S:
            if any(_is_backchannel(u, utt[other], words_of[r], rules)
                   for r, u, other in ((early, u_early, late), (late, u_late, early))):
                continue
            key = (BOTH, min(u_early[0], u_late[0]))
        else:
            if _is_backchannel(u_late, u_early, words_of[late], rules):
                continue
            key = (late, u_late[0])
        pieces.setdefault(key, []).append((start, end))

    out = []
    for (role, _), spans in pieces.items():
        for start, end in intervals.merge(spans, gap=gap):
            length = end - start
            if length < rules.overtalk_min_s - EPS:
                continue
            score = ramp(length, rules.overtalk_min_s, 4 * rules.overtalk_min_s)
            out.append(make_segment(start, end, role, CATEGORY, score,
                                    _evidence(role, first.role, second.role, length, words_of, start, end)))
    return sorted(out, key=lambda s: (s.start, s.role))


def _words_in(words: list[Word], span: Interval, slack: float = 0.1) -> list[Word]:
    return [w for w in words if span[0] - slack <= (w.start + w.end) / 2 <= span[1] + slack]


def _is_backchannel(utt: Interval, other: Interval, words: list[Word], rules) -> bool:
    """A listener's short token over the other side's speech (see the module docstring)."""
    if other[1] - utt[1] < BACKCHANNEL_HOLD_S - EPS:
        return False  # the other side stops: this is a turn taken over it, not a backchannel
    length = utt[1] - utt[0]
    tokens = [tok for w in _words_in(words, utt) for tok in split_tokens(normalize(w.word))]
    if not tokens:
        return length <= rules.overtalk_backchannel_max_s + EPS
    return (len(tokens) <= BACKCHANNEL_MAX_TOKENS and all(t in BACKCHANNEL_TOKENS for t in tokens)
            and length <= 2 * rules.overtalk_backchannel_max_s + EPS)


def _evidence(role: str, first: str, second: str, length: float, words_of: dict, start: float,
              end: float) -> str:
    if role == BOTH:
        text = f"both start talking at once, both speaking for {length:.1f} s"
        said = []
    else:
        other = second if role == first else first
        text = f"{role} talks over {other} for {length:.1f} s"
        said = [w.word.strip() for w in _words_in(words_of[role], (start, end))]
    if said:
        quote = " ".join(said[:8]) + (" ..." if len(said) > 8 else "")
        text += f': "{quote}"'
    return text
