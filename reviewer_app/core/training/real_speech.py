"""Permissively licensed real speech from ../shared/data, cut into phrases with their words, for the training corpus.

Only these folders are read (each with its licence; the checkpoint's metadata
lists them): `telephone_en` and `asr_en` (MIT), `noise_vad` (Apache-2.0) and
the two Apache-2.0 clips of `asr_zh` (the AISHELL-1 one and PaddleSpeech's).
`calls_en` (CC BY-NC) and `emotion_de` (research only) are evaluation data and
are never read here: `SOURCES` is the whole list, and a test checks it.

Words and their times come from the app's own ASR model (Whisper base, word
timestamps), run once per file and cached under the cache dir; where a folder
has a reference transcript it is kept beside them in the cache entry for the
record. A phrase is a stretch of one file's words without a pause over
`MAX_PAUSE_S`, at most `MAX_PHRASE_S` long, as 16 kHz mono audio with word
times relative to its start. The noise recordings of `noise_vad` are returned
as background noise (no words).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reviewer_app.core import paths
from reviewer_app.core.atomic import atomic_path

RATE = 16000
MAX_PAUSE_S = 0.6
MAX_PHRASE_S = 7.0
MIN_PHRASE_S = 0.8
ASR_MODEL = "whisper-base"


@dataclass(frozen=True)
class Source:
    folder: str
    file: str
    licence: str
    channel: int | None = None  # None: the channels are mixed down


SOURCES: tuple[Source, ...] = (
    Source("telephone_en", "sample.wav", "MIT (pyannote-audio test asset)"),
    Source("asr_en", "jfk.flac", "MIT (faster-whisper test asset; the recording is public domain)"),
    Source("asr_en", "stereo_diarization.wav", "MIT (faster-whisper test asset)", 0),
    Source("asr_en", "stereo_diarization.wav", "MIT (faster-whisper test asset)", 1),
    Source("asr_en", "multilingual.mp3", "MIT (faster-whisper test asset)"),
    Source("asr_en", "hotwords.mp3", "MIT (faster-whisper test asset)"),
    Source("noise_vad", "speechbrain_train.wav", "Apache-2.0 (SpeechBrain test asset)"),
    Source("noise_vad", "speechbrain_valid.wav", "Apache-2.0 (SpeechBrain test asset)"),
    Source("noise_vad", "pyaudioanalysis_count.wav", "Apache-2.0 (pyAudioAnalysis test asset)"),
    Source("noise_vad", "pyaudioanalysis_diarizationExample.wav", "Apache-2.0 (pyAudioAnalysis test asset)"),
    Source("asr_zh", "wenet_aishell-BAC009S0724W0121.wav", "Apache-2.0 (AISHELL-1, via wenet)"),
    Source("asr_zh", "paddlespeech_audio_test.wav", "Apache-2.0 (PaddleSpeech test asset)"),
)
NOISES: tuple[Source, ...] = tuple(Source("noise_vad", f"speechbrain_noise{i}.wav", "Apache-2.0 (SpeechBrain test asset)")
                                   for i in range(1, 6))
EVALUATION_ONLY = ("calls_en", "emotion_de")


@dataclass
class Phrase:
    source: str  # "folder/file[:channel]"
    audio: np.ndarray  # 16 kHz mono float
    words: list[dict]  # {"word", "start", "end"} relative to the phrase start
    language: str

    @property
    def duration(self) -> float:
        return self.audio.size / RATE


def default_data_dir() -> Path:
    """../shared/data beside the repository (where the project's real recordings live)."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


def licences() -> dict[str, str]:
    """{folder: licence} of every folder the corpus reads."""
    out: dict[str, str] = {}
    for s in SOURCES + NOISES:
        out.setdefault(s.folder, s.licence.split(" (")[0])
    return out


def _label(s: Source) -> str:
    return f"{s.folder}/{s.file}" + ("" if s.channel is None else f":{s.channel}")


def load_mono(path: Path, channel: int | None) -> np.ndarray:
    from reviewer_app.core.audio.decode import decode_audio, resample

    audio = decode_audio(path)
    x = audio.samples.astype(np.float64)
    x = x[channel] if channel is not None else x.mean(axis=0)
    return np.asarray(resample(x.astype(np.float32), audio.sample_rate, RATE), np.float64)


def _transcribe(x: np.ndarray) -> tuple[list[dict], str]:
    from reviewer_app.core.asr.transcribe import load_engine
    from reviewer_app.core.settings import Settings

    asr = Settings().asr
    asr.model = ASR_MODEL
    engine = load_engine(asr)
    segments, info = engine.model.transcribe(x.astype(np.float32), word_timestamps=True, vad_filter=True,
                                             beam_size=5, condition_on_previous_text=False)
    words = [{"word": w.word.strip(), "start": round(w.start, 3), "end": round(w.end, 3)}
             for seg in segments for w in (seg.words or []) if w.word.strip()]
    return words, info.language


def transcript(source: Source, x: np.ndarray, cache: Path | None = None) -> tuple[list[dict], str]:
    """The ASR words of one source (cached per file, channel and ASR model)."""
    key = hashlib.sha256(x.astype(np.float32).tobytes()).hexdigest()[:24]
    path = (cache or paths.cache_dir()) / "real_speech" / f"{key}-{ASR_MODEL}.json"
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        return data["words"], data["language"]
    words, language = _transcribe(x)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps({"source": _label(source), "language": language, "words": words}),
                             encoding="utf-8")
    return words, language


def phrases_of(source: Source, x: np.ndarray, words: list[dict], language: str) -> list[Phrase]:
    out, group = [], []

    def flush():
        if not group:
            return
        a = max(0.0, group[0]["start"] - 0.08)
        b = min(x.size / RATE, group[-1]["end"] + 0.12)
        if b - a >= MIN_PHRASE_S:
            out.append(Phrase(_label(source), x[int(a * RATE):int(b * RATE)].copy(),
                              [{"word": w["word"], "start": round(w["start"] - a, 3), "end": round(w["end"] - a, 3)}
                               for w in group], language))
        group.clear()

    for w in words:
        if group and (w["start"] - group[-1]["end"] > MAX_PAUSE_S or w["end"] - group[0]["start"] > MAX_PHRASE_S):
            flush()
        group.append(w)
    flush()
    return out


def load_phrases(data_dir: Path | None = None, log=print) -> list[Phrase]:
    """Every phrase of every source, in a fixed order (ASR once per source, then cached)."""
    data_dir = data_dir or default_data_dir()
    out = []
    for s in SOURCES:
        if s.folder in EVALUATION_ONLY:
            raise ValueError(f"{s.folder} is evaluation data: never a training source")
        path = data_dir / s.folder / s.file
        if not path.is_file():
            log(f"real speech: {path} is absent, skipped")
            continue
        x = load_mono(path, s.channel)
        words, language = transcript(s, x)
        out += phrases_of(s, x, words, language)
    return out


def load_noises(data_dir: Path | None = None) -> list[np.ndarray]:
    data_dir = data_dir or default_data_dir()
    return [load_mono(data_dir / s.folder / s.file, None) for s in NOISES if (data_dir / s.folder / s.file).is_file()]
