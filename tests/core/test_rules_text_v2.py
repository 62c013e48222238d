"""repetition said twice in a row, and fast_speech on word timings, with known answers (issue 9)."""
import re

import pytest
from rule_builders import context, settings, speech, turn, words_at

from reviewer_app.core.detect import phonetic
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


# --- fast_speech: syllable rate against the speaker's usual pace -------------------------------

TEXT = ("thank you for waiting i have looked at the account and i can see that the payment was taken twice "
        "this month so i will raise a refund for the second payment and it should reach your account "
        "within five working days is there anything else i can help you with today")


def spoken(text: str, start: float, syllables_per_s: float, gap: float = 0.05) -> list[Word]:
    """Words timed as said at a steady syllable rate (gaps counted in), like Whisper's word times."""
    out, t = [], start
    for tok in text.split():
        dur = phonetic.syllables(tok) / syllables_per_s - gap
        out.append(Word(tok, round(t, 3), round(t + dur, 3), 0.9))
        t += dur + gap
    return out


def _call(*parts: tuple[str, float]) -> tuple[list[Word], list[tuple[float, float]]]:
    """Consecutive stretches of (text, syllables per second), 0.5 s apart; and each stretch's span."""
    words, spans, t = [], [], 0.0
    for text, rate in parts:
        got = spoken(text, t, rate)
        words += got
        spans.append((got[0].start, got[-1].end))
        t = got[-1].end + 0.5
    return words, spans


def _fast(words, **rules):
    return fast_speech.detect(context(words[-1].end + 1, [turn(AGENT, words)]), settings(**rules))


NATURAL = 3.6  # syllables/s: TEXT at about 170 words/min, as espeak-ng says it at -s 125


@pytest.mark.parametrize("tempo", [1.3, 1.6, 1.9])
def test_sped_up_stretch_is_found(tempo):
    words, spans = _call((TEXT, NATURAL), (TEXT, NATURAL * tempo), (TEXT, NATURAL))
    [seg] = _fast(words)
    fast_start, fast_end = spans[1]
    assert fast_start - 0.5 <= seg.start and seg.end <= fast_end + 0.5  # on the sped-up stretch only
    assert seg.end - seg.start >= 0.8 * (fast_end - fast_start)
    assert seg.role == AGENT and seg.category == "fast_speech" and 0.5 <= seg.score <= 1.0


def test_same_speech_not_sped_up_is_not_fast():
    words, _ = _call((TEXT, NATURAL), (TEXT, NATURAL), (TEXT, NATURAL))
    assert _fast(words) == []
    words, _ = _call((TEXT, NATURAL), (TEXT, NATURAL * 1.15), (TEXT, NATURAL))  # ordinary variation
    assert _fast(words) == []


def _conversation(before: int, turn_rate: float, after: int) -> tuple[list[Word], tuple[float, float]]:
    """Slow conversational speech (2.5 syllables/s, a 1.5 s pause every 8 words) around one TEXT turn."""
    chunks = [" ".join(TEXT.split()[k:k + 8]) for k in range(0, len(TEXT.split()), 8)]
    parts = [(chunks[k % len(chunks)], 2.5) for k in range(before)] + [(TEXT, turn_rate)] + \
            [(chunks[k % len(chunks)], 2.5) for k in range(after)]
    words, spans, t = [], [], 0.0
    for text, rate in parts:
        got = spoken(text, t, rate)
        words += got
        spans.append((got[0].start, got[-1].end))
        t = got[-1].end + (0.5 if rate != 2.5 or text == TEXT else 1.5)
    return words, spans[before]


def test_fast_turn_among_slow_speech_is_found_in_syllables():
    # the turn is at 235 words/min, but every 15 s words/min window around it also holds slow speech
    words, (start, end) = _conversation(6, 5.0, 6)
    syllables_only = [s for s in _fast(words) if "syllables/s" in s.evidence]
    [seg] = syllables_only
    assert start - 0.5 <= seg.start and seg.end <= end + 0.5
    assert "the speaker's usual" in seg.evidence
    # the same turn at a natural 3.6 syllables/s is not fast
    words, _ = _conversation(6, NATURAL, 6)
    assert _fast(words) == []
    # without enough speech for a usual rate, only the absolute limits apply
    words, _ = _conversation(6, 5.0, 6)
    assert [s for s in _fast(words, fast_speech_baseline_min_s=1000.0) if "syllables/s" in s.evidence] == []


def test_fast_throughout_needs_the_absolute_limit():
    syllables_only = dict(fast_speech_wpm=10_000.0)
    words, _ = _call((TEXT, 6.0), (TEXT, 6.0))  # fast but the speaker's own pace: no contrast
    assert _fast(words, **syllables_only) == []
    words, _ = _call((TEXT, 7.5), (TEXT, 7.5))  # beyond 7 syllables/s whatever the pace
    segs = _fast(words, **syllables_only)
    assert segs and all(re.match(r"7\.[5-9] syllables/s over", s.evidence) for s in segs)


def test_chinese_sped_up_stretch_in_characters():
    def chars(n, start, per_s):
        return [Word("我", round(start + k / per_s, 3), round(start + (k + 0.9) / per_s, 3), 0.9) for k in range(n)]
    words = chars(100, 0.0, 4.0) + chars(40, 25.5, 6.4) + chars(100, 32.0, 4.0)
    [seg] = fast_speech.detect(context(60, [turn(AGENT, words)], language="zh"), settings())
    assert 25.0 <= seg.start and seg.end <= 32.0 and "characters/s" in seg.evidence
