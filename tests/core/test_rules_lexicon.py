"""forbidden_phrase, missing_greeting, missing_closing and repetition with known answers."""
from rule_builders import context, settings, spans, speech, turn, words_at

from reviewer_app.core.detect.rules import closing, forbidden_phrase, greeting, repetition
from reviewer_app.core.domain import AGENT, BOTH, CUSTOMER, Word

# --- forbidden_phrase -----------------------------------------------------------------------


def test_forbidden_phrase_any_case_and_punctuation_spanning_words():
    words = words_at("Well, it's Not my problem! Okay?", 3.0, 0.5)
    [seg] = forbidden_phrase.detect(context(10, [turn(AGENT, words)]), settings())
    assert (seg.start, seg.end) == (4.0, 5.5)
    assert (seg.role, seg.category, seg.source) == (AGENT, "forbidden_phrase", "rule:forbidden_phrase")
    assert seg.evidence == "matched 'not my problem'"
    assert seg.score == 1.0


def test_forbidden_phrase_by_customer_scores_lower():
    agent = turn(AGENT, words_at("how can i help", 0.0, 0.5))
    cust = turn(CUSTOMER, words_at("oh SHUT UP.", 3.0, 0.5))
    [seg] = forbidden_phrase.detect(context(10, [agent, cust]), settings())
    assert (seg.start, seg.end, seg.role, seg.score) == (3.5, 4.5, CUSTOMER, 0.6)
    assert seg.evidence == "matched 'shut up'"


def test_forbidden_phrase_chinese_inside_longer_word():
    words = [Word("我觉得", 1.0, 1.6, 0.9), Word("这不关", 1.6, 2.2, 0.9), Word("我的事吧。", 2.2, 3.0, 0.9)]
    [seg] = forbidden_phrase.detect(context(5, [turn(AGENT, words)], language="zh"), settings())
    assert (seg.start, seg.end, seg.evidence) == (1.6, 3.0, "matched '不关我的事'")


def test_forbidden_phrase_latin_needs_word_boundaries():
    s = settings()
    s.lexicon.forbidden = ["hi"]
    words = words_at("this is fine, whatsoever", 0.0, 0.5)
    assert forbidden_phrase.detect(context(5, [turn(AGENT, words)]), s) == []
    s.lexicon.forbidden = ["whatever"]
    assert forbidden_phrase.detect(context(5, [turn(AGENT, words)]), s) == []


def test_forbidden_phrase_inside_longer_match_reported_once():
    s = settings()
    s.lexicon.forbidden = ["care", "i don't care"]
    words = words_at("I don't care, take care", 0.0, 0.5)
    segs = forbidden_phrase.detect(context(5, [turn(AGENT, words)]), s)
    assert [(x.start, x.end, x.evidence) for x in segs] == [
        (0.0, 1.5, "matched 'i don't care'"), (2.0, 2.5, "matched 'care'")]


def test_forbidden_phrase_mono_and_repeated():
    words = words_at("whatever whatever", 0.0, 1.0)
    segs = forbidden_phrase.detect(context(5, [turn(CUSTOMER, words)], mono=True), settings())
    assert spans(segs) == [(0.0, 1.0), (1.0, 2.0)]
    assert all(x.role == BOTH and x.score == 0.8 for x in segs)


def test_no_forbidden_phrase():
    words = words_at("thank you for calling how can i help", 0.0, 0.5)
    assert forbidden_phrase.detect(context(5, [turn(AGENT, words)]), settings()) == []


# --- missing_greeting -----------------------------------------------------------------------


def test_greeting_at_15_s_of_speech_is_found():
    # agent starts at 10 s (after a ring); the greeting comes 15 s into the agent's speech
    words = speech(10.0, 60.0, {25.0: "good morning"})
    assert greeting.detect(context(60, [turn(AGENT, words)]), settings()) == []


def test_greeting_only_at_25_s_of_speech_is_missing():
    words = speech(10.0, 60.0, {35.0: "good morning"})
    [seg] = greeting.detect(context(60, [turn(AGENT, words)]), settings())
    assert (seg.start, seg.end) == (10.0, 30.0)
    assert (seg.role, seg.category, seg.source, seg.score) == (AGENT, "missing_greeting", "rule:missing_greeting", 1.0)
    assert seg.evidence == "no greeting in agent's first 20 s of speech"


def test_greeting_starting_at_window_end_counts():
    words = speech(10.0, 60.0, {30.0: "thank you for calling"})
    assert greeting.detect(context(60, [turn(AGENT, words)]), settings()) == []
    words = speech(10.0, 60.0, {30.5: "thank you for calling"})
    assert len(greeting.detect(context(60, [turn(AGENT, words)]), settings())) == 1


def test_customer_greeting_does_not_count():
    cust = turn(CUSTOMER, words_at("hello hello", 0.0, 0.5))
    agent = turn(AGENT, speech(2.0, 40.0))
    [seg] = greeting.detect(context(40, [cust, agent]), settings())
    assert (seg.start, seg.end) == (2.0, 22.0)


def test_short_agent_speech_window_is_cut_at_last_word():
    agent = turn(AGENT, speech(2.0, 8.0))  # last filler 7.0-7.8
    [seg] = greeting.detect(context(40, [agent]), settings())
    assert (seg.start, seg.end) == (2.0, 7.8)


def test_agent_never_speaks():
    cust = turn(CUSTOMER, words_at("hello anyone there", 0.0, 1.0))
    ctx = context(30, [cust])
    [seg] = greeting.detect(ctx, settings())
    assert (seg.start, seg.end, seg.role) == (0.0, 30.0, AGENT)
    assert "agent never speaks" in seg.evidence
    assert closing.detect(ctx, settings()) == []


def test_greeting_mono_uses_mixed_channel():
    words = speech(1.0, 40.0, {3.0: "您好"}, phrase_step=0.5)
    assert greeting.detect(context(40, [turn(CUSTOMER, words)], mono=True), settings()) == []
    [seg] = greeting.detect(context(40, [turn(CUSTOMER, speech(1.0, 40.0))], mono=True), settings())
    assert seg.role == BOTH and (seg.start, seg.end) == (1.0, 21.0)


def test_greeting_chinese_substring():
    words = [Word("您好，", 0.5, 1.0, 0.9), Word("欢迎致电某某公司", 1.0, 3.0, 0.9)] + speech(4.0, 30.0)
    assert greeting.detect(context(30, [turn(AGENT, words)], language="zh"), settings()) == []


# --- missing_closing ------------------------------------------------------------------------


def test_closing_in_last_30_s_is_found():
    words = speech(0.0, 100.0, {0.0: "hello", 93.0: "have a nice day"})
    assert closing.detect(context(100, [turn(AGENT, words)]), settings()) == []


def test_closing_only_early_is_missing():
    words = speech(0.0, 100.0, {0.0: "hello", 50.0: "have a nice day"})  # last word 99.0-99.8
    [seg] = closing.detect(context(100, [turn(AGENT, words)]), settings())
    assert (seg.start, seg.end) == (69.8, 99.8)
    assert (seg.role, seg.category, seg.source) == (AGENT, "missing_closing", "rule:missing_closing")
    assert seg.evidence == "no closing in agent's last 30 s of speech"


def test_closing_must_end_inside_the_window():
    words = speech(0.0, 100.0, {68.9: "goodbye"})  # ends 69.2, window starts 99.8 - 30 = 69.8
    assert len(closing.detect(context(100, [turn(AGENT, words)]), settings())) == 1
    words = speech(0.0, 100.0, {69.5: "goodbye"})  # ends exactly at 69.8: counts
    assert closing.detect(context(100, [turn(AGENT, words)]), settings()) == []


def test_closing_after_customer_last_words_and_short_call():
    agent = turn(AGENT, speech(0.0, 10.0))
    cust = turn(CUSTOMER, words_at("bye bye", 11.0, 0.5))
    [seg] = closing.detect(context(15, [agent, cust]), settings())
    assert (seg.start, seg.end) == (0.0, 9.8)


# --- repetition -----------------------------------------------------------------------------


def test_phrase_said_three_times_within_window():
    words = speech(0.0, 60.0, {10.0: "please hold the line", 15.0: "please hold the line",
                                20.0: "please hold the line"})
    [seg] = repetition.detect(context(60, [turn(AGENT, words)]), settings())
    assert (seg.start, seg.end) == (10.0, 21.2)
    assert (seg.role, seg.category, seg.source) == (AGENT, "repetition", "rule:repetition")
    assert seg.evidence == "'please hold the line' said 3 times in 11.2 s"
    assert seg.score == 0.5


def test_phrase_spread_beyond_window_is_not_flagged():
    words = speech(0.0, 60.0, {10.0: "please hold the line", 20.0: "please hold the line",
                                30.0: "please hold the line"})  # 10.0 .. 31.2 is over 20 s
    assert repetition.detect(context(60, [turn(AGENT, words)]), settings()) == []
    assert len(repetition.detect(context(60, [turn(AGENT, words)]), settings(repetition_window_s=21.2))) == 1


def test_phrase_said_twice_is_not_flagged():
    words = speech(0.0, 60.0, {10.0: "please hold the line", 15.0: "please hold the line"})
    assert repetition.detect(context(60, [turn(AGENT, words)]), settings()) == []


def test_stutter_and_fillers_are_not_repetition():
    words = words_at("i i i i i i i i i um uh um uh um uh um uh thank you thank you thank you thank you",
                     0.0, 0.3)
    assert repetition.detect(context(20, [turn(AGENT, words)]), settings()) == []


def test_repetition_two_words_is_below_min_words():
    words = speech(0.0, 30.0, {5.0: "i see", 8.0: "i see", 11.0: "i see"})
    assert repetition.detect(context(30, [turn(AGENT, words)]), settings()) == []
    [seg] = repetition.detect(context(30, [turn(AGENT, words)]), settings(repetition_min_words=2))
    assert seg.evidence.startswith("'i see' said 3 times")


def test_customer_repeating_is_reported_as_customer():
    cust = turn(CUSTOMER, speech(0.0, 30.0, {2.0: "my account number is", 8.0: "my account number is",
                                              14.0: "My account number, is"}))
    [seg] = repetition.detect(context(30, [cust]), settings())
    assert seg.role == CUSTOMER and (seg.start, seg.end) == (2.0, 15.2)


def test_chinese_repetition_in_characters():
    def said(t):
        return [Word("请您", t, t + 0.5, 0.9), Word("稍等。", t + 0.5, t + 1.0, 0.9)]
    words = sorted(speech(0.0, 30.0, {}, step=2.5) + said(3.6) + said(8.6) + said(13.6), key=lambda w: w.start)
    [seg] = repetition.detect(context(30, [turn(AGENT, words)], language="zh"), settings())
    assert (seg.start, seg.end) == (3.6, 14.6)
    assert seg.evidence == "'请您稍等' said 3 times in 11.0 s"
    # three characters are below the Chinese minimum of four
    short = [Word("稍等吧", t, t + 1.0, 0.9) for t in (3.6, 8.6, 13.6)]
    words = sorted(speech(0.0, 30.0, {}, step=2.5) + short, key=lambda w: w.start)
    assert repetition.detect(context(30, [turn(AGENT, words)], language="zh"), settings()) == []
