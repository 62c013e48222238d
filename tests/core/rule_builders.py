"""Builders for CallContexts with known answers, for the rule tests.

Everything is synthetic: frame arrays at 10 ms with speech at -20 dBFS and a
quiet -70 dBFS elsewhere, words at given times. Tests change what they test.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from reviewer_app.core.detect.context import CallContext, ChannelSignal
from reviewer_app.core.domain import AGENT, CUSTOMER, Interval, Turn, Word
from reviewer_app.core.settings import Settings

HOP = 0.01
SPEECH_DB, QUIET_DB = -20.0, -70.0


def words_at(text: str | Sequence[str], start: float, step: float, dur: float | None = None) -> list[Word]:
    """One Word per whitespace-separated token (or per list item), `step` apart, `dur` long."""
    tokens = text.split() if isinstance(text, str) else list(text)
    dur = step if dur is None else dur
    return [Word(tok, round(start + i * step, 6), round(start + i * step + dur, 6), 0.9)
            for i, tok in enumerate(tokens)]


def turn(role: str, words: Sequence[Word]) -> Turn:
    return Turn(role, words[0].start, words[-1].end, " ".join(w.word for w in words), tuple(words))


def n_frames(duration: float) -> int:
    return int(round(duration / HOP))


def channel(role: str, duration: float, activity: Iterable[Interval] = (), *, speech_db: float = SPEECH_DB,
            quiet_db: float = QUIET_DB, pitch_hz: float = 150.0, flatness: float = 0.1) -> ChannelSignal:
    """A channel speaking at a steady level and pitch during `activity`, quiet elsewhere."""
    n = n_frames(duration)
    activity = list(activity)
    mask = np.zeros(n, dtype=bool)
    for s, e in activity:
        mask[int(round(s / HOP)):int(round(e / HOP))] = True
    return ChannelSignal(
        role=role,
        hop_s=HOP,
        energy_db=np.where(mask, speech_db, quiet_db).astype(float),
        pitch_hz=np.where(mask, pitch_hz, 0.0).astype(float),
        flatness=np.where(mask, flatness, 0.3).astype(float),
        clipped=np.zeros(n),
        activity=activity,
    )


def set_span(ch: ChannelSignal, start: float, end: float, **arrays: float) -> ChannelSignal:
    """Overwrite the frames in [start, end) of the named arrays (energy_db=..., clipped=...)."""
    lo, hi = int(round(start / HOP)), int(round(end / HOP))
    for name, value in arrays.items():
        getattr(ch, name)[lo:hi] = value
    return ch


def context(duration: float, turns: Sequence[Turn] = (), channels: Sequence[ChannelSignal] | None = None,
            language: str = "en", mono: bool = False) -> CallContext:
    """A call; without `channels`, each role's channel is active over its turns (one mixed one if mono)."""
    if channels is None:
        if mono:
            channels = [channel(AGENT, duration, [(t.start, t.end) for t in turns])]
        else:
            channels = [channel(role, duration, [(t.start, t.end) for t in turns if t.role == role])
                        for role in (CUSTOMER, AGENT)]
    return CallContext(duration_s=duration, language=language, turns=list(turns), channels=list(channels))


def settings(**rules) -> Settings:
    """Default settings with some `rules` fields changed."""
    s = Settings()
    for key, value in rules.items():
        assert hasattr(s.rules, key), key
        setattr(s.rules, key, value)
    return s


def spans(segments) -> list[tuple[float, float]]:
    return [(s.start, s.end) for s in segments]
