"""What `reviewer-app info` reports: versions, folders, model and device."""
from __future__ import annotations

import platform
from importlib import metadata

from reviewer_app import __version__
from reviewer_app.core import paths
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.settings import load_settings

LIBRARIES = ("faster-whisper", "ctranslate2", "torch", "torchaudio", "PySide6", "SQLAlchemy", "alembic", "av")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def loaded_policy(engine, settings) -> dict:
    """The detector policy of the model that actually loads: its checksums are checked (against the
    database's record for a trained version), and a version that fails is named with the reason and
    the version standing in for it."""
    from reviewer_app.core.detect.merge import describe_meta_policy
    from reviewer_app.core.model.registry import load_active

    loaded = load_active(engine, "cpu")
    meta = loaded.meta
    out = {
        "model_version": loaded.version,
        "model_path": str(loaded.path) if loaded.path else None,
        "model_sha256": meta.get("weights_sha256"),
        **{k: v for k, v in describe_meta_policy(meta, settings).items() if k != "model_version"},
    }
    if meta.get("fallback_from"):
        out["fallback_from"] = meta["fallback_from"]
        out["fallback_reason"] = meta.get("fallback_reason")
    return out


def collect_info(db_url: str | None = None, config: str | None = None) -> dict:
    from reviewer_app.core.asr.model_store import resolve_model
    from reviewer_app.core.asr.transcribe import pick_device
    from reviewer_app.core.storage.db import mask_url

    settings = load_settings(config)
    resolved = resolve_model(settings.asr.model)
    gpu = None
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except Exception as exc:  # a broken CUDA set-up is reported, not fatal
        gpu = f"unavailable ({type(exc).__name__})"
    url = db_url or paths.default_db_url()
    try:
        from reviewer_app.core.storage.db import open_database

        engine = open_database(url)
        try:
            policy = loaded_policy(engine, settings)
        finally:
            engine.dispose()
    except ReviewerError as exc:  # info still answers when the database is unreachable
        policy = {"error": str(exc)}
    return {
        "app_version": __version__,
        "python": platform.python_version(),
        "libraries": {name: _version(name) for name in LIBRARIES},
        "data_dir": str(paths.data_dir()),
        "cache_dir": str(paths.cache_dir()),
        "database_url": mask_url(url),
        "asr_model": resolved.name,
        "asr_model_path": resolved.path,
        "device": pick_device(settings.asr.device),
        "gpu": gpu,
        "detector_policy": policy,  # per category: the learned model or the rule, and why
    }
