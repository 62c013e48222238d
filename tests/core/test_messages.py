"""The message helper: one escaped line of a readable length, whatever a file name or value holds."""
from __future__ import annotations

import sys

from reviewer_app.core.messages import MAX_MESSAGE, cut, one_line, show_name, show_value


def test_control_and_format_characters_are_escaped_and_ordinary_text_is_not():
    shown = one_line("bad\nerror: forged\x1b]0;title\x07 \u202eevil \u2028 \udcff")
    assert shown == "bad\\nerror: forged\\x1b]0;title\\x07 \\u202eevil \\u2028 \\udcff"
    assert one_line("通话 ünïcode café.wav (1)") == "通话 ünïcode café.wav (1)"


def test_long_text_is_cut_in_the_middle_keeping_the_end():
    text = "/calls/" + "x" * 10_000_000 + ": no such file"
    shown = one_line(text)
    assert len(shown) == MAX_MESSAGE and shown.startswith("/calls/xx") and shown.endswith(": no such file")
    assert "…" in shown and cut("short") == "short"


def test_values_are_quoted_short_and_an_integer_too_long_to_print_is_named():
    assert show_value("x" * 1000).startswith("'xxx") and len(show_value("x" * 1000)) == 60
    assert show_value(float("nan")) == "nan" and show_value([1, "a"]) == "[1, 'a']"
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        huge = 10 ** 5000
    finally:
        sys.set_int_max_str_digits(limit)
    assert show_value(huge) == "<an integer too long to show>"
    assert show_value(10 ** 100) == "<an integer of 101 digits>"
    assert show_name("a\tb") == "a\\tb"
