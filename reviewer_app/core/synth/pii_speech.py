"""Generated calls that say personal data at known times, for the PII tests and benchmark.

A call is a list of lines, each (role, parts): a part is plain text or a `Said` piece of personal
data. Each part is spoken by espeak-ng on its own and the parts follow each other with short
pauses, so the time of every piece of personal data is known exactly. English is spoken as
written; Mandarin with espeak-ng's `cmn-latn-pinyin` voice from pinyin with tone numbers (the
`cmn` voice of the espeak-ng build here reads some characters' tone numbers as English digits,
"ling2" as "ling two", so its digits cannot be trusted).

Digits are read one by one in groups ("four five three two, zero one five one"), as people read a
card out; `digit_words` and `pinyin_digits` write them so.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reviewer_app.core.synth.speech import espeak

MANDARIN_VOICE = "cmn-latn-pinyin"
PART_GAP_S = 0.15  # between the parts of a line
LINE_GAP_S = 0.6  # between lines
_EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_PINYIN_DIGITS = ("ling2", "yao1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")
_HANZI_DIGITS = "零幺二三四五六七八九"


@dataclass(frozen=True)
class Said:
    """Personal data in a line: its kind (domain.PII_KINDS) and the words that say it."""

    kind: str
    text: str


@dataclass(frozen=True)
class SaidAt:
    kind: str
    role: str
    start: float
    end: float


def luhn_complete(prefix: str) -> str:
    """`prefix` with the check digit that makes it pass Luhn's check."""
    from reviewer_app.core.privacy.checksums import luhn_valid

    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


def digit_words(digits: str, group: int = 4, oh: bool = False) -> str:
    """'4532015112830366' -> 'four five three two, zero one five one, ...' (`oh` for zero)."""
    words = [("oh" if oh and d == "0" else _EN_DIGITS[int(d)]) for d in digits if d.isdigit()]
    return ", ".join(" ".join(words[i:i + group]) for i in range(0, len(words), group))


def pinyin_digits(digits: str, group: int = 4) -> str:
    """Digits in pinyin, one as yao1 (as read out on the phone in Mandarin)."""
    words = [_PINYIN_DIGITS[int(d)] for d in digits if d.isdigit()]
    return ", ".join(" ".join(words[i:i + group]) for i in range(0, len(words), group))


def hanzi_digits(digits: str, group: int = 4) -> str:
    """Digits in Chinese characters, one as 幺, in groups: '62281' -> '六二二八，幺'."""
    chars = [_HANZI_DIGITS[int(d)] for d in digits if d.isdigit()]
    return "，".join("".join(chars[i:i + group]) for i in range(0, len(chars), group))


def render_call(lines, roles: tuple[str, ...], rate: int = 8000, voices: dict[str, str] | None = None,
                wpm: int = 150, mandarin: bool = False, speak=None) -> tuple[np.ndarray, list[SaidAt]]:
    """(channels, n) audio with one channel per role (each line on its speaker's channel, silence on
    the other) and where each piece of personal data was said. `speak(text, voice, wpm, rate)` says
    each part (espeak-ng unless given)."""
    voices = voices or {}
    speak = speak or (lambda text, voice, wpm, rate: espeak(text, voice=voice, wpm=wpm, rate=rate))
    chunks: list[tuple[str, np.ndarray]] = []
    truth: list[SaidAt] = []
    t = 0.3
    for role, parts in lines:
        voice = MANDARIN_VOICE if mandarin else voices.get(role, "en-us")
        for k, part in enumerate(parts):
            text = part.text if isinstance(part, Said) else part
            x = speak(text, voice, wpm, rate)
            if isinstance(part, Said):
                truth.append(SaidAt(part.kind, role, round(t, 3), round(t + len(x) / rate, 3)))
            chunks.append((role, x))
            t += len(x) / rate + (PART_GAP_S if k + 1 < len(parts) else LINE_GAP_S)
    return _place(lines, chunks, roles, rate), truth


def _place(lines, chunks, roles, rate) -> np.ndarray:
    total = 0.3 + sum(len(x) / rate for _, x in chunks) + PART_GAP_S * len(chunks) + LINE_GAP_S * len(lines) + 0.5
    out = np.zeros((len(roles), int(total * rate) + 1), dtype=np.float32)
    t, k = 0.3, 0
    for role, parts in lines:
        for j in range(len(parts)):
            _, x = chunks[k]
            a = int(round(t * rate))
            out[roles.index(role), a:a + len(x)] += x.astype(np.float32)
            t += len(x) / rate + (PART_GAP_S if j + 1 < len(parts) else LINE_GAP_S)
            k += 1
    return out
