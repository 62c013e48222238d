"""Analyse one call: decode, find speech, transcribe per channel, measure, detect, score.

`analyze` is a generator: it yields Progress while it works and returns the
CallAnalysis (``result = yield from analyze(...)``, or `run_to_end`). The CLI
drives it with a terminal bar, the GUI with a worker that emits signals.

The frame features (torch) are computed on a helper thread while Whisper runs
on the main one: CTranslate2 releases the GIL, so importing torch and
measuring the signal costs almost no wall time next to transcription.
"""
from __future__ import annotations

import time
from collections.abc import Generator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from reviewer_app import __version__
from reviewer_app.core.audio.decode import DecodedAudio, decode_audio, resample, sha256_of_file
from reviewer_app.core.domain import AGENT, BOTH, AudioInfo, CallAnalysis, Interval, Turn
from reviewer_app.core.progress import CancelToken, Progress
from reviewer_app.core.settings import Settings

ASR_RATE = 16000
HOP_S = 0.01


def channel_roles(audio: DecodedAudio, settings: Settings) -> tuple[str, ...]:
    if audio.samples.shape[0] == 1:
        return (BOTH,)
    return tuple(settings.channels.roles)


def _measure_channels(audio: DecodedAudio, roles: tuple[str, ...]):
    """Frame features per channel (runs on the helper thread)."""
    from reviewer_app.core.audio.features import frame_features

    return [frame_features(audio.samples[i], audio.sample_rate, HOP_S) for i in range(len(roles))]


def _asr_order(roles: tuple[str, ...], speech: list[list[Interval]]) -> list[int]:
    """Agent first (its language is the call's), then the channel with most speech."""
    order = sorted(range(len(roles)), key=lambda i: (roles[i] != AGENT, -sum(e - s for s, e in speech[i])))
    return order


def analyze(
    path: str | Path,
    settings: Settings,
    cancel: CancelToken | None = None,
    sha256: str | None = None,
) -> Generator[Progress, None, CallAnalysis]:
    from reviewer_app.core.asr.transcribe import load_engine, transcribe_channel
    from reviewer_app.core.audio.activity import speech_intervals

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

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="features") as pool:
        features_future: Future = pool.submit(_measure_channels, audio, roles)

        yield Progress(5, 100, "finding speech")
        t0 = time.perf_counter()
        engine = load_engine(settings.asr)
        channels_16k = [resample(audio.samples[i], audio.sample_rate, ASR_RATE) for i in range(len(roles))]
        speech = [speech_intervals(x) for x in channels_16k]
        timings["vad"] = time.perf_counter() - t0
        cancel.raise_if_cancelled()

        t0 = time.perf_counter()
        language = None if settings.asr.language == "auto" else settings.asr.language
        turns: list[Turn] = []
        order = _asr_order(roles, speech)
        for n, i in enumerate(order):
            base, span = 10 + 80 * n / len(order), 80 / len(order)
            yield Progress(base, 100, f"transcribing {roles[i]} channel")
            if not speech[i]:
                continue  # nothing said: no ASR, so nothing can be invented
            channel = transcribe_channel(engine, channels_16k[i], roles[i], speech[i], language)
            while True:
                try:
                    fraction = next(channel)
                except StopIteration as stop:
                    result = stop.value
                    break
                yield Progress(base + span * fraction, 100, f"transcribing {roles[i]} channel")
                cancel.raise_if_cancelled()
            language = language or result.language
            turns.extend(result.turns)
            cancel.raise_if_cancelled()
        turns.sort(key=lambda t: (t.start, t.role))
        timings["asr"] = time.perf_counter() - t0

        yield Progress(90, 100, "measuring the signal")
        t0 = time.perf_counter()
        features = features_future.result()
    timings["features"] = time.perf_counter() - t0  # wait beyond ASR; the work itself overlapped it

    t0 = time.perf_counter()
    segments, score = _detect(audio, roles, speech, features, turns, language or "unknown", settings)
    timings["rules"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started

    yield Progress(100, 100, "done")
    info = AudioInfo(path, sha, round(audio.duration_s, 3), audio.sample_rate, audio.source_channels, roles)
    versions = {"app": __version__, "asr_model": engine.resolved.name, "detector": "rules"}
    return CallAnalysis(
        info, language or "unknown", turns, segments, score,
        {k: round(v, 3) for k, v in timings.items()}, versions, warnings,
    )


def _detect(audio: DecodedAudio, roles, speech, features, turns, language: str, settings: Settings):
    """Rules and score from what was measured and transcribed."""
    from reviewer_app.core.audio.activity import channel_activity
    from reviewer_app.core.detect.context import CallContext, ChannelSignal
    from reviewer_app.core.detect.detector import detect_problems
    from reviewer_app.core.scoring import score_call

    activity = channel_activity(speech, [f.energy_db for f in features], HOP_S, settings.rules.crosstalk_margin_db)
    signals = [
        ChannelSignal(roles[i], f.hop_s, f.energy_db, f.pitch_hz, f.flatness, f.clipped, activity[i])
        for i, f in enumerate(features)
    ]
    segments = detect_problems(CallContext(audio.duration_s, language, turns, signals), settings)
    return segments, score_call(segments, settings.score)


def redetect(path: str | Path, turns: list[Turn], language: str, settings: Settings):
    """Run the rules again on a stored transcript (new thresholds or lexicons), without ASR.

    Returns (segments, score). The audio is decoded and measured again; Whisper is not run.
    """
    from reviewer_app.core.audio.activity import speech_intervals

    audio = decode_audio(str(path))
    roles = channel_roles(audio, settings)
    speech = [speech_intervals(resample(audio.samples[i], audio.sample_rate, ASR_RATE)) for i in range(len(roles))]
    features = _measure_channels(audio, roles)
    if roles != (BOTH,):  # the stored turns carry the roles they were transcribed with
        by_channel = {r: i for i, r in enumerate(roles)}
        turns = [t for t in turns if t.role in by_channel]
    return _detect(audio, roles, speech, features, turns, language, settings)


def run_to_end(gen: Generator[Progress, None, CallAnalysis], on_progress=None) -> CallAnalysis:
    """Drive an analysis generator to its result, passing each Progress to `on_progress`."""
    while True:
        try:
            progress = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(progress)
