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

Approximate matching (`find_phrases_approx`) also finds a phrase that ASR
misheard ("that's in my problem" for "not my problem"). The phrase is aligned
against windows of the speaker's tokens (each Latin word and each CJK
character is a token) of the phrase's length -2..+2. Two similarities, each
0..1:

* word level: an alignment of phrase tokens to window tokens in which a
  phrase token may be heard as a similar token (cost: the token's weight times
  1 - their sound similarity, see detect/phonetic.py), as two tokens run
  apart or two tokens run together ("whatever" / "what ever"), left out (its
  weight) or joined by an extra heard token (0.75 of that token's weight); the
  score is 1 - cost / the phrase's weight. CJK characters are equal, listed
  homophones (0.75) or different.
* sound level (Latin phrases): the sound keys of the phrase and of the window,
  run together, compared by weighted edit distance (word boundaries are not
  heard; sounds heard in addition cost 0.75, as at the word level).

The strength is their mean (the word score alone for Chinese); an exact match
is 1.0. Every content word of a Latin phrase (not a function word such as
"a", "for", "my", "not") must be heard in the window at least 0.5 alike, so
"thank you for your patience" is not a hearing of "thank you for calling"
though most of it matches. Short entries stay exact: a Latin phrase is matched approximately only
with at least 3 words and 4 consonant sounds, or 8 consonant sounds; one with
4 consonant sounds may still be matched when it sounds exactly the same ("what
ever" for "whatever", strength 0.9); Chinese needs 4 characters.
"""
from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reviewer_app.core.detect import phonetic
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
    score: float = 1.0  # 1.0 for an exact match, less for an approximate one
    heard: str = ""  # the words as heard, for an approximate match

    @property
    def exact(self) -> bool:
        return self.score >= 1.0


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


def split_tokens(norm: str) -> list[str]:
    """Tokens of normalised text: each CJK character and each Latin word."""
    out: list[str] = []
    for part in norm.split():
        run = ""
        for ch in part:
            if is_cjk(ch):
                if run:
                    out.append(run)
                    run = ""
                out.append(ch)
            else:
                run += ch
        if run:
            out.append(run)
    return out


def word_tokens(words: Sequence[Word]) -> list[tuple[str, int]]:
    """(token, word index) pairs: each CJK character and each Latin word is one token."""
    return [(tok, idx) for idx, word in enumerate(words) for tok in split_tokens(normalize(word.word))]


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


# --- approximate matching ---------------------------------------------------------------------

WORD_SHARE = 0.5  # share of the word-level score in a match's strength; the rest is the sound level
INSERT_COST = 0.75  # an extra heard token (or sound) costs this much of its own weight
SOUND_EXACT_SCORE = 0.9  # strength of a match that is spelled differently but sounds the same
FUZZY_MIN_WORDS, FUZZY_MIN_CONSONANTS, FUZZY_ANY_CONSONANTS = 3, 4, 8
SOUND_EXACT_MIN_CONSONANTS = 4
CJK_FUZZY_MIN_CHARS = 4
EXACT, SOUND_ONLY, FUZZY = "exact", "sound", "fuzzy"
CONTENT_MIN_SIM = 0.55  # every content word must be heard more alike than a word sharing only its first sound (calling/can 0.5)
# Function words: they carry little of a phrase's identity, so a phrase may be heard without them;
# every other word (the content words: "calling", "problem", "nice", "day") must be heard.
FUNCTION_WORDS = frozenset(
    "a an the and or but so of to for from in on at by with as is are was were be been am do does did "
    "have has had i im me my we our us you your youre youll he she it its itll they them their this that "
    "thats these those there here what whats not no can could will would shall should may might must "
    "just very really oh okay ok well".split()
)


def match_mode(phrase: str) -> str:
    """How loosely `phrase` may be matched: 'exact', 'sound' (same sound key) or 'fuzzy'."""
    tokens = split_tokens(normalize(phrase))
    if not tokens:
        return EXACT
    if any(is_cjk(t[0]) for t in tokens):
        return FUZZY if cjk_count("".join(tokens)) >= CJK_FUZZY_MIN_CHARS else EXACT
    sounds = phonetic.consonants(phonetic.phrase_key(tokens))
    if (len(tokens) >= FUZZY_MIN_WORDS and sounds >= FUZZY_MIN_CONSONANTS) or sounds >= FUZZY_ANY_CONSONANTS:
        return FUZZY
    return SOUND_ONLY if sounds >= SOUND_EXACT_MIN_CONSONANTS else EXACT


class _Tok:
    __slots__ = ("text", "key", "weight", "cjk")

    def __init__(self, text: str):
        self.text = text
        self.cjk = is_cjk(text[0])
        self.key = text if self.cjk else phonetic.sound_key(text)
        self.weight = 1.0 if self.cjk else phonetic.key_weight(self.key)


def _sim(a: _Tok, b: _Tok) -> float:
    if a.text == b.text:
        return 1.0
    if a.cjk or b.cjk:
        return phonetic.char_similarity(a.text, b.text) if a.cjk and b.cjk else 0.0
    return phonetic.key_similarity(a.key, b.key)


def _keys_sim(a: Sequence[_Tok], b: Sequence[_Tok]) -> float:
    if any(t.cjk for t in a) or any(t.cjk for t in b):
        return 0.0
    return phonetic.key_similarity("".join(t.key for t in a), "".join(t.key for t in b))


def word_score(phrase: Sequence[_Tok], heard: Sequence[_Tok]) -> float:
    """Word-level alignment score of `heard` against `phrase` (see the module notes)."""
    m, n = len(phrase), len(heard)
    total = sum(t.weight for t in phrase)
    if not m or not n or total <= 0:
        return 0.0
    inf = float("inf")
    cost = [[inf] * (n + 1) for _ in range(m + 1)]
    cost[0][0] = 0.0
    for i in range(m + 1):
        for j in range(n + 1):
            here = cost[i][j]
            if i == 0 and j == 0:
                continue
            best = here
            if i and j:
                best = min(best, cost[i - 1][j - 1] + phrase[i - 1].weight * (1 - _sim(phrase[i - 1], heard[j - 1])))
            if i:
                best = min(best, cost[i - 1][j] + phrase[i - 1].weight)
            if j:
                best = min(best, cost[i][j - 1] + INSERT_COST * heard[j - 1].weight)
            if i and j >= 2:  # one phrase token heard as two
                split = _keys_sim(phrase[i - 1:i], heard[j - 2:j])
                best = min(best, cost[i - 1][j - 2] + phrase[i - 1].weight * (1 - split))
            if i >= 2 and j:  # two phrase tokens heard as one
                w = phrase[i - 2].weight + phrase[i - 1].weight
                best = min(best, cost[i - 2][j - 1] + w * (1 - _keys_sim(phrase[i - 2:i], heard[j - 1:j])))
            cost[i][j] = best
    return max(0.0, 1.0 - cost[m][n] / total)


def sound_score(phrase: Sequence[_Tok], heard: Sequence[_Tok]) -> float:
    """Sound keys of phrase and heard words run together, compared (Latin only); sounds heard
    in addition cost less, as extra words do at the word level."""
    if any(t.cjk for t in phrase) or any(t.cjk for t in heard):
        return 0.0
    return phonetic.heard_similarity("".join(t.key for t in phrase), "".join(t.key for t in heard), INSERT_COST)


def phrase_similarity(phrase: str, heard: str) -> float:
    """Strength of `heard` as a hearing of `phrase`: 1.0 when equal after normalising."""
    p = [_Tok(t) for t in split_tokens(normalize(phrase))]
    h = [_Tok(t) for t in split_tokens(normalize(heard))]
    if [t.text for t in p] == [t.text for t in h]:
        return 1.0 if p else 0.0
    return _strength(p, h)


def _strength(p: Sequence[_Tok], h: Sequence[_Tok]) -> float:
    words = word_score(p, h)
    if any(t.cjk for t in p):
        return words
    return WORD_SHARE * words + (1 - WORD_SHARE) * sound_score(p, h)


def _heard_text(words: Sequence[Word]) -> str:
    """Words as heard, lower-case, punctuation dropped except apostrophes."""
    parts = []
    for w in words:
        text = unicodedata.normalize("NFKC", w.word).casefold()
        text = "".join(ch if ch in _APOSTROPHES or unicodedata.category(ch)[0] not in "PSCZ" else " "
                       for ch in text)
        parts.extend(text.split())
    return join_tokens(parts)


class ApproxMatcher:
    """The words of one speaker, searched for phrases exactly and approximately."""

    def __init__(self, words: Sequence[Word]):
        self.stream = WordStream(words)
        self.words = self.stream.words
        pairs = word_tokens(self.words)
        self.toks = [_Tok(t) for t, _ in pairs]
        self.owner = [w for _, w in pairs]
        self._char_span: dict[int, tuple[int, int]] = {}
        for pos, idx in enumerate(self.stream._owner):
            if idx >= 0:
                lo, hi = self._char_span.get(idx, (pos, pos + 1))
                self._char_span[idx] = (min(lo, pos), max(hi, pos + 1))

    def _match(self, phrase: str, lo: int, hi: int, score: float) -> PhraseMatch:
        first, last = self.owner[lo], self.owner[hi - 1]
        c0 = self._char_span.get(first, (0, 0))[0]
        c1 = self._char_span.get(last, (0, 0))[1]
        return PhraseMatch(phrase, self.words[first].start, self.words[last].end, first, last, c0, c1,
                           round(score, 3), _heard_text(self.words[first:last + 1]))

    def find(self, phrase: str, min_score: float) -> list[PhraseMatch]:
        """Exact matches (strength 1.0), then the best approximate ones not overlapping them or each other."""
        exact = self.stream.find(phrase)
        mode = match_mode(phrase)
        if mode == EXACT or min_score > 1.0:
            return exact
        ptoks = [_Tok(t) for t in split_tokens(normalize(phrase))]
        m, n = len(ptoks), len(self.toks)
        total = sum(t.weight for t in ptoks)
        taken = [(e.first, e.last) for e in exact]
        candidates: list[tuple[float, int, int]] = []
        if mode == SOUND_ONLY:
            target = phonetic.phrase_key([t.text for t in ptoks])
            for lo in range(n):
                key = ""
                for hi in range(lo + 1, min(n, lo + m + 2) + 1):
                    if self.toks[hi - 1].cjk:
                        break
                    key += self.toks[hi - 1].key
                    if key == target and SOUND_EXACT_SCORE >= min_score:
                        candidates.append((SOUND_EXACT_SCORE, lo, hi))
                    if len(key) >= len(target):
                        break
        else:
            # best similarity of each phrase token to each heard token (or two run together): a bound
            best = [[max(_sim(p, t), _keys_sim([p], self.toks[k:k + 2]) if k + 1 < n else 0.0)
                     for k, t in enumerate(self.toks)] for p in ptoks]
            content = [i for i, p in enumerate(ptoks) if p.cjk or p.text not in FUNCTION_WORDS]
            if all(p.cjk for p in ptoks):
                content = []  # Chinese: the character distance decides alone
            # windows must hold every content word, so they start near where the rarest one is heard
            starts: Iterable[int] = range(n)
            if content:
                heard_at = min(([k for k in range(n) if best[i][k] >= CONTENT_MIN_SIM] for i in content), key=len)
                starts = sorted({lo for k in heard_at for lo in range(max(0, k - m - 1), k + 1)})
            for lo in starts:
                for size in range(max(1, m - 2), m + 3):
                    hi = lo + size
                    if hi > n:
                        break
                    bound = sum(p.weight * max(best[i][lo:hi]) for i, p in enumerate(ptoks)) / total
                    if bound < min_score - 0.1:
                        continue
                    if any(max(best[i][lo:hi]) < CONTENT_MIN_SIM for i in content):
                        continue  # a content word of the phrase is not heard
                    heard = self.toks[lo:hi]
                    score = _strength(ptoks, heard)
                    if score >= min_score:
                        candidates.append((min(score, 0.999), lo, hi))
        out = list(exact)
        for score, lo, hi in sorted(candidates, key=lambda c: (-c[0], c[2] - c[1], c[1])):
            first, last = self.owner[lo], self.owner[hi - 1]
            if any(first <= b and a <= last for a, b in taken):
                continue
            taken.append((first, last))
            out.append(self._match(phrase, lo, hi, score))
        return sorted(out, key=lambda x: (x.char_start, -x.char_end))


def find_phrases_approx(words: Sequence[Word], phrases: Iterable[str], min_score: float) -> list[PhraseMatch]:
    """Exact and approximate occurrences (strength >= `min_score`) of any of `phrases`, in text order."""
    matcher = ApproxMatcher(words)
    found = [m for phrase in phrases for m in matcher.find(phrase, min_score)]
    return sorted(found, key=lambda m: (m.char_start, -m.char_end, -m.score, m.phrase))


def keep_best(matches: Sequence[PhraseMatch]) -> list[PhraseMatch]:
    """One match per stretch of words: exact matches not inside a longer exact match (as before),
    then approximate ones, strongest first, not overlapping anything kept; in text order."""
    kept: list[PhraseMatch] = []
    for m in sorted((m for m in matches if m.exact), key=lambda m: (m.char_start, -m.char_end)):
        if not any(k.char_start <= m.char_start and m.char_end <= k.char_end for k in kept):
            kept.append(m)
    for m in sorted((m for m in matches if not m.exact), key=lambda m: (-m.score, m.last - m.first, m.first)):
        if not any(m.first <= k.last and k.first <= m.last for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: (m.start, m.end))


def sequence_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """How alike two token sequences are, both ways round (1.0 when equal); tokens as from `split_tokens`."""
    if list(a) == list(b):
        return 1.0 if a else 0.0
    ta, tb = [_Tok(t) for t in a], [_Tok(t) for t in b]
    if not ta or not tb:
        return 0.0
    return (_strength(ta, tb) + _strength(tb, ta)) / 2


@functools.lru_cache(maxsize=262144)
def token_similarity(a: str, b: str) -> float:
    """Similarity of two tokens: sound keys for Latin words, homophones for CJK characters."""
    return _sim(_Tok(a), _Tok(b)) if a and b else 0.0
