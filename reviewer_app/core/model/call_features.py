"""Per-call frame features the model's windows are cut from: log-mel and prosody per channel.

Both at FRAME_HOP_S (20 ms). Log-mel is taken from the 16 kHz channel up to
4 kHz (the telephone band), so 8 kHz calls and wide-band recordings look alike.
Prosody comes from the rules' own measurements (ChannelSignal, 10 ms), two
frames averaged into one, plus each side's activity and the other side's
level (overtalk and dead air are about both sides). Values are scaled to
roughly -3..3 and stored as float16 in the cache dir, keyed by the audio's
sha256, so fine-tuning never decodes a call twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reviewer_app.core.atomic import atomic_path
from reviewer_app.core import intervals
from reviewer_app.core.model.network import FRAME_HOP_S, N_MELS, PROSODY_FEATURES

FEATURE_FORMAT = "1"
MEL_FMAX = 4000.0


@dataclass(eq=False)
class ChannelFeatures:
    role: str
    mel: np.ndarray  # (N_MELS, T) float16
    prosody: np.ndarray  # (len(PROSODY_FEATURES), T) float16


@dataclass(eq=False)
class CallFeatures:
    sha256: str
    duration_s: float
    channels: list[ChannelFeatures]

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(c.role for c in self.channels)


def n_frames(duration_s: float) -> int:
    return max(1, int(np.ceil(duration_s / FRAME_HOP_S - 1e-9)))


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    """Cut or edge-pad the last axis to n."""
    if x.shape[-1] >= n:
        return x[..., :n]
    pad = [(0, 0)] * (x.ndim - 1) + [(0, n - x.shape[-1])]
    return np.pad(x, pad, mode="edge") if x.shape[-1] else np.zeros(x.shape[:-1] + (n,), x.dtype)


def _halve(x: np.ndarray, n: int, how: str = "mean") -> np.ndarray:
    """10 ms frames -> 20 ms frames (n of them)."""
    x = _fit(np.asarray(x, np.float32), 2 * n).reshape(n, 2)
    return x.max(1) if how == "max" else x.mean(1)


def _scaled_energy(energy_db: np.ndarray) -> np.ndarray:
    return np.clip((energy_db + 50.0) / 20.0, -3.0, 3.0)


def _prosody(signal, other, n: int) -> np.ndarray:
    energy = _scaled_energy(_halve(signal.energy_db, n))
    pitch_hz = _halve(signal.pitch_hz, n, "max")
    voiced = (pitch_hz > 0).astype(np.float32)
    pitch = np.where(pitch_hz > 0, np.log2(np.maximum(pitch_hz, 1.0) / 150.0), 0.0)
    flat = _halve(signal.flatness, n)
    clipped = np.clip(_halve(signal.clipped, n, "max") * 10.0, 0.0, 3.0)
    active = intervals.to_mask(signal.activity, n, FRAME_HOP_S).astype(np.float32)
    if other is None:
        other_energy = np.zeros(n, np.float32)
        other_active = np.zeros(n, np.float32)
    else:
        other_energy = _scaled_energy(_halve(other.energy_db, n))
        other_active = intervals.to_mask(other.activity, n, FRAME_HOP_S).astype(np.float32)
    rows = [energy, pitch, voiced, flat, clipped, active, other_energy, other_active]
    assert len(rows) == len(PROSODY_FEATURES)
    return np.stack(rows).astype(np.float16)


def _mel(samples_16k: np.ndarray, n: int) -> np.ndarray:
    from reviewer_app.core.audio.features import log_mel

    mel = log_mel(samples_16k, 16000, n_mels=N_MELS, hop_s=FRAME_HOP_S, f_max=MEL_FMAX)
    return _fit(np.clip((np.maximum(mel, -100.0) + 50.0) / 25.0, -3.0, 3.0), n).astype(np.float16)


def compute_call_features(sha256: str, duration_s: float, signals, pcm_16k) -> CallFeatures:
    """From what the pipeline measured: ChannelSignals (10 ms) and the 16 kHz channels."""
    n = n_frames(duration_s)
    channels = []
    for i, sig in enumerate(signals):
        other = signals[1 - i] if len(signals) == 2 else None
        channels.append(ChannelFeatures(sig.role, _mel(pcm_16k[i], n), _prosody(sig, other, n)))
    return CallFeatures(sha256, duration_s, channels)


def features_from_audio(path: str, sha256: str, settings) -> tuple[CallFeatures, list[np.ndarray]]:
    """Decode and measure a call (no ASR); also returns its 16 kHz channels."""
    from reviewer_app.core.audio.decode import decode_audio
    from reviewer_app.core.audio.signals import HOP_S, analyse_channels, channel_roles, channels_16k

    audio = decode_audio(path)
    roles = channel_roles(audio, settings)
    pcm = channels_16k(audio)
    signals = analyse_channels(audio, roles, settings.rules.crosstalk_margin_db, HOP_S, pcm)
    return compute_call_features(sha256, audio.duration_s, signals, pcm), pcm


# --- cache --------------------------------------------------------------------------


def cache_path(sha256: str, cache: Path | None = None) -> Path:
    from reviewer_app.core.model.encoder_cache import cache_root

    return (cache or cache_root()) / "features" / sha256[:2] / f"{sha256}-f{FEATURE_FORMAT}.safetensors"


def save_call_features(features: CallFeatures, cache: Path | None = None) -> Path:
    from safetensors.numpy import save_file

    path = cache_path(features.sha256, cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for i, ch in enumerate(features.channels):
        tensors[f"{i}.mel"] = np.ascontiguousarray(ch.mel)
        tensors[f"{i}.prosody"] = np.ascontiguousarray(ch.prosody)
    meta = {"format": FEATURE_FORMAT, "duration_s": repr(features.duration_s),
            "roles": ",".join(features.roles)}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    return path


def load_call_features(sha256: str, cache: Path | None = None) -> CallFeatures | None:
    from safetensors import SafetensorError, safe_open

    path = cache_path(sha256, cache)
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="numpy") as fh:
            meta = fh.metadata() or {}
            if meta.get("format") != FEATURE_FORMAT:
                return None
            roles = meta["roles"].split(",")
            channels = [ChannelFeatures(r, fh.get_tensor(f"{i}.mel"), fh.get_tensor(f"{i}.prosody"))
                        for i, r in enumerate(roles)]
            return CallFeatures(sha256, float(meta["duration_s"]), channels)
    except (SafetensorError, OSError, KeyError, ValueError):
        return None
