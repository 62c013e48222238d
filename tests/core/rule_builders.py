"""Builders for CallContexts with known answers, for the rule tests.

Everything is synthetic: frame arrays at 10 ms with speech at -20 dBFS and a
quiet -70 dBFS elsewhere, words at given times. Tests change what they test.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.domain import AGENT, CUSTOMER, ChannelSignal, Interval, Turn, Word
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


def speech(start: float, end: float, inserts: dict[float, str] | None = None, step: float = 1.0,
           phrase_step: float = 0.3) -> list[Word]:
    """Filler words w0, w1, ... every `step` s over [start, end), with phrases put in at given times.

    Each phrase's words are `phrase_step` apart; fillers that would overlap a phrase are left out.
    """
    inserts = inserts or {}
    phrase_words = [w for t, text in inserts.items() for w in words_at(text, t, phrase_step)]
    busy = [(t, t + len(text.split()) * phrase_step) for t, text in inserts.items()]
    fillers = []
    t, i = start, 0
    while t < end - 1e-9:
        if not any(s - step < t < e for s, e in busy):
            fillers.append(Word(f"w{i}", round(t, 6), round(t + step * 0.8, 6), 0.9))
        t, i = t + step, i + 1
    return sorted(fillers + phrase_words, key=lambda w: w.start)


SR = 8000


def sine(duration: float, amplitude: float, freq: float = 200.0) -> np.ndarray:
    t = np.arange(int(round(duration * SR))) / SR
    return amplitude * np.sin(2 * np.pi * freq * t)


def channel_from_audio(role: str, samples: np.ndarray, activity: Iterable[Interval] = (),
                       pitch_hz: float = 200.0) -> ChannelSignal:
    """Frame energy (dBFS) and clipped fraction measured from a waveform clipped to +-1, 10 ms hop."""
    samples = np.clip(samples, -1.0, 1.0)
    size = int(round(HOP * SR))
    n = len(samples) // size
    framed = samples[: n * size].reshape(n, size)
    rms = np.sqrt(np.mean(framed ** 2, axis=1))
    ch = channel(role, n * HOP, activity, pitch_hz=pitch_hz)
    ch.energy_db = 20 * np.log10(np.maximum(rms, 1e-10))
    ch.clipped = np.mean(np.abs(framed) >= 0.999, axis=1)
    return ch
