"""Take personal data out of a transcript and out of the audio, given where it was found.

Transcript: each word of a span becomes its kind in capitals and brackets ("[CARD]"); inside a
Chinese word only the characters of the span are replaced ("卡号是[CARD]"). A turn's text is rebuilt
from its words, with a run of the same mark said once. Word times stay, so the spans still point
at the right words.

Audio: each span, widened by `padding_s` on each side and clipped to the call, is muted or replaced
by a tone (TONE_HZ at TONE_DBFS), on every channel: a channel's words can leak into the other side
on a phone line. Each interval is silent (or tone) throughout; the sound fades out over FADE_S just
before it and back in just after, so the cut makes no click. Length, sample rate and
channels stay as they were.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from reviewer_app.core.detect.text import is_cjk
from reviewer_app.core.domain import Interval, PiiSpan, Turn, Word
from reviewer_app.core.intervals import merge
from reviewer_app.core.privacy.detect import channel_words, find_pii

MUTE, TONE = "mute", "tone"
MODES = (MUTE, TONE)
TONE_HZ = 1000.0
TONE_DBFS = -20.0
FADE_S = 0.005


def mark(kind: str) -> str:
    return f"[{kind.upper()}]"


def redact_turns(turns: Sequence[Turn], spans: Sequence[PiiSpan]) -> list[Turn]:
    """The transcript with every span's words replaced by its kind."""
    new_text: dict[tuple[str, int], str] = {}
    words_of = channel_words(turns)
    for span in spans:
        words = words_of.get(span.role, [])
        for idx in range(span.first, min(span.last, len(words) - 1) + 1):
            text = new_text.get((span.role, idx), words[idx].word)
            lo = span.char_start if idx == span.first and span.char_start >= 0 else 0
            hi = span.char_end if idx == span.last and span.char_end >= 0 else len(words[idx].word)
            if lo == 0 and hi >= len(words[idx].word):
                text = mark(span.kind)
            elif text == words[idx].word:  # a Chinese word with other characters: replace the span's
                text = text[:lo] + mark(span.kind) + text[hi:]
            else:  # a second span in the same word (already marked): the whole word goes
                text = mark(span.kind)
            new_text[(span.role, idx)] = text
    base_of: dict[int, int] = {}  # each turn's first word in its channel (channel_words' order)
    position = {role: 0 for role in words_of}
    for k, turn in sorted(enumerate(turns), key=lambda kt: (kt[1].start, kt[1].end)):
        base_of[k] = position[turn.role]
        position[turn.role] += len(turn.words)
    out: list[Turn] = []
    for n, turn in enumerate(turns):
        base = base_of[n]
        changed = [Word(new_text.get((turn.role, base + k), w.word), w.start, w.end, w.prob)
                   for k, w in enumerate(turn.words)]
        if changed == list(turn.words):
            out.append(turn)
        else:
            out.append(replace(turn, words=tuple(changed), text=_join(w.word for w in changed)))
    return out


_REPEATED_MARK = re.compile(r"(\[[A-Z_]+\])(?:\s*\1)+")


def _join(words) -> str:
    """Words back to a turn's text: spaces between Latin words, a repeated mark said once."""
    text = ""
    for word in words:
        if text and word and not (is_cjk(text[-1]) or is_cjk(word[0])):
            text += " "
        text += word
    return _REPEATED_MARK.sub(r"\1", text)


def redaction_intervals(spans: Sequence[PiiSpan], padding_s: float, duration_s: float) -> list[Interval]:
    """The stretches of audio to remove: spans widened by the padding, clipped, overlaps joined."""
    raw = [(max(0.0, s.start - padding_s), min(duration_s, s.end + padding_s)) for s in spans]
    return merge([(a, b) for a, b in raw if b > a])


def redact_samples(samples: np.ndarray, rate: int, intervals: Sequence[Interval], mode: str = MUTE) -> np.ndarray:
    """A copy of `samples` ((channels, n) float) with each interval muted or replaced by a tone."""
    if mode not in MODES:
        raise ValueError(f"redaction mode must be one of {', '.join(MODES)}, got {mode!r}")
    out = np.array(samples, dtype=np.float32, copy=True)
    n = out.shape[-1]
    fade = max(1, int(round(FADE_S * rate)))
    keep = np.ones(n, dtype=np.float32)  # how much of the original stays: 0 inside, ramps just outside
    down = np.linspace(1.0, 0.0, fade + 2, dtype=np.float32)[1:-1]  # fade samples, 1 > ... > 0
    for start, end in intervals:
        a, b = max(0, int(np.floor(start * rate))), min(n, int(np.ceil(end * rate)))
        if b <= a:
            continue
        keep[a:b] = 0.0
        lo, hi = max(0, a - fade), min(n, b + fade)
        keep[lo:a] = np.minimum(keep[lo:a], down[fade - (a - lo):])
        keep[b:hi] = np.minimum(keep[b:hi], down[::-1][:hi - b])
    changed = np.flatnonzero(keep < 1.0)
    if changed.size == 0:
        return out
    a, b = int(changed[0]), int(changed[-1]) + 1
    out[..., a:b] *= keep[a:b]
    if mode == TONE:
        t = np.arange(a, b) / rate
        tone = (10 ** (TONE_DBFS / 20) * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
        out[..., a:b] += tone * (1.0 - keep[a:b])
    return out


def redact_transcript(turns: Sequence[Turn], patterns: Sequence[str] = ()) -> tuple[list[Turn], list[PiiSpan]]:
    """The transcript with its personal data replaced by kinds, and where that data was."""
    spans = find_pii(turns, patterns)
    return (redact_turns(turns, spans) if spans else list(turns)), spans


def kind_counts(spans: Sequence[PiiSpan]) -> dict[str, int]:
    """How many spans of each kind: what the audit log keeps of a redaction."""
    counts: dict[str, int] = {}
    for span in spans:
        counts[span.kind] = counts.get(span.kind, 0) + 1
    return dict(sorted(counts.items()))
