from rule_builders import words_at

from reviewer_app.core.detect.text import (
    contains_phrase,
    find_phrase,
    find_phrases,
    is_chinese,
    join_tokens,
    match_form,
    normalize,
    word_tokens,
)
from reviewer_app.core.domain import Word


def test_normalize_lowercases_strips_punctuation_and_collapses_space():
    assert normalize("  Not my   PROBLEM!!  ") == "not my problem"
    assert normalize("Well,\tthat's—fine...") == "well thats fine"
    assert normalize("“Calm down”, sir.") == "calm down sir"


def test_normalize_full_width_and_cjk_punctuation():
    assert normalize("Ｈｅｌｌｏ！") == "hello"
    assert normalize("您好，请问。【测试】") == "您好 请问 测试"
    assert normalize("你好！！") == "你好"


def test_match_form_drops_spaces_only_next_to_cjk():
    assert match_form("不关 我的 事") == "不关我的事"
    assert match_form("ok 好的 thanks") == "ok好的thanks"
    assert match_form("thank you") == "thank you"


def test_contains_phrase_latin_whole_words():
    assert contains_phrase("Hi there", "hi")
    assert not contains_phrase("this is it", "hi")
    assert not contains_phrase("chi square", "hi")  # start boundary
    assert not contains_phrase("hit it", "hi")  # end boundary
    assert not contains_phrase("whatsoever", "whatever")
    assert contains_phrase("THAT'S not my job.", "that's not my job")
    assert contains_phrase("thats not my job", "that’s not my job")


def test_contains_phrase_chinese_substring():
    assert contains_phrase("我觉得这不关我的事吧", "不关我的事")
    assert contains_phrase("你好hello", "hello")
    assert not contains_phrase("我觉得这不关他的事吧", "不关我的事")


def test_find_phrase_spans_several_words_with_punctuation():
    words = words_at("Well, it's Not my problem! Okay", 1.0, 0.5)
    [m] = find_phrase(words, "not my problem")
    assert (m.start, m.end) == (2.0, 3.5)
    assert (m.first, m.last) == (2, 4)


def test_find_phrase_chinese_inside_longer_words():
    words = [Word("我觉得", 0.0, 0.6, 0.9), Word("这不关", 0.6, 1.2, 0.9), Word("我的事吧。", 1.2, 2.0, 0.9)]
    [m] = find_phrase(words, "不关我的事")
    assert (m.start, m.end, m.first, m.last) == (0.6, 2.0, 1, 2)


def test_find_phrase_single_character_words():
    words = words_at(list("我觉得这不关我的事吧"), 0.0, 0.2)
    [m] = find_phrase(words, "不关我的事")
    assert (m.start, m.end) == (0.8, 1.8)


def test_find_phrase_hi_not_in_this_and_repeats():
    words = words_at("this is hi and Hi again", 0.0, 1.0)
    matches = find_phrase(words, "hi")
    assert [(m.start, m.end) for m in matches] == [(2.0, 3.0), (4.0, 5.0)]
    assert find_phrase(words, "") == []
    assert find_phrase([], "hi") == []


def test_find_phrases_in_text_order():
    words = words_at("good morning how can i help", 0.0, 0.5)
    found = find_phrases(words, ["how can i help", "good morning", "help"])
    assert [m.phrase for m in found] == ["good morning", "how can i help", "help"]


def test_word_tokens_split_cjk_characters():
    words = [Word("ok好的,", 0.0, 1.0, 0.9), Word("thank you", 1.0, 2.0, 0.9)]
    assert word_tokens(words) == [("ok", 0), ("好", 0), ("的", 0), ("thank", 1), ("you", 1)]
    assert join_tokens(["ok", "好", "的", "thank", "you"]) == "ok好的thank you"


def test_is_chinese_by_language_or_text():
    assert is_chinese("zh", [])
    assert is_chinese("en", [Word("我们今天", 0, 1, 1), Word("ok", 1, 2, 1)])
    assert not is_chinese("en", [Word("hello there", 0, 1, 1), Word("好", 1, 2, 1)])
    assert not is_chinese("en", [])
