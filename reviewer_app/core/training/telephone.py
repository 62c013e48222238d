"""A telephone line applied to one channel: band limit, 8 kHz, a speech codec, line noise (numpy and sox).

Codecs: "mulaw" (G.711 mu-law, 8 bits per sample, computed here), "gsm"
(GSM 06.10 full rate through sox's gsm format: encoded and decoded again) and
"none" (linear 16 bit). The band is 300-3400 Hz, the narrowband telephone
channel. Same input and rng, same output.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from reviewer_app.core.synth import speech

LINE_RATE = 8000
BAND_HZ = (300, 3400)
CODECS = ("mulaw", "gsm", "none")
MU = 255.0


def mulaw(x: np.ndarray) -> np.ndarray:
    """G.711 mu-law: compress, quantise to 8 bits, expand."""
    x = np.clip(x, -1.0, 1.0)
    y = np.sign(x) * np.log1p(MU * np.abs(x)) / np.log1p(MU)
    q = np.round((y + 1.0) * 127.5) / 127.5 - 1.0
    return np.sign(q) * np.expm1(np.abs(q) * np.log1p(MU)) / MU


def _sox_roundtrip(x: np.ndarray, rate: int, middle: list[str], effects: list[str]) -> np.ndarray:
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    scale = 0.95 / peak if peak > 0.95 else 1.0
    with tempfile.TemporaryDirectory(prefix="reviewer_line_") as tmp:
        src, mid, out = Path(tmp) / "in.wav", Path(tmp) / "mid", Path(tmp) / "out.wav"
        speech.write_wav(src, x * scale, rate)
        subprocess.run(["sox", "-D", str(src), *middle, str(mid), *effects], check=True, capture_output=True)
        subprocess.run(["sox", "-D", *middle, str(mid), "-b", "16", str(out)], check=True, capture_output=True)
        y, _ = speech.read_wav(out)
    return y / scale


def band_limit(x: np.ndarray, rate: int) -> np.ndarray:
    """300-3400 Hz band pass and resampling to 8 kHz (sox sinc + rate)."""
    lo, hi = BAND_HZ
    with tempfile.TemporaryDirectory(prefix="reviewer_line_") as tmp:
        src, out = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        peak = float(np.max(np.abs(x))) if x.size else 0.0
        scale = 0.95 / peak if peak > 0.95 else 1.0
        speech.write_wav(src, x * scale, rate)
        subprocess.run(["sox", "-D", str(src), "-r", str(LINE_RATE), str(out), "sinc", f"{lo}-{hi}"],
                       check=True, capture_output=True)
        y, _ = speech.read_wav(out)
    return y / scale


def codec(x: np.ndarray, kind: str) -> np.ndarray:
    """`x` (8 kHz mono) through the codec `kind`."""
    if kind == "mulaw":
        return mulaw(x)
    if kind == "gsm":
        return _sox_roundtrip(x, LINE_RATE, ["-t", "gsm", "-r", str(LINE_RATE), "-c", "1"], [])
    if kind == "none":
        return np.array(x, dtype=float)
    raise ValueError(f"unknown codec {kind!r}: one of {', '.join(CODECS)}")


def phone_line(x: np.ndarray, rate: int, codec_kind: str, rng: np.random.Generator,
               noise_dbfs: float = -55.0) -> np.ndarray:
    """Band-limited 8 kHz audio through a codec, with faint line noise added before it."""
    y = band_limit(x, rate)
    y = y + rng.normal(0.0, 10 ** (noise_dbfs / 20), y.size)
    return np.clip(codec(y, codec_kind), -1.0, 1.0)
