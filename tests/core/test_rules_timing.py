"""dead_air, overtalk and fast_speech with known answers."""
import pytest
from rule_builders import channel, context, settings, spans, turn, words_at

from reviewer_app.core.detect.rules import dead_air, fast_speech, overtalk
from reviewer_app.core.domain import AGENT, BOTH, CUSTOMER, Word


def _two_turns(customer_end: float, agent_start: float, duration: float = 30.0):
    cust = turn(CUSTOMER, words_at("hello i have a question", 0.0, customer_end / 5))
    agent = turn(AGENT, words_at("sure let me check that", agent_start, (duration - agent_start) / 5))
    return context(duration, [cust, agent])


# --- dead_air -------------------------------------------------------------------------------

def test_dead_air_exactly_threshold_is_flagged():
    segs = dead_air.detect(_two_turns(10.0, 15.0), settings())
    assert spans(segs) == [(10.0, 15.0)]
    seg = segs[0]
    assert (seg.role, seg.category, seg.source) == (BOTH, "dead_air", "rule:dead_air")
    assert seg.evidence == "silence 5.0 s"
    assert seg.score == pytest.approx(0.75)


def test_dead_air_just_below_threshold_is_not_flagged():
    assert dead_air.detect(_two_turns(10.0, 14.9), settings()) == []


def test_dead_air_float_error_at_threshold():
    # 7.3 - 2.3 is 4.999999999999999 in floating point
    assert spans(dead_air.detect(_two_turns(2.3, 7.3), settings())) == [(2.3, 7.3)]


def test_dead_air_score_grows_with_length():
    [seg] = dead_air.detect(_two_turns(5.0, 15.0), settings())
    assert seg.score == 1.0 and seg.evidence == "silence 10.0 s"


def test_dead_air_threshold_from_settings():
    assert dead_air.detect(_two_turns(10.0, 15.0), settings(dead_air_min_s=6.0)) == []


def test_words_count_as_speech_where_activity_misses_them():
    chans = [channel(CUSTOMER, 30, [(0, 10)]), channel(AGENT, 30, [(20, 30)])]
    lone_word = turn(AGENT, [Word("yes", 14.0, 15.0, 0.9)])
    segs = dead_air.detect(context(30, [lone_word], channels=chans), settings())
    assert spans(segs) == [(15.0, 20.0)]  # 10-14 is only 4 s


def test_dead_air_at_call_start_and_end_is_not_dead_air_by_default():
    # issue 9: a recording starts before the line connects; edge silence is not dead air
    chans = [channel(CUSTOMER, 40, [(6, 20)]), channel(AGENT, 40, [(18, 30)])]
    assert dead_air.detect(context(40, channels=chans), settings()) == []


def test_dead_air_at_call_start_and_end_is_reported_when_counted():
    chans = [channel(CUSTOMER, 40, [(6, 20)]), channel(AGENT, 40, [(18, 30)])]
    segs = dead_air.detect(context(40, channels=chans), settings(dead_air_count_edges=1))
    assert spans(segs) == [(0.0, 6.0), (30.0, 40.0)]
    assert "before anyone speaks" in segs[0].evidence and "silence 6.0 s" in segs[0].evidence
    assert "after the last speech" in segs[1].evidence and "silence 10.0 s" in segs[1].evidence


def test_dead_air_whole_silent_call():
    [seg] = dead_air.detect(context(12.0), settings())
    assert (seg.start, seg.end) == (0.0, 12.0) and "no speech" in seg.evidence


# --- overtalk -------------------------------------------------------------------------------

def _overtalk(cust, agent, **rules):
    ctx = context(20, channels=[channel(CUSTOMER, 20, cust), channel(AGENT, 20, agent)])
    return overtalk.detect(ctx, settings(**rules))


def test_overtalk_exactly_threshold_is_flagged():
    [seg] = _overtalk([(0, 5)], [(4, 10)])
    # the agent started while the customer was speaking: the agent is the one talking over
    assert (seg.start, seg.end, seg.role, seg.category) == (4.0, 5.0, AGENT, "overtalk")
    assert seg.source == "rule:overtalk" and seg.evidence == "agent talks over customer for 1.0 s"
    assert seg.score == pytest.approx(0.5)


def test_overtalk_below_threshold_is_not_flagged():
    assert _overtalk([(0, 5)], [(4.1, 10)]) == []


def test_overtalk_joins_short_gaps_only():
    # overlaps 4.0-4.6 and 5.2-5.3: a 0.6 s pause < 0.7 s inside the talk -> one 1.3 s overtalk
    joined = _overtalk([(0, 4.6), (5.2, 5.3)], [(4, 10)])
    assert spans(joined) == [(4.0, 5.3)]
    # with a 0.8 s pause they stay apart and each is too short
    assert _overtalk([(0, 4.6), (5.4, 5.9)], [(4, 10)]) == []


def test_overtalk_several_and_longer_scores_higher():
    segs = _overtalk([(0, 3), (10, 16)], [(2, 11), (12, 20)])
    assert spans(segs) == [(2.0, 3.0), (10.0, 11.0), (12.0, 16.0)]
    assert segs[2].score == 1.0


def test_mono_call_has_no_overtalk():
    a = turn(AGENT, words_at("one two three four", 0, 1))
    b = turn(CUSTOMER, words_at("five six seven eight", 1, 1))
    assert overtalk.detect(context(10, [a, b], mono=True), settings()) == []


# --- fast_speech ----------------------------------------------------------------------------

def _agent_words(n: int, start: float, step: float, token: str = "word") -> list[Word]:
    return words_at([f"{token}{i}" for i in range(n)], start, step)


def test_fast_speech_250_wpm_flagged_at_200():
    words = _agent_words(60, 10.0, 60 / 250)
    [seg] = fast_speech.detect(context(40, [turn(AGENT, words)]), settings())
    assert (seg.start, seg.end) == (10.0, 24.4)
    assert (seg.role, seg.category, seg.source) == (AGENT, "fast_speech", "rule:fast_speech")
    assert seg.evidence.startswith("250 words/min over ")


def test_fast_speech_150_wpm_not_flagged():
    words = _agent_words(60, 10.0, 60 / 150)
    assert fast_speech.detect(context(40, [turn(AGENT, words)]), settings()) == []


def test_fast_speech_just_above_and_below_limit():
    above = _agent_words(60, 0.0, 60 / 201)
    below = _agent_words(60, 0.0, 60 / 199)
    assert len(fast_speech.detect(context(30, [turn(AGENT, above)]), settings())) == 1
    assert fast_speech.detect(context(30, [turn(AGENT, below)]), settings()) == []


def test_fast_speech_needs_min_words():
    s = settings(fast_speech_min_words=20)
    assert fast_speech.detect(context(10, [turn(AGENT, _agent_words(19, 0, 0.2))]), s) == []
    assert len(fast_speech.detect(context(10, [turn(AGENT, _agent_words(20, 0, 0.2))]), s)) == 1


def test_fast_customer_is_not_flagged():
    words = _agent_words(60, 0.0, 0.2)
    assert fast_speech.detect(context(20, [turn(CUSTOMER, words)]), settings()) == []


def test_fast_speech_followed_by_slow_speech():
    fast = _agent_words(60, 10.0, 0.24)
    slow = _agent_words(50, 24.4, 0.4, token="slow")
    [seg] = fast_speech.detect(context(50, [turn(AGENT, fast + slow)]), settings())
    assert seg.start == 10.0
    assert seg.end == 24.4  # windows reaching into the slow part are trimmed back to the fast words


def test_fast_speech_preceded_by_slow_speech():
    slow = _agent_words(50, 0.0, 0.4, token="slow")
    fast = _agent_words(60, 20.0, 0.24)
    [seg] = fast_speech.detect(context(50, [turn(AGENT, slow + fast)]), settings())
    assert (seg.start, seg.end) == (20.0, 34.4)


def test_long_pause_inside_window_is_capped():
    # two 300 wpm bursts of 12 words, 8 s apart: 24 words over 2.4 + 2 (capped) + 2.4 s = 212 wpm
    words = _agent_words(12, 0.0, 0.2) + _agent_words(12, 10.4, 0.2, token="b")
    ctx = context(20, [turn(AGENT, words)])
    [seg] = fast_speech.detect(ctx, settings())
    assert (seg.start, seg.end) == (0.0, 12.8)
    assert seg.evidence == "212 words/min over 6.8 s"
    # counting the whole pause dilutes it to 112 wpm
    assert fast_speech.detect(ctx, settings(fast_speech_max_pause_s=10.0)) == []


def test_fast_speech_chinese_counts_characters():
    fast = words_at(["我们"] * 30, 0.0, 0.3)  # 2 characters per 0.3 s = 400 cpm
    [seg] = fast_speech.detect(context(20, [turn(AGENT, fast)], language="zh"), settings())
    assert (seg.start, seg.end) == (0.0, 9.0)
    assert seg.evidence.startswith("400 characters/min")
    slow = words_at(["我们"] * 30, 0.0, 0.5)  # 240 cpm
    assert fast_speech.detect(context(20, [turn(AGENT, slow)], language="zh"), settings()) == []


def test_fast_speech_chinese_detected_from_text():
    # 2 characters per 0.35 s = 343 cpm > 330; as words it would be 171 wpm
    fast = words_at(["我们"] * 30, 0.0, 0.35)
    [seg] = fast_speech.detect(context(20, [turn(AGENT, fast)], language="en"), settings())
    assert "characters/min" in seg.evidence


def test_fast_speech_mono_role_is_both():
    words = _agent_words(60, 0.0, 0.2)
    [seg] = fast_speech.detect(context(20, [turn(CUSTOMER, words)], mono=True), settings())
    assert seg.role == BOTH
