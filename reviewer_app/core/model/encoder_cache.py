"""The on-disk cache of per-call Whisper encoder states (asr/encoder_states.py), which the learned
model's speech branch reads: one safetensors file per call and encoder model, under `cache_root()`."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from reviewer_app.core import paths
from reviewer_app.core.asr.encoder_states import HOP_S, EncoderStates, compute_states
from reviewer_app.core.atomic import atomic_path
from reviewer_app.core.errors import ModelError

CACHE_FORMAT = "1"


def cache_root() -> Path:
    """Where per-call encoder states and model features are cached (REVIEWER_APP_FEATURE_CACHE overrides)."""
    override = os.environ.get("REVIEWER_APP_FEATURE_CACHE")
    return Path(override) if override else paths.cache_dir()


def cache_path(sha256: str, model_name: str, cache: Path | None = None) -> Path:
    safe = hashlib.sha1(model_name.encode()).hexdigest()[:10]
    root = (cache or cache_root()) / "encoder"
    return root / sha256[:2] / f"{sha256}-{safe}.safetensors"


def save_states(sha256: str, per_channel: list[EncoderStates], cache: Path | None = None) -> Path:
    """Store one call's states (one entry per analysed channel, in channel order), atomically."""
    from safetensors.numpy import save_file

    if not per_channel:
        raise ValueError("no channels to cache")
    model = per_channel[0].model
    path = cache_path(sha256, model, cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for i, st in enumerate(per_channel):
        tensors[f"{i}.states"] = np.ascontiguousarray(st.states, np.float16)
        tensors[f"{i}.covered"] = st.covered.astype(np.uint8)
    meta = {"format": CACHE_FORMAT, "model": model, "channels": str(len(per_channel)),
            "hop_s": str(HOP_S), "source": ",".join(s.source for s in per_channel)}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    return path


def load_states(sha256: str, model_name: str, cache: Path | None = None) -> list[EncoderStates] | None:
    """The cached states of a call, or None when absent or unreadable (they are recomputed)."""
    from safetensors import SafetensorError, safe_open

    path = cache_path(sha256, model_name, cache)
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="numpy") as fh:
            meta = fh.metadata() or {}
            if meta.get("format") != CACHE_FORMAT or meta.get("model") != model_name:
                return None
            sources = meta.get("source", "").split(",")
            out = []
            for i in range(int(meta["channels"])):
                out.append(EncoderStates(model_name, fh.get_tensor(f"{i}.states"),
                                         fh.get_tensor(f"{i}.covered").astype(bool),
                                         sources[i] if i < len(sources) else "captured"))
            return out
    except (SafetensorError, OSError, KeyError, ValueError):
        return None


def states_for_call(sha256: str, model_name: str, channels_16k: list[np.ndarray], duration_s: float,
                    load_model=None) -> list[EncoderStates]:
    """Cached states, or computed now (and cached) with the encoder `load_model()` returns."""
    cached = load_states(sha256, model_name)
    if cached is not None and len(cached) == len(channels_16k):
        return cached
    if load_model is None:
        raise ModelError(f"no cached {model_name} encoder states for call {sha256[:12]}")
    model = load_model()
    out = [compute_states(model, model_name, x, duration_s) for x in channels_16k]
    save_states(sha256, out)
    return out
