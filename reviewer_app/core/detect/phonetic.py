"""A rough sound key for English words, and similarities between words and keys.

Whisper's errors are mostly words that sound like what was said ("that's not
my problem" -> "that's in my problem", "have a nice day" -> "have on the next
day"), so lexicon phrases are compared by sound as well as by spelling.

`sound_key` turns a written word into a string of sound symbols with simple
spelling rules (no dictionary):

* every run of vowel letters becomes one ``a`` (vowel quality is what English
  spelling and telephone ASR get wrong most, so it is not kept);
* digraphs become one symbol: ``th`` -> ``T``, ``sh`` -> ``S``, ``ch``/``tch`` -> ``C``,
  ``ph`` -> ``f``, ``ck`` -> ``k``, ``ng`` -> ``N``, ``qu`` -> ``kw``, ``dge``/final ``ge`` -> ``J``,
  ``ti``/``si`` before a vowel -> ``S``; ``c`` is ``s`` before e/i/y and ``k`` elsewhere;
  ``x`` is ``ks`` (``s`` at the start); ``z`` is ``s``;
* silent letters go: initial ``k``/``g``/``p`` of kn/gn/pn/ps, ``w`` of wr, ``h``
  of wh, ``gh`` after a vowel, ``b`` of final mb, a final ``e`` after a
  consonant when the word has an earlier vowel, ``h`` not before a vowel;
* ``w`` and ``y`` after a vowel are part of it ("day", "now");
* doubled letters count once.

`key_similarity` is 1 minus a weighted edit distance over the larger key's
weight: vowels and ``h`` weigh 0.5 (they are reduced or dropped in fast
speech), consonants 1; swapping two consonants that differ only in voicing or
place (b/p, d/t, g/k, f/v, s/z/S, m/n, ...) costs half.
"""
from __future__ import annotations

import functools
import unicodedata

VOWEL = "a"
SILENT_E = "_"
_VOWEL_LETTERS = frozenset("aeiou")
_WEAK = frozenset({VOWEL, "h"})  # cheap to insert or delete
_NEAR_PAIRS = (
    "bp", "dt", "tT", "dT", "gk", "fv", "fT", "sz", "sS", "CS", "CJ", "JS", "zS", "mn", "nN", "wv",
)
_NEAR = frozenset(frozenset(p) for p in _NEAR_PAIRS)


def _ascii_letters(word: str) -> str:
    """Lower-case letters and digits of `word`, accents removed."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if ("a" <= ch <= "z") or ch.isdigit())


def _is_vowel(s: str, i: int) -> bool:
    """Whether the letter at i sounds as (part of) a vowel."""
    ch = s[i]
    if ch in _VOWEL_LETTERS:
        return True
    if ch == "y":  # a consonant only before a vowel at a word or syllable start ("you", "beyond", not "bye")
        before_vowel = i + 1 < len(s) and s[i + 1] in _VOWEL_LETTERS
        return not (before_vowel and (i == 0 or s[i - 1] in _VOWEL_LETTERS))
    if ch == "w":  # "now", "saw", "new": part of the vowel before it
        return i > 0 and s[i - 1] in _VOWEL_LETTERS and not (i + 1 < len(s) and s[i + 1] in _VOWEL_LETTERS)
    return False


def _strip_silent(s: str) -> str:
    for prefix, keep in (("kn", "n"), ("gn", "n"), ("pn", "n"), ("ps", "s"), ("wr", "r"), ("wh", "w")):
        if s.startswith(prefix):
            s = keep + s[2:]
            break
    if s.startswith("x"):
        s = "s" + s[1:]
    if len(s) > 2 and s.endswith("mb"):
        s = s[:-1]
    # final silent e: "have", "nice", "care" (not "the", "be", "free")
    if len(s) > 2 and s[-1] == "e" and s[-2] not in _VOWEL_LETTERS and s[-2] not in "l" \
            and any(c in _VOWEL_LETTERS or c == "y" for c in s[:-2]):
        s = s[:-1] + SILENT_E  # kept as a mark: it softens c and g ("nice", "age")
    return s


@functools.lru_cache(maxsize=65536)
def sound_key(word: str) -> str:
    """The sound symbols of one written English word (see the module notes); digits are kept."""
    s = _strip_silent(_ascii_letters(word))
    out: list[str] = []

    def emit(sym: str) -> None:
        if out and out[-1] == sym:  # doubled letters and merged vowel runs count once
            return
        out.append(sym)

    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        nxt = s[i + 1] if i + 1 < n else ""
        nxt2 = s[i + 2] if i + 2 < n else ""
        if ch == SILENT_E:
            pass
        elif ch.isdigit():
            out.append(ch)
        elif _is_vowel(s, i):
            emit(VOWEL)
        elif ch == "t" and nxt == "h":
            emit("T"); i += 1
        elif ch == "t" and nxt == "c" and nxt2 == "h":
            emit("C"); i += 2
        elif ch in "ts" and nxt == "i" and nxt2 in _VOWEL_LETTERS and nxt2 and i > 0:
            emit("S"); i += 1  # nation, mission: the i is part of the sh sound
        elif ch == "s" and nxt == "h":
            emit("S"); i += 1
        elif ch == "s" and nxt == "c" and nxt2 == "h":
            emit("s"); emit("k"); i += 2
        elif ch == "c" and nxt == "h":
            emit("C"); i += 1
        elif ch == "c" and nxt == "k":
            emit("k"); i += 1
        elif ch == "c":
            emit("s" if nxt in ("e", "i", "y", SILENT_E) else "k")
        elif ch == "p" and nxt == "h":
            emit("f"); i += 1
        elif ch == "g" and nxt == "h":
            if i == 0:
                emit("g")
            i += 1  # "night", "though", "daughter": silent
        elif ch == "d" and nxt == "g" and nxt2 in ("e", SILENT_E):
            emit("J"); i += 1
        elif ch == "g" and nxt == SILENT_E:
            emit("J")
        elif ch == "n" and nxt == "g" and not (nxt2 and nxt2 in _VOWEL_LETTERS):
            emit("N"); i += 1
        elif ch == "q":
            emit("k")
            if nxt == "u":
                emit("w"); i += 1
        elif ch == "x":
            emit("k"); emit("s")
        elif ch == "z":
            emit("s")
        elif ch == "j":
            emit("J")
        elif ch == "h":
            if nxt and _is_vowel(s, i + 1):
                emit("h")
        elif ch in "wy":
            emit(ch)
        else:
            emit(ch)
        i += 1
    return "".join(out)


def phrase_key(words: list[str]) -> str:
    """The sound keys of several words run together (word boundaries are not heard)."""
    return "".join(sound_key(w) for w in words)


def _indel(sym: str) -> float:
    return 0.5 if sym in _WEAK else 1.0


def _sub(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if frozenset((a, b)) in _NEAR:
        return 0.5
    return 1.0


def key_weight(key: str) -> float:
    """How much a key counts: consonants 1, vowels and h 0.5; at least 0.5."""
    return max(0.5, sum(_indel(c) for c in key))


def key_distance(a: str, b: str, extra_b: float = 1.0) -> float:
    """Weighted edit distance between two sound keys; a symbol only in `b` costs `extra_b` times its weight."""
    prev = [0.0]
    for ch in b:
        prev.append(prev[-1] + extra_b * _indel(ch))
    for ca in a:
        cur = [prev[0] + _indel(ca)]
        for j, cb in enumerate(b):
            cur.append(min(prev[j] + _sub(ca, cb), prev[j + 1] + _indel(ca), cur[j] + extra_b * _indel(cb)))
        prev = cur
    return prev[-1]


@functools.lru_cache(maxsize=262144)
def key_similarity(a: str, b: str) -> float:
    """1.0 for the same key, falling to 0.0 as the weighted edit distance reaches the larger weight."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    return max(0.0, 1.0 - key_distance(a, b) / max(key_weight(a), key_weight(b)))


@functools.lru_cache(maxsize=65536)
def heard_similarity(said: str, heard: str, extra: float = 0.5) -> float:
    """How well the key `heard` renders `said`: sounds heard in addition cost only `extra` of their weight."""
    if said == heard:
        return 1.0
    if not said or not heard:
        return 0.0
    return max(0.0, 1.0 - key_distance(said, heard, extra) / key_weight(said))


def consonants(key: str) -> int:
    """Consonant symbols in a key: how much sound a phrase has to be recognised by."""
    return sum(1 for c in key if c not in _WEAK)


# --- Chinese -------------------------------------------------------------------------------------
# Characters Mandarin ASR swaps because they sound the same or nearly so. Small and hand-written:
# each group is characters read alike; substituting inside a group costs HOMOPHONE_COST.
_HOMOPHONE_GROUPS = (
    "的得地", "在再", "他她它", "做作坐座", "那哪", "吗嘛么", "买卖迈", "关管官", "是事市式试示世",
    "您你", "以已", "到道", "就旧", "和合", "知只之直", "话化画", "电店点", "服福", "务物误", "意义议易",
    "请清情轻", "问闻文", "题提", "您恁", "好号", "谢些写", "再在载", "见件建间", "帮邦", "助住注",
    "听停", "懂动东", "闭必毕", "嘴最罪", "快块", "乐了", "愉于鱼与语雨", "活火或", "致至制",
    "迎营赢", "欢还换", "兴行形型", "为位未", "其期起", "他它", "有又右由", "没美每", "不布步部",
)
HOMOPHONE_COST = 0.25
_HOMOPHONES: dict[str, frozenset[str]] = {}
for _group in _HOMOPHONE_GROUPS:
    for _ch in _group:
        _HOMOPHONES[_ch] = _HOMOPHONES.get(_ch, frozenset()) | frozenset(_group)


def char_similarity(a: str, b: str) -> float:
    """1 for the same character, 0.75 for a listed homophone, else 0."""
    if a == b:
        return 1.0
    if b in _HOMOPHONES.get(a, ()):
        return 1.0 - HOMOPHONE_COST
    return 0.0


def syllables(word: str) -> int:
    """Syllables of a written English word, estimated as its vowel sounds (at least 1)."""
    return max(1, sound_key(word).count(VOWEL))
