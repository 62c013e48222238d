"""A channel's words cut into pieces that say what each one is as part of a number read out.

ASR writes a number read out digit by digit in many ways: "4532", "4 .5, 3, 2", "four five",
"1-I-1-1", "Nero 151" (zero heard as "Nero"), "for" for four, "times" for five, and in Chinese
"六二二二" or "幺三八". Each word is cut into pieces: a run of digits, a run of letters, one CJK
character, or one symbol; punctuation between them (",", ".", "-", "/") only separates. Each piece
is then read as:

* DIGITS: digits for sure ("4532", "four", "double five" -> "55", "六", "幺", "fifteen" -> "15");
* WEAK: digits only when inside a run of others: what Whisper wrote for a digit read out on a
  phone line, from a hand-made list ("for" 4, "to" 2, "won" 1, "ate" 8, "oh" and "Nero" 0, "I" or
  "I'm" as one unknown digit; "两" 2, "雅" or "云" for 幺 1; "是" never, it is too common), a single
  letter between digits ("3F6N08184"), and any other short word, not a function word ("at", "on"),
  that sounds almost like a digit's name or a listed one ("Niro"; detect/phonetic.py, similarity
  >= WEAK_SIMILARITY);
* FILLER: may sit inside a read-out number without ending it ("and", "dash", "uh", "嗯");
* BREAK: anything else, and whatever marks a number as a time, price or amount ("3:30", "$12",
  "dollars", "元", "%"), which also stops the number next to it being taken as personal data.
  A quantity written with thousands commas ("1,299", "44,720") is an amount too, unless digits
  are said right next to it (then it is a read-out that ASR wrote with a comma: "6,111, 4532").

`double` / `triple` (and 双) repeat the next single digit. Tens followed by a unit ("forty five")
are joined; "hundred" after a digit is "00".
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from reviewer_app.core.detect import phonetic
from reviewer_app.core.detect.text import FUNCTION_WORDS, is_cjk
from reviewer_app.core.domain import Word

DIGITS, WEAK, FILLER, BREAK = "digits", "weak", "filler", "break"
AMOUNT_PIECES = 2  # pieces before an amount word that are its number ("four", "hundred" dollars)
UNKNOWN_DIGIT = "?"  # a digit heard but not which one ("I" for five or nine)
WEAK_SIMILARITY = 0.8  # sound-key similarity at which a short unknown word counts as a weak digit
REPEAT_WITHIN_S = 5.0  # a short unknown word said again this soon may be a digit misheard (with_repeats_weak)

_UNITS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
          "seven": "7", "eight": "8", "nine": "9"}
_TEENS = {"ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
          "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19"}
_TENS = {"twenty": "2", "thirty": "3", "forty": "4", "fifty": "5", "sixty": "6", "seventy": "7",
         "eighty": "8", "ninety": "9"}
# What Whisper wrote for a digit read out (espeak-ng and real phone calls, 8 kHz): weak evidence.
_SOUND_ALIKES = {
    "oh": "0", "o": "0", "nero": "0", "zeroe": "0", "hero": "0", "zara": "0", "ziro": "0",
    "won": "1", "wan": "1", "juan": "1",
    "to": "2", "too": "2", "tu": "2",
    "tree": "3", "free": "3",
    "for": "4", "fore": "4", "far": "4", "foe": "4",
    "fife": "5", "time": "5", "times": "5", "fi": "5", "fight": "5",
    "sex": "6", "sick": "6", "sicks": "6",
    "ate": "8", "eat": "8", "aid": "8", "ait": "8",
    "nein": "9", "nigh": "9", "mine": "9",
    "i": UNKNOWN_DIGIT, "im": UNKNOWN_DIGIT, "high": UNKNOWN_DIGIT,  # five or nine: "I-16, 720, I'm double 48"
    "heaven": "7", "near": "0", "nearer": "0",
}
_CJK_DIGITS = {"零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "三": "3", "四": "4", "五": "5",
               "六": "6", "七": "7", "八": "8", "九": "9"}
# Characters Whisper writes for a Mandarin digit read out (same or near sound): weak evidence.
_CJK_WEAK = {"两": "2", **{ch: d for d, chars in (
    ("0", "玲铃灵林令领"), ("1", "雅牙要腰药摇衣医依以易云"), ("2", "而儿耳尔"), ("3", "山伞散"),
    ("4", "死寺似思斯丝"), ("5", "无屋舞吴午武"), ("6", "留流刘柳溜"), ("7", "期妻起气其奇"),
    ("8", "把吧爸巴拔"), ("9", "就久酒救旧"), (UNKNOWN_DIGIT, "汤韩喊雄")) for ch in chars}}
_REPEAT = {"double": 2, "triple": 3, "双": 2}
_FILLERS = frozenset({"and", "uh", "um", "umm", "er", "erm", "ah", "dash", "hyphen", "space", "then", "comma",
                      "嗯", "呃", "啊", "杠"})
# A number next to one of these is an amount, a time or a share, not an identifier.
AMOUNT_WORDS = frozenset({"dollar", "dollars", "pound", "pounds", "euro", "euros", "bucks", "cents", "cent",
                          "pence", "percent", "usd", "gbp", "eur", "rmb", "yuan", "am", "pm", "oclock",
                          "minutes", "minute", "hours", "hour", "seconds", "days", "weeks", "months", "years",
                          "people", "persons", "items"})
_AMOUNT_CHARS = frozenset("元块角分钟点号岁个位次%$£€¥:")
# Written quantities: thousands grouped by commas, or after a currency sign with its decimals. ASR
# writes a number said as a quantity ("forty-four thousand seven hundred") so, never digits read out.
_AMOUNT = re.compile(r"(?<![\d.])(?<!\d,)\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)(?!,\d)|[$£€¥]\s?\d[\d,]*(?:\.\d+)?")
_SEPARATORS = frozenset(",.-/_()[]{}'\"!?;…，。、；！？（）《》“”‘’")


@dataclass(frozen=True)
class Piece:
    text: str  # as written (lower-case for Latin)
    kind: str  # DIGITS | WEAK | FILLER | BREAK
    digits: str  # the digits it stands for ("" for FILLER / BREAK)
    word: int  # index of its word in the channel
    char_start: int  # where it is inside the word's text
    char_end: int
    symbol_before: str = ""  # a symbol written right before it inside the word ("$", "@", "+", ":")


def _split_word(text: str) -> list[tuple[str, int, int, str]]:
    """(piece, start, end, symbol right before) for one word's text."""
    out: list[tuple[str, int, int, str]] = []
    i, n, symbol = 0, len(text), ""
    while i < n:
        ch = text[i]
        if is_cjk(ch):
            out.append((ch, i, i + 1, symbol))
            symbol = ""
            i += 1
        elif ch.isdigit() or ch.isalpha():
            j = i
            digit = ch.isdigit()
            while j < n and not is_cjk(text[j]) and (text[j].isdigit() if digit else text[j].isalpha()):
                j += 1
            if not digit:  # apostrophes inside words: "o'clock", "it's"
                while j + 1 < n and text[j] in "'’" and text[j + 1].isalpha():
                    j += 2
                    while j < n and text[j].isalpha() and not is_cjk(text[j]):
                        j += 1
            out.append((text[i:j], i, j, symbol))
            symbol = ""
            i = j
        else:
            if ch not in _SEPARATORS and not ch.isspace():
                symbol = ch
            elif ch in ".,":
                symbol = symbol if symbol in "$£€¥" else ""
            i += 1
    return out


def _latin_reading(token: str) -> tuple[str, str]:
    """(kind, digits) of one Latin or digit token."""
    if token.isdigit():
        return DIGITS, unicodedata.normalize("NFKC", token)
    low = token.replace("'", "").replace("’", "")
    if low in _UNITS:
        return DIGITS, _UNITS[low]
    if low in _TEENS:
        return DIGITS, _TEENS[low]
    if low in _TENS:
        return DIGITS, _TENS[low] + "0"
    if low in _SOUND_ALIKES:
        return WEAK, _SOUND_ALIKES[low]
    if low in _FILLERS:
        return FILLER, ""
    if len(low) <= 6 and low not in AMOUNT_WORDS and low not in FUNCTION_WORDS and low.isascii():
        key = phonetic.sound_key(low)
        heard = {**_UNITS, **{w: d for w, d in _SOUND_ALIKES.items() if len(w) > 2}}  # "niro" as "nero"
        best = max(heard, key=lambda w: phonetic.key_similarity(key, phonetic.sound_key(w)))
        if phonetic.key_similarity(key, phonetic.sound_key(best)) >= WEAK_SIMILARITY:
            return WEAK, heard[best]
    return BREAK, ""


def _reading(token: str, symbol: str) -> tuple[str, str]:
    if symbol and symbol in ":$£€¥%":
        return BREAK, ""
    if len(token) == 1 and is_cjk(token):
        if token in _CJK_DIGITS:
            return DIGITS, _CJK_DIGITS[token]
        if token in _CJK_WEAK:
            return WEAK, _CJK_WEAK[token]
        if token in _FILLERS:
            return FILLER, ""
        return BREAK, ""
    return _latin_reading(unicodedata.normalize("NFKC", token).casefold())


def _amounts(words: Sequence[Word]) -> tuple[list[tuple[int, int]], list[int]]:
    """Where written quantities are in the words run together, and where each word starts there.
    A word that goes on with ",200" or ".50" is joined without a space: ASR splits "$1,200,000"."""
    text, starts = "", []
    for word in words:
        w = word.word
        if text and not (w[:1] in ",." and w[1:2].isdigit()):
            text += " "
        starts.append(len(text))
        text += w
    return [(m.start(), m.end(), text[m.start()] in "$£€¥") for m in _AMOUNT.finditer(text)], starts


def _settle_amounts(raw: list[Piece], groups: dict[int, list[int]]) -> None:
    """A written quantity ("1,299", "44,720") is an amount unless digits are said right next to it:
    then ASR wrote read-out digits with a thousands comma ("6,111, 4532 ..."). After a currency sign
    it is always an amount."""
    for members in groups.values():
        before = next((raw[i] for i in range(members[0] - 1, -1, -1) if raw[i].kind != FILLER), None)
        after = next((raw[i] for i in range(members[-1] + 1, len(raw)) if raw[i].kind != FILLER), None)
        if any(p is not None and p.kind == DIGITS for p in (before, after)):
            continue
        for i in members:
            raw[i] = Piece(raw[i].text, BREAK, "", raw[i].word, raw[i].char_start, raw[i].char_end,
                           raw[i].symbol_before)


def word_pieces(words: Sequence[Word]) -> list[Piece]:
    """Every piece of every word, in order, read as digits, weak digits, filler or break."""
    raw: list[Piece] = []
    amounts, starts = _amounts(words)
    groups: dict[int, list[int]] = {}  # written quantity -> its digit pieces
    for idx, word in enumerate(words):
        text = word.word
        parts = _split_word(text)
        trailing = text.rstrip()[-1:] if text.strip() else ""
        for k, (token, lo, hi, symbol) in enumerate(parts):
            kind, digits = _reading(token, symbol)
            at = starts[idx]
            inside = next((n for n, (a, b, _) in enumerate(amounts) if a <= at + lo and at + hi <= b), None)
            if kind == DIGITS and inside is not None:
                if amounts[inside][2]:
                    kind, digits = BREAK, ""  # "$1,200,000", "$12.50": money
                else:
                    groups.setdefault(inside, []).append(len(raw))  # "1,299": settled below
            if kind == DIGITS and k + 1 < len(parts) and parts[k + 1][3] == ":":
                kind, digits = BREAK, ""  # "3:30"
            if trailing == "%" and k == len(parts) - 1:
                kind, digits = BREAK, ""
            raw.append(Piece(token.casefold(), kind, digits, idx, lo, hi, symbol))
    _settle_amounts(raw, groups)
    return _combine(raw)


def _combine(pieces: list[Piece]) -> list[Piece]:
    """Apply double/triple, tens + unit, hundred; mark numbers next to amount words as amounts."""
    out: list[Piece] = []
    i = 0
    while i < len(pieces):
        p = pieces[i]
        nxt = pieces[i + 1] if i + 1 < len(pieces) else None
        if p.kind == BREAK and len(p.text) <= 2 and p.text.isascii() and p.text.isalpha() and out \
                and out[-1].kind == DIGITS and nxt is not None and nxt.kind == DIGITS and nxt.word == p.word:
            p = Piece(p.text, WEAK, UNKNOWN_DIGIT, p.word, p.char_start, p.char_end)  # "3F6NH8184": F, NH misheard
        if p.text in _REPEAT and nxt is not None and nxt.kind in (DIGITS, WEAK):
            if len(nxt.digits) == 1:
                out.append(Piece(p.text, DIGITS, nxt.digits * _REPEAT[p.text], p.word, p.char_start, p.char_end))
                out.append(Piece(nxt.text, FILLER, "", nxt.word, nxt.char_start, nxt.char_end))
                i += 2
                continue
            p = Piece(p.text, FILLER, "", p.word, p.char_start, p.char_end)  # "double 48": ASR wrote the pair
        if p.text in _TENS and nxt is not None and nxt.text in _UNITS and nxt.text != "zero":
            out.append(Piece(p.text, DIGITS, _TENS[p.text] + _UNITS[nxt.text], p.word, p.char_start, p.char_end))
            out.append(Piece(nxt.text, FILLER, "", nxt.word, nxt.char_start, nxt.char_end))
            i += 2
            continue
        if p.text == "hundred" and out and out[-1].kind == DIGITS and len(out[-1].digits) == 1:
            out.append(Piece(p.text, DIGITS, "00", p.word, p.char_start, p.char_end))
            i += 1
            continue
        if p.text in AMOUNT_WORDS or (len(p.text) == 1 and p.text in _AMOUNT_CHARS):
            # the number just before it is an amount: "12 dollars", "3 点", "5 people", "four hundred
            # dollars"; only that number (AMOUNT_PIECES), not digits read out before it ("...零三点")
            j = len(out) - 1
            limit = 1 if is_cjk(p.text[0]) else AMOUNT_PIECES  # 三点: one character is the number
            while j >= 0 and len(out) - j <= limit and out[j].kind in (DIGITS, WEAK):
                out[j] = Piece(out[j].text, BREAK, "", out[j].word, out[j].char_start, out[j].char_end)
                j -= 1
        out.append(p)
        i += 1
    return out


def with_repeats_weak(words: Sequence[Word], pieces: Sequence[Piece]) -> list[Piece]:
    """The pieces with each short unknown word that comes back within REPEAT_WITHIN_S read as a weak,
    unknown digit: a read-out draws on ten words, so what ASR mishears in it comes back ("time pre
    hemman, time pre pre hemman hemman" for a card read out on a 300-3400 Hz line), where ordinary
    talk seldom says the same odd word twice in a few seconds. Only for a read-out its cue asks for
    (detect._cued_read_outs): alone, a repeat is no evidence of a number."""
    odd: dict[str, list[int]] = {}  # each short unknown word -> its pieces, in time order
    for i, p in enumerate(pieces):
        if p.kind == BREAK and 2 <= len(p.text) <= 8 and p.text.isascii() and p.text.isalpha() \
                and p.text not in FUNCTION_WORDS and p.text not in AMOUNT_WORDS:
            odd.setdefault(p.text, []).append(i)
    out = list(pieces)
    for said in odd.values():
        times = [words[pieces[i].word].start for i in said]
        for k, i in enumerate(said):
            if k > 0 and times[k] - times[k - 1] <= REPEAT_WITHIN_S \
                    or k + 1 < len(said) and times[k + 1] - times[k] <= REPEAT_WITHIN_S:
                p = pieces[i]
                out[i] = Piece(p.text, WEAK, UNKNOWN_DIGIT, p.word, p.char_start, p.char_end, p.symbol_before)
    return out
