"""Approximate phrase matching on words and on sound (detect/phonetic.py, detect/text.py) and the
phrase rules that use it, with known answers."""
import pytest
from rule_builders import context, settings, speech, turn, words_at

from reviewer_app.core.detect import phonetic
from reviewer_app.core.detect.rules import closing, forbidden_phrase, greeting
from reviewer_app.core.detect.text import find_phrases_approx, match_mode, phrase_similarity
from reviewer_app.core.domain import AGENT, CUSTOMER, Word
from reviewer_app.core.settings import Settings

# --- sound keys --------------------------------------------------------------------------------


def test_sound_key_spelling_rules():
    key = phonetic.sound_key
    assert key("phone") == key("fone") == "fan"  # ph -> f, vowels collapsed, final e silent
    assert key("knight") == key("night") == key("nite")  # silent k, silent gh
    assert key("check") == key("chek")  # ck -> k, ch kept as one sound
    assert key("nice") == "nas" and key("nick") == "nak"  # c softened before a silent e
    assert key("Hello!") == key("hallo") == key("hullo")  # case, punctuation and vowel quality ignored
    assert key("letter") == key("leter")  # doubled letters count once
    assert key("whatever") == key("what") + key("ever")
    assert key("day") == key("dey") == "da"  # y after a vowel is part of it
    assert key("you") == "ya" and key("bye") == key("by") == "ba"


def test_key_similarity_grades():
    sim = phonetic.key_similarity
    assert sim("prablam", "prablam") == 1.0
    assert 0.5 < sim(phonetic.sound_key("bat"), phonetic.sound_key("pat")) < 1.0  # voicing pair: half a step
    assert sim(phonetic.sound_key("bat"), phonetic.sound_key("pat")) > sim(
        phonetic.sound_key("bat"), phonetic.sound_key("rat"))
    assert sim(phonetic.sound_key("problem"), phonetic.sound_key("kitchen")) < 0.3
    assert sim("", "abc") == 0.0


# --- phrase similarity -------------------------------------------------------------------------


def test_exact_phrase_scores_one_and_unrelated_scores_low():
    assert phrase_similarity("not my problem", "Not my PROBLEM!") == 1.0
    assert phrase_similarity("have a nice day", "the invoice was sent on monday") < 0.5
    assert phrase_similarity("not my problem", "can i have your postcode") < 0.4


def test_misheard_phrase_scores_between_threshold_and_one():
    s = Settings().rules
    heard = phrase_similarity("not my problem", "in my problem")
    assert s.forbidden_min_match <= heard < 1.0
    [m] = find_phrases_approx(words_at("you'll have on the next day", 0.0, 0.4), ["have a nice day"], 0.5)
    assert s.greeting_closing_min_match <= m.score < 0.9 and m.heard.startswith("have on the")


def test_closer_hearings_score_higher():
    target = "thank you for calling"
    scores = [phrase_similarity(target, h) for h in
              ("thank you for calling", "thank you for call in", "thank you for coming", "thank you so much",
               "the weather is nice")]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)
    assert scores[0] == 1.0 and scores[1] > 0.85 and scores[-1] < 0.4


def test_short_entries_stay_exact():
    assert match_mode("hi") == match_mode("bye") == match_mode("hello") == "exact"
    assert match_mode("whatever") == "sound"  # matched when it sounds exactly the same
    assert match_mode("not my problem") == match_mode("have a nice day") == "fuzzy"
    words = words_at("how high is the hay by the way", 0.0, 0.5)
    assert find_phrases_approx(words, ["hi", "bye", "hello"], 0.5) == []
    [m] = find_phrases_approx(words_at("oh what ever you say", 0.0, 0.5), ["whatever"], 0.8)
    assert (m.heard, m.score, m.start, m.end) == ("what ever", 0.9, 0.5, 1.5)


def test_approximate_match_span_and_heard_words():
    words = words_at("Well, that's in my problem, sir.", 2.0, 0.5)
    [m] = find_phrases_approx(words, ["not my problem"], 0.7)
    assert (m.start, m.end, m.first, m.last) == (3.0, 4.5, 2, 4)
    assert m.heard == "in my problem" and not m.exact
    assert 0.78 <= m.score < 0.9


def test_exact_match_wins_over_approximate_nearby():
    words = words_at("it is not my problem not my problems", 0.0, 0.5)
    found = find_phrases_approx(words, ["not my problem"], 0.7)
    assert [(m.first, m.last, m.exact) for m in found] == [(2, 4, True), (5, 7, False)]
    assert found[1].heard == "not my problems" and found[1].score > 0.9


def test_chinese_character_distance_and_homophones():
    def chars(text):
        return words_at(list(text), 0.0, 0.25)

    [m] = find_phrases_approx(chars("我说爱卖不卖吧"), ["爱买不买"], 0.8)  # 买/卖 sound alike
    assert m.heard == "爱卖不卖" and m.score == pytest.approx(0.875)
    [m] = find_phrases_approx([Word("这不管我的事", 0.0, 1.5, 0.9)], ["不关我的事"], 0.8)
    assert m.score > 0.9 and m.heard == "这不管我的事"
    assert find_phrases_approx(chars("你听不清楚"), ["你听不懂吗"], 0.8) == []  # two characters differ
    assert find_phrases_approx(chars("我们今天很忙"), ["不关我的事", "爱买不买", "你听不懂吗"], 0.7) == []
    assert find_phrases_approx(chars("必嘴"), ["闭嘴"], 0.5) == []  # two characters: exact only


# --- the rules ---------------------------------------------------------------------------------


def test_forbidden_misheard_is_found_with_evidence_and_strength():
    agent = turn(AGENT, words_at("look that's in my problem okay", 1.0, 0.5))
    [seg] = forbidden_phrase.detect(context(10, [agent]), settings())
    assert (seg.start, seg.end, seg.role) == (2.0, 3.5, AGENT)
    assert seg.evidence.startswith("heard 'in my problem' ≈ 'not my problem' (0.8")
    assert 0.78 <= seg.score < 0.9
    cust = turn(CUSTOMER, words_at("look that's in my problem okay", 1.0, 0.5))
    [seg_c] = forbidden_phrase.detect(context(10, [cust]), settings())
    assert seg_c.score == pytest.approx(0.6 * seg.score, abs=0.002)


def test_forbidden_exact_evidence_unchanged():
    [seg] = forbidden_phrase.detect(context(10, [turn(AGENT, words_at("that's not my job", 0.0, 0.5))]),
                                    settings())
    assert seg.evidence == "matched 'that's not my job'" and seg.score == 1.0


def test_forbidden_polite_lookalikes_do_not_fire():
    for text in ("it's not a problem at all", "no problem let me check", "so my problem is the router",
                 "i don't know the date", "what ever happened to my order"):
        agent = turn(AGENT, words_at(text, 0.0, 0.5))
        assert forbidden_phrase.detect(context(10, [agent]), settings()) == [], text


ORDINARY = (
    "good morning thank you for calling how can i help you today i can see your account here "
    "the last payment was taken on the third of march and the next one is due on friday "
    "let me just check that for you one moment please okay so the parcel left our depot yesterday "
    "and it should be with you by tomorrow afternoon is there anything else i can help you with "
    "you are welcome have a nice day goodbye"
)


def test_ordinary_speech_has_no_forbidden_phrase():
    agent = turn(AGENT, words_at(ORDINARY, 0.0, 0.3))
    assert forbidden_phrase.detect(context(60, [agent]), settings()) == []
    # a looser threshold than the default still finds nothing in it
    assert forbidden_phrase.detect(context(60, [agent]), settings(forbidden_min_match=0.7)) == []


def test_closing_heard_as_you_will_have_on_the_next_day_counts():
    words = speech(0.0, 100.0, {0.0: "hello", 95.0: "you'll have on the next day"})
    assert closing.detect(context(100, [turn(AGENT, words)]), settings()) == []
    # the same call when the closing is said only early still misses its closing
    words = speech(0.0, 100.0, {0.0: "hello", 40.0: "you'll have on the next day"})
    assert len(closing.detect(context(100, [turn(AGENT, words)]), settings())) == 1


def test_greeting_misheard_counts_and_a_call_without_greeting_is_flagged():
    words = speech(10.0, 60.0, {12.0: "how can we help"})
    assert greeting.detect(context(60, [turn(AGENT, words)]), settings()) == []
    [seg] = greeting.detect(context(60, [turn(AGENT, speech(10.0, 60.0, {12.0: "let me see"}))]), settings())
    assert (seg.start, seg.end, seg.category) == (10.0, 30.0, "missing_greeting")
    # ordinary speech without a greeting has none
    plain = ORDINARY.split(" is there anything")[0].split(" today ")[1]
    [seg] = greeting.detect(context(60, [turn(AGENT, words_at(plain, 0.0, 0.3))]), settings())
    assert seg.category == "missing_greeting"


def test_exact_only_threshold_turns_approximate_matching_off():
    s = settings(forbidden_min_match=1.01, greeting_closing_min_match=1.01)
    agent = turn(AGENT, words_at("look that's in my problem okay", 1.0, 0.5))
    assert forbidden_phrase.detect(context(10, [agent]), s) == []
    words = speech(0.0, 100.0, {0.0: "hello", 95.0: "you'll have on the next day"})
    assert len(closing.detect(context(100, [turn(AGENT, words)]), s)) == 1


def test_a_reply_is_not_a_greeting_by_its_first_sound():
    # MUL1423's agent opens with a reply, "Good, thank you. Sure, you can go ahead": "can" shares only
    # its first sound with "calling", so "thank you for calling" is not heard there.
    words = words_at("good thank you sure you can go ahead okay and time wise", 2.0, 0.4)
    greetings = Settings().lexicon.greeting
    assert find_phrases_approx(words, greetings, Settings().rules.greeting_closing_min_match) == []
    [seg] = greeting.detect(context(40.0, [turn(AGENT, words)]), settings())
    assert seg.category == "missing_greeting"
