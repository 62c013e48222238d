"""Write redacted audio in the format of its source: same container (by extension), sample rate,
channels and number of samples. WAV is written as 16-bit PCM with the standard library, FLAC and
MP3 through PyAV's encoders (both decode back to exactly the samples' count). Sources in a format
whose encoder here would change the length or the rate (Ogg, Opus, M4A: no libvorbis, Opus only at
48 kHz, AAC padding) are written as FLAC (`output_suffix`). The file appears whole or not at all
(core/atomic.py)."""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from reviewer_app.core.atomic import atomic_path
from reviewer_app.core.errors import AudioError

# extension -> (container format, codec, sample format PyAV's encoder takes)
_ENCODERS = {
    ".flac": ("flac", "flac", "s16"),
    ".mp3": ("mp3", "libmp3lame", "fltp"),
}


def supported(path: str | Path) -> bool:
    return Path(path).suffix.lower() in (".wav", *_ENCODERS)


def output_suffix(source: str | Path) -> str:
    """The extension redacted audio of `source` is written with: its own, else .flac."""
    suffix = Path(source).suffix.lower()
    return suffix if supported(source) else ".flac"


def write_audio(path: str | Path, samples: np.ndarray, rate: int) -> None:
    """`samples` ((channels, n) float in [-1, 1]) to `path`, in the format its extension names."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not supported(path):
        raise AudioError(str(path), f"cannot write {suffix or 'files without an extension'} audio "
                                    f"(wav, {', '.join(e.lstrip('.') for e in _ENCODERS)})")
    samples = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    with atomic_path(path) as tmp:
        if suffix == ".wav":
            _write_wav(tmp, samples, rate)
        else:
            _encode(tmp, samples, rate, *_ENCODERS[suffix])


def _pcm16(samples: np.ndarray) -> np.ndarray:
    return np.round(np.clip(samples, -1.0, 32767 / 32768) * 32768).astype("<i2")


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[0])
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(np.ascontiguousarray(_pcm16(samples).T).tobytes())


def _encode(path: Path, samples: np.ndarray, rate: int, container_format: str, codec: str, fmt: str) -> None:
    import av

    channels, n = samples.shape
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
    with av.open(str(path), mode="w", format=container_format) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        chunk = 4096
        for start in range(0, n, chunk):
            block = samples[:, start:start + chunk]
            if fmt == "s16":
                data = np.ascontiguousarray(_pcm16(block).T).reshape(1, -1)
            else:  # planar float
                data = np.ascontiguousarray(block)
            frame = av.AudioFrame.from_ndarray(data, format=fmt, layout=layout)
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
