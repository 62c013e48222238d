"""repetition said twice in a row, and fast_speech on word timings, with known answers (issue 9)."""
import pytest
from rule_builders import context, settings, speech, turn, words_at

from reviewer_app.core.detect.rules import fast_speech, repetition
from reviewer_app.core.domain import AGENT, CUSTOMER, Word

# --- repetition: twice in a row ---------------------------------------------------------------


def _rep(text: str, step: float = 0.3, start: float = 5.0, **rules):
    words = speech(0.0, 60.0, {start: text}, step=3.0, phrase_step=step)
    return repetition.detect(context(60, [turn(AGENT, words)]), settings(**rules))


def test_looping_line_said_twice_is_found():
    [seg] = _rep("please hold while i check your account please hold while i check your account")
    assert (seg.start, seg.end, seg.role, seg.category) == (5.0, 9.2, AGENT, "repetition")
    assert seg.evidence == "'please hold while i check your account' said twice in a row in 4.2 s"
    assert seg.score == pytest.approx(0.875)  # 7 words: 0.5 at 4 words rising to 1.0 at 8


def test_second_saying_heard_slightly_differently():
    [seg] = _rep("please hold the line um please hold the lion okay")
    assert (seg.start, seg.end) == (5.0, 7.7)
    assert seg.evidence.startswith("'please hold the line' said twice in a row")
    [seg] = _rep("your parcel will arrive on monday your parcel will arrive monday")
    assert "again as 'your parcel will arrive monday'" in seg.evidence
    assert 0.4 < seg.score < 0.9


def test_twice_needs_min_words_and_closeness():
    assert _rep("thank you thank you so much") == []  # a two-word unit
    assert _rep("okay okay okay okay fine") == []
    assert _rep("i see that i see that") == []  # three words, below the minimum of four
    assert len(_rep("i see that i see that", repetition_twice_min_words=3)) == 1
    # the second saying starts 2.6 s after the first ends: not in a row
    words = speech(0.0, 60.0, {5.0: "can you hear me", 8.8: "can you hear me"}, step=3.0, phrase_step=0.3)
    assert repetition.detect(context(60, [turn(AGENT, words)]), settings()) == []
    assert len(repetition.detect(context(60, [turn(AGENT, words)]), settings(repetition_twice_max_gap_s=3.0))) == 1


def test_different_sentences_and_reading_back_numbers_are_not_repetition():
    assert _rep("my account number is four five six seven four five six seven") == []
    assert _rep("the card ends in 4 5 6 7 8 4 5 6 7 8") == []
    assert _rep("i will check the account and i will check the address") == []  # different endings
    assert _rep("we sent the letter on monday we sent the parcel on friday") == []


def test_twice_by_other_speaker_is_not_joined():
    agent = turn(AGENT, words_at("can you hear me now", 1.0, 0.3))
    cust = turn(CUSTOMER, words_at("can you hear me now", 2.6, 0.3))
    assert repetition.detect(context(10, [agent, cust]), settings()) == []


def test_chinese_twice_in_characters():
    words = [Word("请您稍等一下", 1.0, 2.5, 0.9), Word("请您稍等一下", 2.7, 4.2, 0.9)]
    [seg] = repetition.detect(context(10, [turn(AGENT, words)], language="zh"), settings())
    assert (seg.start, seg.end) == (1.0, 4.2) and "'请您稍等一下' said twice in a row" in seg.evidence
    short = [Word("好的谢谢", 1.0, 2.0, 0.9), Word("好的谢谢", 2.2, 3.2, 0.9)]
    assert repetition.detect(context(10, [turn(AGENT, short)], language="zh"), settings()) == []
