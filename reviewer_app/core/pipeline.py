"""Analyse one call: decode, find each side's speech, transcribe per channel, detect, score.

`analyze` is a generator: it yields Progress while it works and returns the
CallAnalysis (``result = yield from analyze(...)``, or `run_to_end`). The CLI
drives it with a terminal bar, the GUI with a worker that emits signals.

Each channel's own speech (VAD with crosstalk removed) is found before
Whisper runs, so words Whisper hears in the other side's leakage or in
silence are dropped. Nothing here imports torch: transcription dominates the
time and the rest stays small next to it.
"""
from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path

from reviewer_app import __version__
from reviewer_app.core.audio.decode import DecodedAudio, decode_audio, sha256_of_file
from reviewer_app.core.domain import AGENT, BOTH, AudioInfo, CallAnalysis, CallScore, Segment, Turn
from reviewer_app.core.progress import CancelToken, Progress
from reviewer_app.core.settings import Settings

HOP_S = 0.01


def channel_roles(audio: DecodedAudio, settings: Settings) -> tuple[str, ...]:
    if audio.channels == 1:
        return (BOTH,)
    return tuple(settings.channels.roles)


def _asr_order(signals) -> list[int]:
    """Agent first (its language is the call's), then the channel with most speech."""
    def key(i: int):
        return (signals[i].role != AGENT, -sum(e - s for s, e in signals[i].activity))

    return sorted(range(len(signals)), key=key)


def analyze(
    path: str | Path,
    settings: Settings,
    cancel: CancelToken | None = None,
    sha256: str | None = None,
) -> Generator[Progress, None, CallAnalysis]:
    from reviewer_app.core.asr.transcribe import load_engine, transcribe_channel
    from reviewer_app.core.audio.signals import analyse_channels, channels_16k

    cancel = cancel or CancelToken()
    path = str(path)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    yield Progress(0, 100, "decoding")
    audio = decode_audio(path)
    sha = sha256 or sha256_of_file(path)
    roles = channel_roles(audio, settings)
    warnings = []
    if audio.source_channels > 2:
        warnings.append(f"{path}: {audio.source_channels} channels; analysed the first two only")
    timings["decode"] = time.perf_counter() - started
    cancel.raise_if_cancelled()

    yield Progress(3, 100, "finding each side's speech")
    t0 = time.perf_counter()
    pcm_16k = channels_16k(audio)
    signals = analyse_channels(audio, roles, settings.rules.crosstalk_margin_db, HOP_S, pcm_16k)
    timings["features"] = time.perf_counter() - t0
    cancel.raise_if_cancelled()

    yield Progress(8, 100, "loading the ASR model")
    t0 = time.perf_counter()
    engine = load_engine(settings.asr)
    language = None if settings.asr.language == "auto" else settings.asr.language
    turns: list[Turn] = []
    order = _asr_order(signals)
    for n, i in enumerate(order):
        base, span = 10 + 85 * n / len(order), 85 / len(order)
        message = f"transcribing {roles[i]} channel"
        yield Progress(base, 100, message)
        if not signals[i].activity:
            continue  # nothing said: no ASR, so nothing can be invented
        channel = transcribe_channel(engine, pcm_16k[i], roles[i], signals[i].activity, language)
        while True:
            try:
                fraction = next(channel)
            except StopIteration as stop:
                result = stop.value
                break
            yield Progress(base + span * fraction, 100, message)
            cancel.raise_if_cancelled()
        language = language or result.language
        turns.extend(result.turns)
    turns.sort(key=lambda t: (t.start, t.role))
    timings["asr"] = time.perf_counter() - t0

    yield Progress(95, 100, "detecting problems")
    t0 = time.perf_counter()
    segments, score = _detect(audio, signals, turns, language or "unknown", settings)
    timings["rules"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started

    yield Progress(100, 100, "done")
    info = AudioInfo(path, sha, round(audio.duration_s, 3), audio.sample_rate, audio.source_channels, roles)
    versions = {"app": __version__, "asr_model": engine.resolved.name, "detector": "rules"}
    return CallAnalysis(
        info, language or "unknown", turns, segments, score,
        {k: round(v, 3) for k, v in timings.items()}, versions, warnings,
    )


def _detect(audio: DecodedAudio, signals, turns, language: str, settings: Settings):
    """Rules and score from what was measured and transcribed."""
    from reviewer_app.core.detect.context import CallContext
    from reviewer_app.core.detect.detector import detect_problems
    from reviewer_app.core.scoring import score_call

    segments = detect_problems(CallContext(audio.duration_s, language, turns, signals), settings)
    return segments, score_call(segments, settings.score)


def redetect(path: str | Path, turns: list[Turn], language: str, settings: Settings) -> tuple[list[Segment], CallScore]:
    """Run the rules again on a stored transcript (new thresholds or lexicons), without ASR.

    The audio is decoded and measured again; Whisper is not run.
    """
    from reviewer_app.core.audio.signals import analyse_channels

    audio = decode_audio(str(path))
    roles = channel_roles(audio, settings)
    signals = analyse_channels(audio, roles, settings.rules.crosstalk_margin_db, HOP_S)
    if roles != (BOTH,):  # keep the turns of the channels analysed
        turns = [t for t in turns if t.role in roles]
    return _detect(audio, signals, turns, language, settings)


def run_to_end(gen: Generator[Progress, None, CallAnalysis], on_progress=None) -> CallAnalysis:
    """Drive an analysis generator to its result, passing each Progress to `on_progress`."""
    while True:
        try:
            progress = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(progress)
