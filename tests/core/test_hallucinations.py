from reviewer_app.core.asr.hallucinations import is_caption, is_silence_phrase, keep_word
from reviewer_app.core.domain import Word

SPEECH = [(1.0, 3.0), (10.0, 12.0)]


def test_words_in_speech_are_kept():
    assert keep_word(Word("hello", 1.2, 1.6, 0.9), SPEECH, min_prob=0.1)
    assert keep_word(Word("edge", 2.9, 3.3, 0.9), SPEECH, min_prob=0.1)  # within the padding


def test_words_in_vad_silence_or_guessed_are_dropped():
    assert not keep_word(Word("thank", 5.0, 5.4, 0.95), SPEECH, min_prob=0.1)


def test_hard_words_inside_speech_are_kept():
    # Inside the channel's own speech a low probability is a hard word, not an invented one.
    assert keep_word(Word("hello", 1.2, 1.6, 0.05), SPEECH, min_prob=0.1)


def test_words_stretched_over_a_pause_are_kept_when_believed():
    # Whisper timed "bye" from 8.5 s although the voice starts at 10.0 s: 0.75 s of the
    # 2.0 s word lies in the padded speech, under half of it.
    assert keep_word(Word("bye", 8.5, 10.5, 0.95), SPEECH, min_prob=0.1)
    assert not keep_word(Word("bye", 8.5, 10.5, 0.05), SPEECH, min_prob=0.1)
    # A word that barely grazes the padding is not anchored in speech.
    assert not keep_word(Word("you", 9.0, 9.8, 0.95), SPEECH, min_prob=0.1)


def test_captions_and_credits():
    assert is_caption("(音樂播放中)")
    assert is_caption("[Music]")
    assert is_caption("字幕by索兰娅")
    assert not is_caption("I want to cancel my order")
    assert is_silence_phrase(" Thank you.")
    assert not is_silence_phrase("Thank you for calling")
