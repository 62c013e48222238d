"""Speech from espeak-ng and tempo changes with sox, as float arrays (subprocesses, temp files).

Both programs are Debian packages the project already needs (`make install`
puts them in). Audio goes through WAV files in a temporary folder, read back
with the standard library's `wave`, so nothing here depends on the app's decoder.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

# Voices that sound clearly different: accents (en-us, en-gb, en-gb-scotland, en-029) and
# variants (+f3 female, +m3 male, +f4, +m7). Any `espeak-ng --voices` name works.
VOICES = ("en-us", "en-gb", "en-us+f3", "en-us+m3", "en-gb+f4", "en-us+m7", "en-gb-scotland", "en-029")
TRIM_DBFS = -50.0  # leading/trailing samples quieter than this are trimmed
TRIM_PAD_S = 0.01


class SpeechToolMissing(RuntimeError):
    """espeak-ng or sox is not installed."""


def tools_available() -> bool:
    """True when both espeak-ng and sox are on PATH."""
    return shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise SpeechToolMissing(f"{tool} is not installed (Debian: apt-get install {tool})")
    return path


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV as float (channels, n) or (n,) for mono, and its rate in Hz."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM")
        nch, rate = w.getnchannels(), w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
    if nch == 1:
        return pcm, rate
    return pcm.reshape(-1, nch).T.copy(), rate


def write_wav(path: str | Path, x: np.ndarray, rate: int) -> None:
    """Float audio (n,) or (channels, n) to a 16-bit PCM WAV, clipped to full scale."""
    x = np.asarray(x, dtype=float)
    frames = x[None, :] if x.ndim == 1 else x
    pcm = np.round(np.clip(frames, -1.0, 32767 / 32768) * 32768).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(frames.shape[0])
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(np.ascontiguousarray(pcm.T).tobytes())


def _sox(args: list[str]) -> None:
    done = subprocess.run([_need("sox"), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"sox {' '.join(args)} failed: {done.stderr.strip()[-500:]}")


def trim_silence(x: np.ndarray, rate: int, threshold_dbfs: float = TRIM_DBFS) -> np.ndarray:
    """Mono `x` without the samples before the first / after the last one above `threshold_dbfs`
    (keeping 10 ms either side)."""
    loud = np.flatnonzero(np.abs(x) > 10 ** (threshold_dbfs / 20))
    if loud.size == 0:
        return x[:0]
    pad = int(round(TRIM_PAD_S * rate))
    return x[max(0, loud[0] - pad): loud[-1] + pad + 1]


def espeak(text: str, voice: str = "en-us", wpm: int = 160, pitch: int = 50, rate: int = 8000,
           trim: bool = True) -> np.ndarray:
    """`text` spoken by espeak-ng, mono float at `rate` Hz.

    voice: an espeak-ng voice ("en-us", "en-gb", "en-us+f3", ...); wpm: speaking
    rate in words per minute (espeak's -s); pitch: 0-99 (espeak's -p). With
    `trim`, the silence espeak leaves around the speech is cut.
    """
    if not text.strip():
        raise ValueError("nothing to say")
    with tempfile.TemporaryDirectory(prefix="reviewer_synth_") as tmp:
        raw, out = Path(tmp) / "espeak.wav", Path(tmp) / "out.wav"
        done = subprocess.run([_need("espeak-ng"), "-v", voice, "-s", str(int(wpm)), "-p", str(int(pitch)),
                               "-w", str(raw), text], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"espeak-ng failed for voice {voice}: {done.stderr.strip()[-300:]}")
        _sox(["-D", str(raw), "-r", str(rate), "-b", "16", "-c", "1", str(out)])
        x, _ = read_wav(out)
    return trim_silence(x, rate) if trim else x


def tempo(x: np.ndarray, rate: int, factor: float) -> np.ndarray:
    """`x` ((n,) or (channels, n)) played `factor` times faster with the pitch kept (sox tempo -s).

    factor 1.5: 1.5 times the speaking rate and 1/1.5 the duration. All channels
    are stretched together, so a stereo call stays in sync.
    """
    if factor <= 0:
        raise ValueError(f"tempo factor must be positive, got {factor}")
    if abs(factor - 1.0) < 1e-9:
        return np.array(x, dtype=float)
    peak = float(np.max(np.abs(x))) if np.size(x) else 0.0
    scale = 0.9 / peak if peak > 0.9 else 1.0  # headroom: WSOLA can overshoot a little
    with tempfile.TemporaryDirectory(prefix="reviewer_synth_") as tmp:
        src, out = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        write_wav(src, np.asarray(x, dtype=float) * scale, rate)
        _sox(["-D", str(src), str(out), "tempo", "-s", f"{factor:.4f}"])
        y, _ = read_wav(out)
    return y / scale


def resample(x: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Mono or (channels, n) audio from `from_rate` to `to_rate` Hz with sox's resampler."""
    if from_rate == to_rate:
        return np.array(x, dtype=float)
    peak = float(np.max(np.abs(x))) if np.size(x) else 0.0
    scale = 0.9 / peak if peak > 0.9 else 1.0
    with tempfile.TemporaryDirectory(prefix="reviewer_synth_") as tmp:
        src, out = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        write_wav(src, np.asarray(x, dtype=float) * scale, from_rate)
        _sox(["-D", str(src), "-r", str(to_rate), str(out)])
        y, _ = read_wav(out)
    return y / scale
