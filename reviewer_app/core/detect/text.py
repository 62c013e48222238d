"""Text normalisation and phrase search over ASR words, for the lexicon rules.

Normal form: NFKC (full-width forms become ASCII), case-folded, apostrophes
dropped ("that's" -> "thats"), every other punctuation, symbol or control
character becomes a space, whitespace collapsed.

Matching is script-aware. CJK text has no word boundaries, so a Chinese
phrase matches anywhere inside a longer run ("我觉得这不关我的事吧" contains
"不关我的事"), and spaces next to a CJK character are ignored. A phrase that
starts or ends with a Latin letter or digit must sit on a word boundary there,
so "hi" does not match "this".

Words are joined into one character stream that remembers which word each
character came from, so a phrase can span several Whisper words and a Whisper
"word" can hold several characters (with punctuation attached).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reviewer_app.core.domain import Word

_APOSTROPHES = frozenset("'\u2018\u2019\u02bc`\u00b4\uff07")

_CJK_RANGES = (
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x2FA1F),  # CJK extensions B.. and compatibility supplement
)


def is_cjk(ch: str) -> bool:
    """True for a Han ideograph or kana: characters written without word spaces."""
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def _is_word_char(ch: str) -> bool:
    """A character of a space-delimited word (Latin letters, digits, marks), not CJK."""
    if is_cjk(ch):
        return False
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def normalize(text: str) -> str:
    """Case-folded text without punctuation, with single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    out = []
    for ch in text:
        if ch in _APOSTROPHES:
            continue
        out.append(" " if unicodedata.category(ch)[0] in "PSCZ" else ch)
    return " ".join("".join(out).split())


def _compact(norm: str) -> str:
    """Drop the spaces of a normalised string that touch a CJK character."""
    return "".join(
        ch for i, ch in enumerate(norm)
        if not (ch == " " and (is_cjk(norm[i - 1]) or is_cjk(norm[i + 1])))
    )


def match_form(text: str) -> str:
    """The form phrases and text are compared in: normalised, no spaces around CJK."""
    return _compact(normalize(text))


def _found_at(stream: str, form: str, pos: int) -> bool:
    """Whether an occurrence of `form` at `pos` respects Latin word boundaries."""
    end = pos + len(form)
    if _is_word_char(form[0]) and pos > 0 and _is_word_char(stream[pos - 1]):
        return False
    if _is_word_char(form[-1]) and end < len(stream) and _is_word_char(stream[end]):
        return False
    return True


def _positions(stream: str, form: str) -> list[int]:
    """Start positions of non-overlapping, boundary-respecting occurrences."""
    found: list[int] = []
    if not form:
        return found
    pos = stream.find(form)
    while pos >= 0:
        if _found_at(stream, form, pos):
            found.append(pos)
            pos = stream.find(form, pos + len(form))
        else:
            pos = stream.find(form, pos + 1)
    return found


def contains_phrase(text: str, phrase: str) -> bool:
    """Whether `phrase` occurs in `text` under the matching rules above."""
    return bool(_positions(match_form(text), match_form(phrase)))


@dataclass(frozen=True)
class PhraseMatch:
    phrase: str  # as written in the lexicon
    start: float  # start of the first matched word
    end: float  # end of the last matched word
    first: int  # index of the first matched word
    last: int  # index of the last matched word
    char_start: int = 0  # position of the match in the speaker's normalised text
    char_end: int = 0


class WordStream:
    """The words of one speaker as one searchable string."""

    def __init__(self, words: Sequence[Word]):
        self.words = list(words)
        chars: list[str] = []
        owner: list[int] = []
        for idx, word in enumerate(self.words):
            norm = normalize(word.word)
            if not norm:
                continue
            if chars and not (is_cjk(chars[-1]) or is_cjk(norm[0])):
                chars.append(" ")
                owner.append(-1)
            for ch in _compact(norm):
                chars.append(ch)
                owner.append(idx)
        self.text = "".join(chars)
        self._owner = owner

    def find(self, phrase: str) -> list[PhraseMatch]:
        form = match_form(phrase)
        out = []
        for pos in _positions(self.text, form):
            first = self._owner[pos]
            last = self._owner[pos + len(form) - 1]
            out.append(PhraseMatch(phrase, self.words[first].start, self.words[last].end, first, last,
                                   pos, pos + len(form)))
        return out


def find_phrase(words: Sequence[Word], phrase: str) -> list[PhraseMatch]:
    """Every occurrence of `phrase` in `words`, with the time span of the matched words."""
    return WordStream(words).find(phrase)


def find_phrases(words: Sequence[Word], phrases: Iterable[str]) -> list[PhraseMatch]:
    """Occurrences of any of `phrases` in text order; the longer first where two start together."""
    stream = WordStream(words)
    found = [m for phrase in phrases for m in stream.find(phrase)]
    return sorted(found, key=lambda m: (m.char_start, -m.char_end, m.phrase))


def word_tokens(words: Sequence[Word]) -> list[tuple[str, int]]:
    """(token, word index) pairs: each CJK character and each Latin word is one token."""
    out: list[tuple[str, int]] = []
    for idx, word in enumerate(words):
        for part in normalize(word.word).split():
            run = ""
            for ch in part:
                if is_cjk(ch):
                    if run:
                        out.append((run, idx))
                        run = ""
                    out.append((ch, idx))
                else:
                    run += ch
            if run:
                out.append((run, idx))
    return out


def join_tokens(tokens: Sequence[str]) -> str:
    """Tokens back to readable text: spaces between Latin words, none around CJK."""
    text = ""
    for tok in tokens:
        if text and not (is_cjk(text[-1]) or is_cjk(tok[0])):
            text += " "
        text += tok
    return text


def cjk_count(text: str) -> int:
    return sum(1 for ch in text if is_cjk(ch))


def is_chinese(language: str, words: Sequence[Word]) -> bool:
    """Chinese by the detected language, or by the text being mostly CJK characters."""
    if language.lower().split("-")[0] in ("zh", "yue"):
        return True
    cjk = letters = 0
    for word in words:
        for ch in word.word:
            if ch.isalnum():
                letters += 1
                cjk += is_cjk(ch)
    return letters > 0 and cjk > letters / 2
