"""Find personal data in a transcript, per channel, with the time of the words that hold it.

Numbers read out (pieces.py turns the words into digits, weak digits, fillers and breaks) are
joined into runs: digits and weak digits with at most MAX_GAP_S between their words, fillers
allowed between them. A weak digit counts only between others; a run needs MIN_RUN_DIGITS digits.
Each run is then judged by its length, its check digits and the cue words just before it
(within CUE_WORDS words, a Chinese character counting as half a word, or in the run's own words, or said by the other side in the CUE_ASKED_S
before it: "can I have your card number?"; a cue in the REFERENCE_WORDS right before the run is
tried first, so "the account number is ..." is an account even after a card was asked for):

* card: 13-19 digits passing Luhn's check; or at least 10 digits after a card cue ("card",
  "visa", "卡号"), or 12-20 after the plain cue "number", whatever the check says (ASR garbles and
  drops read-out digits); 3-4 digits after a security-code cue ("cvv", "security code");
* cn_id: 18 characters (the last may be X) passing ISO 7064 MOD 11-2, or 15-18 after "身份证" /
  "ID number";
* account: 6 or more digits after an account cue ("account", "sort code", "账号");
* id: 6 or more after "social security", "passport", "national insurance";
* phone: 7-15 digits after a phone cue ("phone", "mobile", "电话", "手机"); without a cue, only
  written digits shaped like a phone number (a leading "+", a Chinese mobile 1[3-9] + 9 digits, or
  10-11 digits starting with 0);
* card again: any other run of 14-19 digits (at least 70% sure ones), unless a reference cue
  ("order", "ticket", "price", "订单") in the REFERENCE_WORDS before it says what it is: a read-out
  card whose cue was misheard too;
* number: any other run of 9 or more digits, unless a reference cue says what it is.

A number read out after its cue may be heard with a few other words among its digits ("42M and 1
is 814M and 0 is 024932M"): runs at most LOOSE_WORDS words apart are joined, runs of two or more
sound-alikes ("I'm free Nero") among them, and the whole is a card, account or phone number when its
cue says so and it holds enough digits, 3 of them sure and half its pieces digit-like.

E-mail addresses are found written ("ana.li@example.com") and spoken ("ana dot li at example dot
com"), or as a known ending after "dot" when an e-mail cue was said just before; IBANs written
or spelled out, by their country's length and MOD 97 check (or after the cue "IBAN"); and each
custom pattern (`[privacy] patterns`, Python regular expressions) on the channel's words joined by
spaces. Where two hits overlap the more specific kind wins (the order of domain.PII_KINDS).

Ordinary numbers are left alone: a number next to an amount or time ("2 people", "$12.50", "3:30",
"5 minutes") is never part of a run, and a short number ("order 44729") is below every length.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reviewer_app.core.detect import phonetic
from reviewer_app.core.detect.text import is_cjk, normalize
from reviewer_app.core.domain import PII_KINDS, PiiSpan, Turn, Word
from reviewer_app.core.privacy import pieces as pc
from reviewer_app.core.privacy.checksums import cn_id_valid, iban_valid, luhn_valid

MAX_GAP_S = 1.5  # longest pause inside a number read out
MIN_RUN_DIGITS = 3
EMAIL_LOCAL_PIECES = 4  # the name before "at" is at most this many pieces ("john dot smith")
EMAIL_CUED_PIECES = 9  # an address without its "at" (see _cued_email_hits) is at most this long
_EMAIL_CUE_STOP = frozenset({"is", "its", "it", "email", "mail", "address", "my", "this", "thats", "sure", "yes"})
CUE_WORDS = 8  # how far before a run a cue word is looked for
REFERENCE_WORDS = 4  # a reference cue ("order", "ticket") names only a number this close after it
LOOSE_WORDS = 2  # other words a cued read-out may hold between its digits (see _cued_read_outs)
LOOSE_MIN_DIGITS = {"card": 10, "account": 6, "phone": 7}
LOOSE_DENSITY = 0.5  # share of a loosely heard read-out's pieces that are digits or weak digits
CUE_ASKED_S = 12.0  # how far back the other side's question counts as the cue

_CUES = {
    "card": ("card", "credit", "debit", "visa", "mastercard", "master card", "amex", "american express",
             "卡号", "信用卡", "银行卡", "借记卡", "卡"),
    "security": ("cvv", "cvc", "security code", "three digits on the back", "安全码"),
    "cn_id": ("身份证", "id number", "identity number", "id card"),
    "account": ("account", "acct", "sort code", "routing", "账号", "账户", "帐号", "帐户"),
    "id": ("social security", "ssn", "passport", "national insurance", "driver", "护照"),
    "phone": ("phone", "mobile", "cell", "telephone", "call me", "call you back", "reach me", "contact number",
              "电话", "手机", "号码", "联系"),
    "iban": ("iban",),
    "email": ("email", "e mail", "mail address", "邮箱", "电子邮件"),
    "number": ("number", "digits"),
    "reference": ("order", "reference", "ref", "ticket", "case", "invoice", "confirmation", "tracking",
                  "price", "cost", "costs", "balance", "total", "amount", "fee", "bill", "价格", "金额", "余额",
                  "booking", "claim", "订单", "单号", "工单", "快递"),
}
_EMAIL_TLDS = ("com", "net", "org", "edu", "gov", "io", "co", "uk", "cn", "de", "fr", "info", "biz", "me")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_AT = frozenset({"at", "@", "艾特"})
_DOT = frozenset({"dot", "点", "."})
_EMAIL_STOP = frozenset({"my", "email", "e", "mail", "address", "is", "its", "it", "the", "to", "send", "me",
                         "at", "and", "so", "oh", "yes", "邮箱", "是", "我的", "地址"})
_PRIORITY = {kind: i for i, kind in enumerate(PII_KINDS)}


@dataclass(frozen=True)
class _Hit:
    kind: str
    first_piece: int
    last_piece: int


def channel_words(turns: Sequence[Turn]) -> dict[str, list[Word]]:
    """Each role's words, all its turns in time order: the words PiiSpan.first/last index."""
    by_role: dict[str, list[Word]] = {}
    for turn in sorted(turns, key=lambda t: (t.start, t.end)):
        by_role.setdefault(turn.role, []).extend(turn.words)
    return by_role


def find_pii(turns: Sequence[Turn], patterns: Sequence[str] = ()) -> list[PiiSpan]:
    """Personal data in every channel of the transcript, in time order."""
    compiled = compile_patterns(patterns)
    spans: list[PiiSpan] = []
    by_role = channel_words(turns)
    for role, words in by_role.items():
        others = sorted((w for r, ws in by_role.items() if r != role for w in ws), key=lambda w: w.start)
        spans.extend(find_in_words(words, role, compiled, others))
    return sorted(spans, key=lambda s: (s.start, s.role, s.end))


def compile_patterns(patterns: Iterable[str]) -> list[re.Pattern]:
    """The custom patterns, compiled (settings.py checks them when the settings are read)."""
    return [p if isinstance(p, re.Pattern) else re.compile(p, re.IGNORECASE) for p in patterns]


def find_in_words(words: Sequence[Word], role: str, patterns: Sequence[re.Pattern] = (),
                  others: Sequence[Word] = ()) -> list[PiiSpan]:
    """Personal data in one channel's words; `others`: the other side's words, where the question
    that cues an answer is said ("can I have your card number?")."""
    if not words:
        return []
    patterns = compile_patterns(patterns)
    ps = pc.word_pieces(words)
    spelled = _email_hits(words, ps, others) + _iban_hits(ps)
    hits = _number_hits(words, ps, others, spelled) + spelled
    spans = [_span(h, role, words, ps) for h in hits]
    spans += _pattern_spans(words, role, patterns)
    return resolve_spans(spans)


# --- numbers read out -------------------------------------------------------------------------

def _runs(words: Sequence[Word], ps: Sequence[pc.Piece], weak_only_too: bool = False) -> list[list[int]]:
    """Indices of the digit and weak-digit pieces of each run that holds a sure digit (with
    `weak_only_too`, of runs of two or more weak digits alone as well: "I'm free Nero", not "to")."""
    runs: list[list[int]] = []
    current: list[int] = []

    def close() -> None:
        if any(ps[i].kind == pc.DIGITS for i in current) or weak_only_too and len(current) >= 2:
            runs.append(list(current))
        current.clear()

    for i, p in enumerate(ps):
        if p.kind in (pc.DIGITS, pc.WEAK):
            if current:
                prev = ps[current[-1]]
                if p.word != prev.word and words[p.word].start - words[prev.word].end > MAX_GAP_S:
                    close()
            current.append(i)
        elif p.kind == pc.FILLER:
            continue
        else:
            close()
    close()
    return runs


def _cue_text(words: Sequence[Word], first_word: int, last_word: int, others: Sequence[Word]) -> str:
    """Where a run's cue is said: the normalised words just before it and its own words, and the
    other side's words in the CUE_ASKED_S before it."""
    lo = _words_back(words, first_word, CUE_WORDS)
    start = words[first_word].start
    asked = [w for w in others if start - CUE_ASKED_S <= w.end and w.start <= start]
    own = " ".join(normalize(w.word) for w in words[lo:last_word + 1])
    return " " + " ".join(normalize(w.word) for w in asked) + " | " + own + " "


def _words_back(words: Sequence[Word], first_word: int, n: int) -> int:
    """The index `n` words before `first_word`, a Chinese character counting as half a word: ASR
    writes Chinese a character a word, and 手机号码 is one cue, not four words."""
    lo, budget = first_word, float(n)
    while lo > 0 and budget > 0:
        lo -= 1
        text = words[lo].word
        chinese = any(is_cjk(c) for c in text) and not any(c.isalnum() and not is_cjk(c) for c in text)
        budget -= 0.5 if chinese else 1.0
    return lo


def _has_cue(text: str, kind: str) -> bool:
    for cue in _CUES[kind]:
        if is_cjk(cue[0]):
            if _said_alike(cue, text.replace(" ", "")):
                return True
        elif f" {cue} " in text or f" {cue}s " in text:
            return True
    return False


def names_cue(text: str, kinds: Iterable[str]) -> bool:
    """Whether normalised `text` (with a space at each end) says a cue of one of `kinds`."""
    return any(_has_cue(text, kind) for kind in kinds)


def _said_alike(cue: str, text: str) -> bool:
    """A Chinese cue in `text`, each character the same or a listed homophone (卡号 heard as 卡好)."""
    n = len(cue)
    return any(all(phonetic.char_similarity(c, t) > 0 for c, t in zip(cue, text[i:i + n]))
               for i in range(len(text) - n + 1))


def _near_text(words: Sequence[Word], first_word: int, last_word: int) -> str:
    """The words right before a run (REFERENCE_WORDS) and its own: where "order", "ticket" name it."""
    lo = _words_back(words, first_word, REFERENCE_WORDS)
    return " " + " ".join(normalize(w.word) for w in words[lo:last_word + 1]) + " "


def _judge(digits: str, strong: int, written: bool, plus: bool, cue: str, near: str) -> str | None:
    """The kind of a run of `digits` (with `strong` sure digits), or None for an ordinary number."""
    n = len(digits)
    sure = UNKNOWN not in digits and strong == n

    def said(kind: str) -> bool:
        return _has_cue(cue, kind)

    if n == 18 and sure and cn_id_valid(digits) or (said("cn_id") and 15 <= n <= 18):
        return "cn_id"
    if 13 <= n <= 19 and UNKNOWN not in digits and luhn_valid(digits):
        return "card"
    if _has_cue(near, "reference"):
        return None
    cued = [("card", n >= 10), ("security", 3 <= n <= 4), ("account", n >= 6), ("id", n >= 6),
            ("phone", 7 <= n <= 15)]
    cued.sort(key=lambda rule: not _has_cue(near, rule[0]))  # the cue said right before it first
    for kind, fits in cued:
        if fits and said(kind):
            return "card" if kind == "security" else kind
    if said("number") and 12 <= n <= 20:
        return "card"
    if 14 <= n <= 19 and strong >= 0.7 * n:  # a card read out and misheard, its cue lost with it
        return "card"
    if written and sure and (plus and 8 <= n <= 15 or n == 11 and re.match(r"1[3-9]", digits)
                             or n in (10, 11) and digits[0] == "0"):
        return "phone"
    if n >= 9 and strong >= 0.7 * n:
        return "number"
    return None


UNKNOWN = pc.UNKNOWN_DIGIT


def _number_hits(words: Sequence[Word], ps: Sequence[pc.Piece], others: Sequence[Word],
                 spelled: list[_Hit]) -> list[_Hit]:
    hits: list[_Hit] = []
    runs = _runs(words, ps)
    for run in runs:
        hits.extend(_judge_run(words, ps, run, others))
    ibans = [h for h in spelled if h.kind == "iban"]  # their digits are no card: the check says so
    hits = [h for h in hits if not any(h.first_piece <= b.last_piece and b.first_piece <= h.last_piece
                                       for b in ibans)]
    taken = [h for h in hits + spelled if h.kind != "number"]  # a vague long number may become more
    loose = pc.with_repeats_weak(words, ps)
    return hits + _cued_read_outs(words, loose, _runs(words, loose, weak_only_too=True), others, taken)


def _loose_cue(cue: str, near: str, kind: str) -> bool:
    """The cue a loosely heard read-out needs: its kind's, or for a card the plain "number" too."""
    if kind == "card":
        return not _has_cue(near, "reference") and (_has_cue(cue, "card") or _has_cue(cue, "number"))
    return _has_cue(cue, kind)


def _cued_read_outs(words: Sequence[Word], ps: Sequence[pc.Piece], runs: list[list[int]],
                    others: Sequence[Word], taken: list[_Hit]) -> list[_Hit]:
    """A number read out after its cue but heard with words in it ("42M and 1 is 814M and 0 is
    024932M", "time free famine 1 8th I'm free Nero famine"): runs, of weak digits alone too, with at
    most LOOSE_WORDS other words between them and short pauses are joined; joined runs holding at
    least LOOSE_MIN_DIGITS[kind] digits, MIN_RUN_DIGITS of them sure, and at least LOOSE_DENSITY of
    their pieces digits, after a cue of that kind are one hit, unless they overlap something already
    found (other than a plain long number)."""
    out: list[_Hit] = []
    group: list[list[int]] = []

    def close() -> None:
        if group and _dense_read_out(ps, group):
            first, last = group[0][0], group[-1][-1]
            digits = sum(len(ps[i].digits) for run in group for i in run)
            cue = _cue_text(words, ps[first].word, ps[last].word, others)
            near = _near_text(words, ps[first].word, ps[last].word)
            kind = next((k for k in LOOSE_MIN_DIGITS if digits >= LOOSE_MIN_DIGITS[k]
                         and _loose_cue(cue, near, k)), None)
            if kind is not None and not any(h.first_piece <= last and first <= h.last_piece for h in taken):
                out.append(_Hit(kind, first, last))
        group.clear()

    for run in runs:
        if group:
            between = [p for p in ps[group[-1][-1] + 1:run[0]] if p.kind == pc.BREAK]
            a, b = ps[group[-1][-1]].word, ps[run[0]].word  # the longest silence between the words there
            pause = max((words[k + 1].start - words[k].end for k in range(a, b)), default=0.0)
            if len(between) > LOOSE_WORDS or pause > MAX_GAP_S:
                close()
        group.append(run)
    close()
    return out


def _dense_read_out(ps: Sequence[pc.Piece], group: list[list[int]]) -> bool:
    """Whether joined runs hold MIN_RUN_DIGITS sure digits and LOOSE_DENSITY digit-like pieces."""
    strong = sum(len(ps[i].digits) for run in group for i in run if ps[i].kind == pc.DIGITS)
    said = [p for p in ps[group[0][0]:group[-1][-1] + 1] if p.kind != pc.FILLER]
    numeric = sum(p.kind in (pc.DIGITS, pc.WEAK) for p in said)
    return strong >= MIN_RUN_DIGITS and numeric >= LOOSE_DENSITY * len(said)


def _trimmings(ps: Sequence[pc.Piece], run: list[int]) -> list[list[int]]:
    """The run without weak digits at both ends, at its start only, at its end only, and whole:
    a weak digit at an edge is as likely a word ("calling for", "to") as a digit."""
    lo, hi = 0, len(run)
    while lo < hi and ps[run[lo]].kind == pc.WEAK:
        lo += 1
    while hi > lo and ps[run[hi - 1]].kind == pc.WEAK:
        hi -= 1
    out = [run[lo:hi], run[lo:], run[:hi], run]
    return [r for k, r in enumerate(out) if r and r not in out[:k]]


def _judge_run(words: Sequence[Word], ps: Sequence[pc.Piece], run: list[int], others: Sequence[Word]) -> list[_Hit]:
    """The run judged without weak digits at its edges; where that finds no more than a long
    number, a weak edge that makes it a card number that checks is taken as a digit ("for 532..."
    with four heard as "for"). The span of a hit takes in the weak edges either way: muting a word
    too many is cheap, a digit left audible is not."""
    variants = _trimmings(ps, run)
    hits = _judge_pieces(words, ps, variants[0], others)
    if not hits and len(variants) > 1:  # weak edges may be digits when a cue says what is read out
        hits = [h for h in _judge_pieces(words, ps, variants[-1], others) if h.kind != "number"]
        if hits:
            return hits
    if all(h.kind == "number" for h in hits):
        for variant in variants[1:]:
            digits = "".join(ps[i].digits for i in variant)
            if 13 <= len(digits) <= 19 and UNKNOWN not in digits and luhn_valid(digits):
                return [_Hit("card", run[0], run[-1])]
    if len(hits) == 1 and (hits[0].first_piece, hits[0].last_piece) == (variants[0][0], variants[0][-1]):
        return [_Hit(hits[0].kind, run[0], run[-1])]
    return hits


def _judge_pieces(words: Sequence[Word], ps: Sequence[pc.Piece], run: list[int], others: Sequence[Word]) -> list[_Hit]:
    digits = "".join(ps[i].digits for i in run)
    strong = sum(len(ps[i].digits) for i in run if ps[i].kind == pc.DIGITS)
    if len(digits) < MIN_RUN_DIGITS:
        return []
    # an 18-character ID may end in X, said or written as a letter after the digits
    after = run[-1] + 1
    if len(digits) == 17 and after < len(ps) and ps[after].text in ("x", "叉", "ex") \
            and cn_id_valid(digits + "X"):
        return [_Hit("cn_id", run[0], after)]
    written = all(ps[i].text.isdigit() for i in run)
    plus = ps[run[0]].symbol_before == "+"
    cue = _cue_text(words, ps[run[0]].word, ps[run[-1]].word, others)
    kind = _judge(digits, strong, written, plus, cue, _near_text(words, ps[run[0]].word, ps[run[-1]].word))
    if kind is not None:
        return [_Hit(kind, run[0], run[-1])]
    if len(digits) > 19:  # two numbers read with a short pause: a card number inside a longer run
        return _card_inside(ps, run)
    return []


def _card_inside(ps: Sequence[pc.Piece], run: list[int]) -> list[_Hit]:
    """A Luhn-valid 16- or 15-digit stretch of whole pieces inside a long run."""
    for size in (16, 15, 19, 13, 14, 17, 18):
        for a in range(len(run)):
            digits = ""
            for b in range(a, len(run)):
                digits += ps[run[b]].digits
                if len(digits) >= size:
                    break
            if len(digits) == size and UNKNOWN not in digits and luhn_valid(digits):
                return [_Hit("card", run[a], run[b])]
    return []


# --- e-mail and IBAN ----------------------------------------------------------------------------

def _email_hits(words: Sequence[Word], ps: Sequence[pc.Piece], others: Sequence[Word]) -> list[_Hit]:
    hits: list[_Hit] = []
    for idx, word in enumerate(words):  # written: one word holds the whole address
        if _EMAIL_RE.search(word.word):
            first = next(i for i, p in enumerate(ps) if p.word == idx) if any(p.word == idx for p in ps) else None
            if first is not None:
                last = max(i for i, p in enumerate(ps) if p.word == idx)
                hits.append(_Hit("email", first, last))
    for i, p in enumerate(ps):  # spoken: local part, "at", domain, "dot", a known ending
        if not (p.text in _AT or p.symbol_before == "@"):
            continue
        end = _email_domain_end(words, ps, i if p.symbol_before == "@" else i + 1)
        if end is None:
            continue
        start, k = i, i - 1
        while k >= 0 and i - k <= EMAIL_LOCAL_PIECES and ps[k].text not in _EMAIL_STOP \
                and words[ps[k + 1].word].start - words[ps[k].word].end <= MAX_GAP_S:
            start, k = k, k - 1
        if start < i or p.symbol_before == "@":
            hits.append(_Hit("email", start, end))
    return hits + _cued_email_hits(words, ps, others, hits)


def _cued_email_hits(words: Sequence[Word], ps: Sequence[pc.Piece], others: Sequence[Word],
                     found: list[_Hit]) -> list[_Hit]:
    """An address whose "at" was misheard ("anna dot lee at example dot org" heard as "and a dot
    three, and it's mental dot org"): a known ending after "dot", with an e-mail cue said just
    before (by either side); the span runs back to the cue, at most EMAIL_CUED_PIECES pieces."""
    hits: list[_Hit] = []
    for k, piece in enumerate(ps):
        written_dot = piece.char_start > 0 and words[piece.word].word[piece.char_start - 1] == "."
        if piece.text not in _EMAIL_TLDS or k == 0 or not (ps[k - 1].text in _DOT or written_dot):
            continue
        if any(h.first_piece <= k <= h.last_piece for h in found + hits):
            continue
        start = k - 1
        while start > 0 and k - start < EMAIL_CUED_PIECES and ps[start - 1].text not in _EMAIL_CUE_STOP \
                and words[ps[start].word].start - words[ps[start - 1].word].end <= MAX_GAP_S:
            start -= 1
        if start <= k - (1 if written_dot else 3) and _has_cue(_cue_text(words, ps[start].word, piece.word, others),
                                                              "email"):
            hits.append(_Hit("email", start, k))
    return hits


def _email_domain_end(words: Sequence[Word], ps: Sequence[pc.Piece], j: int) -> int | None:
    """The piece ending a domain from piece `j` ("gmail dot com", "gmail.com"), or None: a known
    ending said after "dot" or written after a full stop, within a few pieces."""
    for k in range(j + 1, min(len(ps), j + 7)):
        piece = ps[k]
        if piece.text in _EMAIL_STOP or not piece.text.isalnum():
            return None
        text = words[piece.word].word
        dotted = ps[k - 1].text in _DOT or (piece.char_start > 0 and text[piece.char_start - 1] == ".")
        if piece.text in _EMAIL_TLDS and dotted:
            return k
    return None


_IBAN_START = re.compile(r"[A-Z]{2}[0-9]{2}")
# The length of each country's IBAN (SWIFT IBAN registry): a check that passes by chance at another
# length, or for letters that are no country, is not an IBAN.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GI": 23, "GL": 18, "GR": 27, "HR": 21,
    "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
    "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TR": 26,
}


def _iban_hits(ps: Sequence[pc.Piece]) -> list[_Hit]:
    """IBANs written or spelled out: pieces run together, checked by MOD 97 (or after "iban")."""
    hits: list[_Hit] = []
    text, owner = "", []
    for i, p in enumerate(ps):
        if p.text.isascii() and p.text.isalnum():
            chunk = p.digits if p.kind == pc.DIGITS and not p.text.isdigit() else p.text.upper()
            text += chunk
            owner.extend([i] * len(chunk))
    starts = {0} | {k for k in range(1, len(owner)) if owner[k] != owner[k - 1]}
    pos = 0
    while pos < len(text):
        m = _IBAN_START.match(text, pos)
        if pos not in starts or m is None:
            pos += 1
            continue
        ends = [e for e in range(min(len(text), pos + 34), pos + 14, -1)
                if e == len(text) or owner[e] != owner[e - 1]]  # an IBAN ends where a piece ends
        length = IBAN_LENGTHS.get(text[pos:pos + 2])
        found = next((e for e in ends if e - pos == length and iban_valid(text[pos:e])), None)
        if found is None and "IBAN" in text[max(0, pos - 12):pos]:
            found = _iban_said_end(ps, owner, pos, ends)
        if found is None:
            pos += 1
            continue
        hits.append(_Hit("iban", owner[pos], owner[found - 1]))
        pos = found
    return hits


def _iban_said_end(ps: Sequence[pc.Piece], owner: list[int], pos: int, ends: list[int]) -> int | None:
    """After the cue "IBAN", an IBAN that does not check: the pieces from `pos` while each holds a
    digit or is a group of at most 4 letters (as IBANs are written and read)."""
    last = owner[pos]
    while last + 1 < len(ps) and (ps[last + 1].kind == pc.DIGITS or
                                   ps[last + 1].text.isascii() and ps[last + 1].text.isalpha()
                                   and len(ps[last + 1].text) <= 4):
        last += 1
    candidates = [e for e in ends if owner[e - 1] <= last]
    return candidates[0] if candidates else None


# --- custom patterns and the spans --------------------------------------------------------------

def _pattern_spans(words: Sequence[Word], role: str, patterns: Sequence[re.Pattern]) -> list[PiiSpan]:
    if not patterns:
        return []
    text, owner = "", []
    for idx, word in enumerate(words):
        if text:
            text += " "
            owner.append(-1)
        text += word.word
        owner.extend([idx] * len(word.word))
    spans = []
    for pattern in patterns:
        for m in pattern.finditer(text):
            inside = [owner[k] for k in range(m.start(), m.end()) if owner[k] >= 0]
            if inside:
                spans.append(PiiSpan("custom", role, words[inside[0]].start, words[inside[-1]].end,
                                     inside[0], inside[-1]))
    return spans


def _span(hit: _Hit, role: str, words: Sequence[Word], ps: Sequence[pc.Piece]) -> PiiSpan:
    first, last = ps[hit.first_piece], ps[hit.last_piece]
    char_start = first.char_start if any(is_cjk(c) for c in words[first.word].word) else -1
    char_end = last.char_end if any(is_cjk(c) for c in words[last.word].word) else -1
    return PiiSpan(hit.kind, role, words[first.word].start, words[last.word].end, first.word, last.word,
                   char_start, char_end)


def resolve_spans(spans: list[PiiSpan]) -> list[PiiSpan]:
    """One channel's overlapping hits: the more specific kind stays; hits of one kind that overlap are joined."""
    kept: list[PiiSpan] = []
    for s in sorted(spans, key=lambda s: (_PRIORITY[s.kind], s.start)):
        clash = [k for k in kept if s.first <= k.last and k.first <= s.last]
        if not clash:
            kept.append(s)
        elif all(k.kind == s.kind for k in clash) and len(clash) == 1:
            k = clash[0]
            if (s.first, s.char_start) < (k.first, k.char_start) or (s.last, s.char_end) > (k.last, k.char_end):
                kept.remove(k)
                lo, hi = (s, k) if (s.first, s.char_start) <= (k.first, k.char_start) else (k, s)
                lo2, hi2 = (s, k) if (s.last, s.char_end) >= (k.last, k.char_end) else (k, s)
                kept.append(PiiSpan(s.kind, s.role, min(s.start, k.start), max(s.end, k.end),
                                    lo.first, lo2.last, lo.char_start, lo2.char_end))
    return sorted(kept, key=lambda s: (s.start, s.end))
