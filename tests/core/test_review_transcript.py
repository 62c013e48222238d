"""Transcript lookups and turn edits for the reviewer."""
from reviewer_app.core.domain import Segment, Turn, Word
from reviewer_app.core.review.transcript import TranscriptIndex, edited_turn, retime_words, turn_display

TURNS = [
    Turn("agent", 0.5, 3.0, "Thank you for calling, how can I help?",
         (Word("Thank", 0.5, 0.8, 0.9), Word("you", 0.8, 1.0, 0.9), Word("for", 1.0, 1.2, 0.9),
          Word("calling,", 1.2, 1.7, 0.9), Word("how", 1.9, 2.1, 0.9), Word("can", 2.1, 2.3, 0.9),
          Word("I", 2.3, 2.4, 0.9), Word("help?", 2.4, 3.0, 0.9))),
    Turn("customer", 2.8, 4.0, "hi there", (Word("hi", 2.8, 3.2, 0.9), Word("there", 3.2, 4.0, 0.9))),
]


def test_words_at_and_turn_at():
    index = TranscriptIndex(TURNS)
    assert len(index) == 10
    assert [index.words[n].word.word for n in index.words_at(1.1)] == ["for"]
    assert sorted(index.words[n].word.word for n in index.words_at(2.9)) == ["help?", "hi"]  # overlap
    assert index.words_at(1.8) == []
    assert index.words[index.word_near(1.8)].word.word == "calling,"
    assert index.turn_at(0.1) is None and index.turn_at(3.5) == 1


def test_words_in_segments_follow_role():
    index = TranscriptIndex(TURNS)
    marked = index.words_in_segments([Segment(2.0, 3.5, "customer", "overtalk", 0.8, "rule", "")])
    assert {index.words[n].word.word for n in marked} == {"hi", "there"}
    both = index.words_in_segments([Segment(2.0, 2.35, "both", "dead_air", 0.8, "rule", "")])
    assert {index.words[n].word.word for n in both} == {"how", "can", "I"}


def test_display_offsets_point_at_the_words():
    text, starts, ends = turn_display(TURNS[0])
    assert text == TURNS[0].text
    assert [text[a:b] for a, b in zip(starts, ends)][:4] == ["Thank", "you", "for", "calling,"]
    odd = Turn("agent", 0, 1, "hello world", (Word("hello", 0, .5, 1), Word("zzz", .5, 1, 1)))
    assert turn_display(odd)[1] == [0, -1]


def test_retime_keeps_unchanged_words():
    words = retime_words(TURNS[0], "Thank you so much for calling, how may I help?")
    by_word = {w.word: w for w in words}
    assert by_word["calling,"].start == 1.2 and by_word["help?"].end == 3.0
    assert by_word["may"].start == 2.1 and by_word["may"].end == 2.3 and by_word["may"].prob == 1.0
    assert 1.0 <= by_word["so"].start <= by_word["much"].end <= 1.0 + 1e-9  # inserted in a gap of 0 s
    turn = edited_turn(TURNS[1], "  hi   there  again ")
    assert turn.text == "hi there again" and [w.word for w in turn.words] == ["hi", "there", "again"]
    assert retime_words(TURNS[1], "") == ()
