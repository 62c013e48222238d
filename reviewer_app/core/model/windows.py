"""Candidate windows of a call and the labels a window gets from reviewed segments.

Per channel: sliding windows (WINDOW_S long, every HOP_S, the last one ending
at the call's end) and every transcript turn of that channel's speaker (turns
longer than MAX_WINDOW_S are cut at word boundaries). A window carries the
words whose middle falls inside it, as Whisper tokenizer ids.

Labels: a window is positive for a category when a human-confirmed segment
(confirmed, edited, added) of a compatible role covers at least half of the
window or half of the segment; a smaller overlap leaves it unknown. It is
negative when a rejected segment covers half of it, or when the call is
reviewed and nothing of that category is there (predictions a reviewer left
untouched stay unknown: nobody judged them). Unknown targets are masked out of
the loss and the metrics.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reviewer_app.core.model.network import MAX_TOKENS, MAX_WINDOW_S, WINDOW_CATEGORIES
from reviewer_app.core.domain import BOTH, Turn, Word

WINDOW_S = 2.0
HOP_S = 1.0
MIN_COVER = 0.5
BOTH_SIDES = ("dead_air", "overtalk")  # about the call, not one speaker: any role counts


@dataclass(frozen=True)
class Window:
    channel: int
    role: str
    start: float
    end: float
    kind: str  # "slide" | "turn"
    tokens: tuple[int, ...] = ()

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class LabelSpan:
    start: float
    end: float
    role: str
    category: str
    positive: bool  # False: a rejected prediction


@dataclass
class CallLabels:
    reviewed: bool = False
    spans: list[LabelSpan] = field(default_factory=list)
    unjudged: list[LabelSpan] = field(default_factory=list)  # untouched predictions


# --- tokens -------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _tokenizer(path: str):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(path)


def tokenizer_path() -> Path:
    """Whisper's multilingual tokenizer, from the bundled base model."""
    from reviewer_app.core.asr.model_store import resolve_model

    return Path(resolve_model("base").path) / "tokenizer.json"


def tokenize(text: str, vocab_size: int = 51865) -> tuple[int, ...]:
    text = text.strip()
    if not text:
        return ()
    ids = _tokenizer(str(tokenizer_path())).encode(" " + text, add_special_tokens=False).ids
    return tuple(min(int(i), vocab_size - 1) for i in ids[:MAX_TOKENS])


# --- windows ------------------------------------------------------------------------


def _slide_spans(duration_s: float) -> list[tuple[float, float]]:
    if duration_s <= WINDOW_S:
        return [(0.0, duration_s)]
    spans = [(s, s + WINDOW_S) for s in np.arange(0.0, duration_s - WINDOW_S + 1e-6, HOP_S)]
    if duration_s - spans[-1][1] > 0.01:
        spans.append((duration_s - WINDOW_S, duration_s))
    return [(round(float(s), 3), round(float(e), 3)) for s, e in spans]


def _text(words: list[Word], start: float, end: float) -> str:
    return " ".join(w.word for w in words if start <= 0.5 * (w.start + w.end) < end)


def _turn_pieces(turn: Turn) -> list[tuple[float, float, list[Word]]]:
    pieces, current = [], []
    for w in turn.words:
        if current and w.end - current[0].start > MAX_WINDOW_S:
            pieces.append(current)
            current = []
        current.append(w)
    if current:
        pieces.append(current)
    if not pieces:
        return [(turn.start, min(turn.end, turn.start + MAX_WINDOW_S), [])]
    return [(p[0].start, min(p[-1].end, p[0].start + MAX_WINDOW_S), p) for p in pieces]


def candidate_windows(duration_s: float, roles: tuple[str, ...], turns: list[Turn],
                      tokenizer=tokenize) -> list[Window]:
    mono = len(roles) == 1
    out: list[Window] = []
    for ch, role in enumerate(roles):
        own = [t for t in turns if mono or t.role == role]
        words = sorted((w for t in own for w in t.words), key=lambda w: w.start)
        for start, end in _slide_spans(duration_s):
            out.append(Window(ch, role, start, end, "slide", tokenizer(_text(words, start, end))))
        for turn in own:
            for start, end, piece in _turn_pieces(turn):
                if end - start < 0.1:
                    continue
                text = " ".join(w.word for w in piece) if piece else turn.text
                out.append(Window(ch, role, round(start, 3), round(min(end, duration_s), 3), "turn",
                                  tokenizer(text)))
    return out


# --- labels -------------------------------------------------------------------------


def _compatible(category: str, span_role: str, window_role: str) -> bool:
    return (category in BOTH_SIDES or window_role == BOTH or span_role in (BOTH, window_role))


def _cover(w: Window, span: LabelSpan) -> tuple[float, float]:
    """(overlap seconds, overlap as share of the shorter of the two)."""
    overlap = min(w.end, span.end) - max(w.start, span.start)
    if overlap <= 0:
        return 0.0, 0.0
    return overlap, overlap / max(1e-6, min(w.duration, span.end - span.start))


def window_targets(windows: list[Window], labels: CallLabels) -> tuple[np.ndarray, np.ndarray]:
    """(targets, known), both (len(windows), len(WINDOW_CATEGORIES)); targets are 0/1."""
    n, c = len(windows), len(WINDOW_CATEGORIES)
    targets = np.zeros((n, c), np.float32)
    known = np.zeros((n, c), bool)
    for j, category in enumerate(WINDOW_CATEGORIES):
        spans = [s for s in labels.spans if s.category == category]
        unjudged = [s for s in labels.unjudged if s.category == category]
        for i, w in enumerate(windows):
            mine = [s for s in spans if _compatible(category, s.role, w.role)]
            pos = [_cover(w, s) for s in mine if s.positive]
            if pos and max(share for _, share in pos) >= MIN_COVER:
                targets[i, j], known[i, j] = 1.0, True
                continue
            if any(seconds > 0 for seconds, _ in pos):
                continue  # touches a problem without covering it: leave unknown
            neg = [_cover(w, s)[0] / max(w.duration, 1e-6) for s in mine if not s.positive]
            if neg and max(neg) >= MIN_COVER:
                known[i, j] = True
                continue
            if labels.reviewed and not any(
                _cover(w, s)[0] > 0 for s in unjudged if _compatible(category, s.role, w.role)
            ):
                known[i, j] = True
    return targets, known
