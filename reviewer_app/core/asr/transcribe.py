"""Per-channel transcription with faster-whisper, word timestamps and Silero VAD."""
from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from reviewer_app.core.asr.encoder_states import EncoderCapture, EncoderStates
from reviewer_app.core.asr.hallucinations import is_caption, is_silence_phrase, keep_word
from reviewer_app.core.asr.model_store import ResolvedModel, resolve_model
from reviewer_app.core.domain import Interval, Turn, Word
from reviewer_app.core.errors import ModelError
from reviewer_app.core.settings import AsrSettings

SAMPLE_RATE = 16000
MAX_TURN_GAP_S = 1.0  # a pause longer than this starts a new turn
SIMPLIFIED_PROMPT = "以下是普通话的句子。"  # nudges Whisper towards simplified characters


def pick_device(requested: str) -> str:
    if requested != "auto":
        return requested
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


@dataclass
class AsrEngine:
    model: object  # faster_whisper.WhisperModel
    resolved: ResolvedModel
    device: str
    settings: AsrSettings

    @property
    def multilingual(self) -> bool:
        return bool(getattr(self.model, "model").is_multilingual)


_engines: dict[tuple, AsrEngine] = {}
_engines_lock = threading.Lock()


def load_engine(settings: AsrSettings) -> AsrEngine:
    """Load (once per process) the Whisper model named by the settings."""
    resolved = resolve_model(settings.model)
    device = pick_device(settings.device)
    compute_type = settings.compute_type
    if compute_type == "default":
        compute_type = "float16" if device == "cuda" else "int8"
    key = (resolved.path, device, compute_type, settings.cpu_threads)
    with _engines_lock:
        if key not in _engines:
            from faster_whisper import WhisperModel

            try:
                model = WhisperModel(
                    resolved.path, device=device, compute_type=compute_type, cpu_threads=settings.cpu_threads
                )
            except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError with long texts
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ModelError(f"{resolved.path}: cannot load ASR model on {device} ({first_line})") from None
            _engines[key] = AsrEngine(model, resolved, device, settings)
        return _engines[key]


def transcribe_options(language: str | None, multilingual: bool, beam_size: int = 5) -> dict:
    """The faster-whisper options the app uses (the benchmark reuses them for its reference run)."""
    options = dict(
        language=language,
        task="transcribe",
        beam_size=beam_size,
        word_timestamps=True,
        vad_filter=True,
        condition_on_previous_text=False,
    )
    if multilingual and language == "zh":
        options["initial_prompt"] = SIMPLIFIED_PROMPT
    return options


@dataclass
class ChannelTranscript:
    turns: list[Turn]
    language: str
    language_probability: float
    encoder_states: EncoderStates | None = None  # when asked for: captured while transcribing


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def transcribe_channel(
    engine: AsrEngine,
    samples_16k: np.ndarray,
    role: str,
    speech: list[Interval],
    language: str | None = None,
    capture_encoder: bool = False,
) -> Generator[float, None, ChannelTranscript]:
    """Transcribe one channel; keep only words that are real speech; group them into turns.

    A generator: yields the fraction of the channel done, returns the ChannelTranscript.
    With `capture_encoder` the Whisper encoder states computed on the way are kept
    (see asr/encoder_states.py): the encoder never runs twice for the model's speech branch.
    """
    if engine.multilingual is False and language not in (None, "en"):
        raise ModelError(f"{engine.resolved.name} is English-only; cannot transcribe language '{language}'")
    options = transcribe_options(language, engine.multilingual, engine.settings.beam_size)
    capture = EncoderCapture(engine.model, engine.resolved.name) if capture_encoder else None
    with capture.active() if capture else contextlib.nullcontext():
        segments, info = engine.model.transcribe(samples_16k.astype(np.float32, copy=False), **options)
    detected = info.language if language is None else language
    chinese = detected == "zh"
    kept: list[tuple[str, Word]] = []  # (raw text with its leading space, word)
    for seg in _stepped(segments, capture):
        if info.duration > 0:
            yield min(1.0, seg.end / info.duration)
        if is_caption(seg.text):
            continue
        silence_phrase = is_silence_phrase(seg.text) and seg.no_speech_prob > 0.3
        for w in seg.words or []:
            raw = to_simplified(w.word) if chinese else w.word
            word = Word(raw.strip(), round(w.start, 3), round(w.end, 3), round(float(w.probability), 3))
            if not word.word or silence_phrase:
                continue
            if keep_word(word, speech, engine.settings.min_word_prob):
                kept.append((raw, word))
    states = None
    if capture is not None:
        states = capture.states(samples_16k.size / SAMPLE_RATE)
    return ChannelTranscript(_group_turns(kept, role, chinese), detected, float(info.language_probability), states)


def _stepped(segments, capture: EncoderCapture | None):
    """faster-whisper's lazy segments, each step run with the encoder capture active."""
    iterator = iter(segments)
    while True:
        with capture.active() if capture else contextlib.nullcontext():
            seg = next(iterator, None)
        if seg is None:
            return
        yield seg


def _group_turns(kept: list[tuple[str, Word]], role: str, chinese: bool) -> list[Turn]:
    turns: list[Turn] = []
    current: list[tuple[str, Word]] = []

    def flush() -> None:
        if current:
            text = "".join(raw for raw, _ in current).strip()
            if chinese:
                text = text.replace(" ", "")
            words = tuple(w for _, w in current)
            turns.append(Turn(role, words[0].start, words[-1].end, text, words))
            current.clear()

    for raw, word in kept:
        if current and word.start - current[-1][1].end > MAX_TURN_GAP_S:
            flush()
        current.append((raw, word))
    flush()
    return turns
