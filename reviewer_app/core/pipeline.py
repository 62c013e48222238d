"""Analyse one call: decode, find each side's speech, transcribe per channel, detect, score.

`analyze` is a generator: it yields Progress while it works and returns the
CallAnalysis (``result = yield from analyze(...)``, or `run_to_end`). The CLI
drives it with a terminal bar, the GUI with a worker that emits signals.

Each channel's own speech (VAD with crosstalk removed) is found before
Whisper runs, so words Whisper hears in the other side's leakage or in
silence are dropped. Whisper's encoder states are captured while it
transcribes and cached for the learned model (model/encoder_cache.py).

Detection is the rules, merged per category with the learned model where the
model in use was trained on enough reviewed labels (detect/merge.py). Pass
`db` (the library's engine) so the model promoted there is used; without it
the bundled default model's policy applies. The model runs on every call, also
where the rules decide: its probability track and the rule/model disagreements
go with the analysis (CallAnalysis.model_track), its findings are explained.
"""
from __future__ import annotations

import os
import time
from collections.abc import Generator
from pathlib import Path

from reviewer_app import __version__
from reviewer_app.core.audio.decode import DecodedAudio, decode_audio, sha256_of_file
from reviewer_app.core.audio.signals import HOP_S, channel_roles
from reviewer_app.core.cluster.provenance import provenance
from reviewer_app.core.domain import AGENT, BOTH, AudioInfo, CallAnalysis, CallScore, Segment, Turn
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.progress import CancelToken, Progress, relay, run_to_end  # noqa: F401  (run_to_end: importers)
from reviewer_app.core.settings import Settings


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
    *,
    db=None,
) -> Generator[Progress, None, CallAnalysis]:
    from reviewer_app.core.asr.transcribe import load_engine, transcribe_channel
    from reviewer_app.core.audio.signals import analyse_channels, channels_16k

    cancel = cancel or CancelToken()
    path = os.path.abspath(path)  # the library finds the audio again from any working folder
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
    _start_model_warm_up()
    t0 = time.perf_counter()
    engine = load_engine(settings.asr)
    language = None if settings.asr.language == "auto" else settings.asr.language
    turns: list[Turn] = []
    captured = [None] * len(signals)
    order = _asr_order(signals)
    for n, i in enumerate(order):
        base, span = 10 + 85 * n / len(order), 85 / len(order)
        message = f"transcribing {roles[i]} channel"
        yield Progress(base, 100, message)
        if not signals[i].activity:
            continue  # nothing said: no ASR, so nothing can be invented
        channel = transcribe_channel(engine, pcm_16k[i], roles[i], signals[i].activity, language,
                                     capture_encoder=True)

        def step(fraction: float, base=base, span=span, message=message) -> Progress:
            cancel.raise_if_cancelled()  # between two steps of the channel's ASR
            return Progress(base + span * fraction, 100, message)

        result = yield from relay(channel, step)
        cancel.raise_if_cancelled()
        language = language or result.language
        turns.extend(result.turns)
        captured[i] = result.encoder_states
    turns.sort(key=lambda t: (t.start, t.role))
    timings["asr"] = time.perf_counter() - t0
    pii = []
    if settings.privacy.redact:  # before detection, so no finding's evidence can quote personal data
        from reviewer_app.core.privacy.redecode import redact_heard_twice

        speech = {role: signal.activity for role, signal in zip(roles, signals)}
        turns, heard = redact_heard_twice(turns, dict(zip(roles, pcm_16k)), speech, engine, language or "en",
                                          settings.privacy.patterns, settings.privacy.second_hearings)
        pii = heard.spans
        timings["pii_second_hearing"] = heard.seconds
    states = _cache_encoder_states(sha, captured, audio.duration_s, warnings)

    yield Progress(95, 100, "detecting problems")
    t0 = time.perf_counter()
    segments, score, detector, track = _detect(
        audio, signals, turns, language or "unknown", settings,
        _ModelInputs(sha, pcm_16k, states, db), warnings, timings,
    )
    timings["rules"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started

    yield Progress(100, 100, "analysed")
    info = AudioInfo(path, sha, round(audio.duration_s, 3), audio.sample_rate, audio.source_channels, roles)
    versions = {"app": __version__, "asr_model": engine.resolved.name, "detector": detector}
    return CallAnalysis(
        info, language or "unknown", turns, segments, score,
        {k: round(v, 3) for k, v in timings.items()}, versions, warnings, provenance(engine.device),
        model_track=track, pii=pii,
    )


def _start_model_warm_up() -> None:
    """torch's imports and first-use set-up run on a thread while Whisper transcribes (predict.warm_up)."""
    import threading

    def warm() -> None:
        try:
            from reviewer_app.core.model.predict import warm_up

            warm_up()
        except Exception:  # noqa: BLE001  (a broken torch shows itself, with its reason, when the model runs)
            pass

    threading.Thread(target=warm, name="model-warm-up", daemon=True).start()


class _ModelInputs:
    """What the learned model needs beyond the rules' context (all optional)."""

    def __init__(self, sha256=None, pcm_16k=None, captured=None, db=None) -> None:
        self.sha256, self.pcm_16k, self.captured, self.db = sha256, pcm_16k, captured, db


def _cache_encoder_states(sha: str, captured: list, duration_s: float, warnings: list[str]):
    """Store the captured states (channels with nothing said get empty ones); None if none."""
    from reviewer_app.core.asr.encoder_states import empty_states
    from reviewer_app.core.model import encoder_cache

    done = [c for c in captured if c is not None]
    if not done:
        return None
    full = [c if c is not None else empty_states(done[0].model, done[0].dim, duration_s)
            for c in captured]
    try:
        encoder_cache.save_states(sha, full)
    except OSError as exc:
        warnings.append(f"could not cache encoder states ({exc})")
    return full


def _detect(audio: DecodedAudio, signals, turns, language: str, settings: Settings,
            inputs: _ModelInputs | None = None, warnings: list[str] | None = None,
            timings: dict[str, float] | None = None):
    """Rules, merged with the learned model where its policy says so; the score; the model's track
    (None without model inputs or when the model cannot be loaded). `timings` gets "model"."""
    from reviewer_app.core.detect.context import CallContext
    from reviewer_app.core.detect.detector import detect_problems
    from reviewer_app.core.scoring import score_call

    segments = detect_problems(CallContext(audio.duration_s, language, turns, signals), settings)
    detector, track = "rules", None
    if inputs is not None:
        t0 = time.perf_counter()
        try:
            segments, detector, track = _merge_model(audio, signals, turns, settings, inputs, segments)
        except ReviewerError as exc:  # a missing or damaged model: the rules still stand
            if warnings is not None:
                warnings.append(f"learned model not used: {exc}")
        if timings is not None:
            timings["model"] = time.perf_counter() - t0
    return segments, score_call(segments, settings.score), detector, track


def active_policy(db, settings: Settings) -> dict:
    """The merge policy of the model in use in `db`'s library (the bundled default's when None)."""
    from reviewer_app.core.detect.merge import policy_from_meta
    from reviewer_app.core.model.registry import active_meta

    return policy_from_meta(active_meta(db), settings)


def describe_policy(db, settings: Settings) -> dict:
    """JSON-ready: the model version in use in `db`'s library and, per category, its source and reason."""
    from reviewer_app.core.detect.merge import describe_meta_policy
    from reviewer_app.core.model.registry import active_meta

    return describe_meta_policy(active_meta(db), settings)


def _merge_model(audio: DecodedAudio, signals, turns, settings: Settings, inputs: _ModelInputs,
                 rule_segments: list[Segment]):
    """(segments, detector, track). The model runs for every window category, also where the rules
    decide: its track is stored for the window's model lane, the findings where it and the rule
    disagree are marked, and each model finding kept is explained (model/explain.py)."""
    from reviewer_app.core.detect.merge import merge_segments, uses_model
    from reviewer_app.core.model.disagreement import find_disagreements, mark_disagreements
    from reviewer_app.core.model.explain import explain_segments

    policy = active_policy(inputs.db, settings)
    from reviewer_app.core.audio.signals import channels_16k
    from reviewer_app.core.model.device import pick_torch_device
    from reviewer_app.core.model.inputs import inputs_from_analysis
    from reviewer_app.core.model.predict import predict_call
    from reviewer_app.core.model.registry import load_active

    device = pick_torch_device(settings.model.check().device)
    loaded = load_active(inputs.db, device)
    pcm = inputs.pcm_16k if inputs.pcm_16k is not None else channels_16k(audio)
    sha = inputs.sha256 or "unsaved"
    model_inputs = inputs_from_analysis(sha, audio.duration_s, signals, pcm, loaded.config.encoder_model
                                        if loaded.config.speech_dim else "", inputs.captured, settings)
    view = predict_call(loaded, model_inputs, turns, settings, device)
    view.track.disagreements = find_disagreements(rule_segments, view.segments, view.track)
    if not uses_model(policy):
        return mark_disagreements(rule_segments, view.track.disagreements), "rules", view.track
    detector = f"rules + model {loaded.version}"
    if "fallback_from" in loaded.meta:  # the model in use would not load: an earlier one stood in
        detector += f" (model {loaded.meta['fallback_from']} is damaged: {loaded.meta['fallback_reason']})"
    merged = mark_disagreements(merge_segments(rule_segments, view.segments, policy), view.track.disagreements)
    return explain_segments(loaded.model, view, merged, device), detector, view.track


def redetect(path: str | Path, turns: list[Turn], language: str, settings: Settings,
             *, db=None, sha256: str | None = None) -> tuple[list[Segment], CallScore]:
    """Run the detection again on a stored transcript (new thresholds or lexicons), without ASR.

    The audio is decoded and measured again; Whisper is not run. With `db`, the
    model promoted there is merged in as `analyze` does.
    """
    segments, score, _ = _redetect(path, turns, language, settings, db=db, sha256=sha256)
    return segments, score


def _redetect(path: str | Path, turns: list[Turn], language: str, settings: Settings,
              *, db=None, sha256: str | None = None):
    """`redetect`, and the model's track (None without `db` or when the model could not run)."""
    from reviewer_app.core.audio.signals import analyse_channels

    audio = decode_audio(str(path))
    roles = channel_roles(audio, settings)
    signals = analyse_channels(audio, roles, settings.rules.crosstalk_margin_db, HOP_S)
    if roles != (BOTH,):  # keep the turns of the channels analysed
        turns = [t for t in turns if t.role in roles]
    inputs = None
    if db is not None:
        inputs = _ModelInputs(sha256 or sha256_of_file(str(path)), None, None, db)
    segments, score, _, track = _detect(audio, signals, turns, language, settings, inputs)
    return segments, score, track


def redetect_analysis(analysis: CallAnalysis, settings: Settings, *, db=None,
                      path: str | Path | None = None) -> CallAnalysis:
    """A stored analysis with its detection run again (`redetect`): new segments and score, nothing written.

    `path`: where the audio is now, when not at `analysis.audio.path`. Saving it with
    repository.save_analysis keeps what reviewers did (their labels and corrected turns).
    """
    from dataclasses import replace

    segments, score, track = _redetect(path or analysis.audio.path, analysis.transcript, analysis.language,
                                       settings, db=db, sha256=analysis.audio.sha256)
    if db is None:  # the model was not consulted: its stored view stands
        track = analysis.model_track
    return replace(analysis, segments=segments, score=score, model_track=track)


def redetect_stored(engine, sha256: str, settings: Settings) -> CallAnalysis:
    """The analysis stored in `engine`'s library for `sha256`, re-detected with `settings` and the
    model in use there (nothing written)."""
    from reviewer_app.core.storage import repository

    analysis = repository.load_analysis(engine, sha256)
    if analysis is None:
        raise ReviewerError(f"call {sha256[:12]}… is not in the database")
    return redetect_analysis(analysis, settings, db=engine)
