"""Where models live and which one is in use: the bundled default, trained versions, promotion.

A trained version is `data_dir/models/<version>/model.safetensors` (+ `.json`),
recorded in the database's model_versions table. The files are written first
and the row added after, so a crash in between leaves an unused folder, never a
row that points at nothing. Activating checks the files first: a damaged
version is never put in use.
"""
from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from reviewer_app.core import paths
from reviewer_app.core.errors import ModelError, ReviewerError
from reviewer_app.core.storage import model_versions as mv
from reviewer_app.core.model.checkpoint import LoadedModel, load_checkpoint, read_meta, save_checkpoint

DEFAULT_NAME = "default.safetensors"
log = logging.getLogger(__name__)

_cache: dict[tuple[str, str, str], LoadedModel] = {}
_cache_lock = threading.Lock()


def default_checkpoint() -> Path:
    return paths.resources_dir() / "models" / DEFAULT_NAME


def models_dir() -> Path:
    path = paths.data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_version_name() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def active_weights(engine) -> tuple[str, Path]:
    """(version name, weights path) of the model in use; the bundled default when none is active."""
    if engine is not None:
        row = mv.active_version(engine)
        if row is not None:
            return row.version, Path(row.path)
    return mv.DEFAULT_VERSION, default_checkpoint()


def active_meta(engine) -> dict:
    """The metadata of the model in use, read without loading its weights."""
    version, weights = active_weights(engine)
    meta = read_meta(weights)
    meta.setdefault("version", version)
    return meta


def load_model(weights: Path, device: str = "cpu", recorded_sha256: str | None = None) -> LoadedModel:
    """Load (once per process, per file content and device) a verified checkpoint. A trained version
    passes the sha256 the database recorded for it: a file that differs is refused."""
    from reviewer_app.core.model.checkpoint import check_recorded_sha256, file_sha256

    weights = Path(weights)
    if not weights.is_file():
        raise ModelError(f"{weights}: model weights not found")
    actual = file_sha256(weights)
    key = (str(weights.resolve()), actual, device)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = load_checkpoint(weights, device, recorded_sha256)
        else:  # loaded before under another record, perhaps
            check_recorded_sha256(weights, actual, recorded_sha256)
        return _cache[key]


def load_active(engine, device: str = "cpu") -> LoadedModel:
    """The model in use. If its file is damaged or missing, the newest earlier version that loads
    (then the bundled default) stands in, and `meta["fallback_from"]` names the one that failed."""
    row = mv.active_version(engine) if engine is not None else None
    version, weights = (row.version, Path(row.path)) if row is not None else (mv.DEFAULT_VERSION, default_checkpoint())
    try:
        loaded = load_model(weights, device, row.sha256 if row is not None else None)
    except ModelError as exc:
        log.warning("model %s cannot be loaded (%s); falling back to the previous version", version, exc)
        loaded = _previous_that_loads(engine, version, device)
        return replace(loaded, meta={**loaded.meta, "fallback_from": version, "fallback_reason": str(exc)})
    loaded.meta.setdefault("version", version)
    return loaded


def _previous_that_loads(engine, failed: str, device: str) -> LoadedModel:
    rows = mv.list_versions(engine) if engine is not None else []
    ids = [r.id for r in rows if r.version == failed]
    earlier = [r for r in rows if ids and r.id < ids[0]]
    for row in reversed(earlier):
        try:
            loaded = load_model(Path(row.path), device, row.sha256)
        except ModelError:
            continue
        return replace(loaded, meta={**loaded.meta, "version": row.version})
    loaded = load_model(default_checkpoint(), device)
    return replace(loaded, meta={**loaded.meta, "version": mv.DEFAULT_VERSION})


def register(engine, model, meta: dict, notes: str = "") -> mv.ModelVersion:
    """Save a trained model as a new (inactive) version; returns its row."""
    version = meta.get("version") or new_version_name()
    folder = models_dir() / version
    weights = folder / "model.safetensors"
    written = save_checkpoint(model, weights, dict(meta, version=version))
    summary = {k: written[k] for k in ("label_counts", "validation", "device", "duration_s", "epochs_run",
                                        "base_version", "fusion", "promote_decision") if k in written}
    return mv.add_version(engine, version, str(weights), written["weights_sha256"], summary, notes)


def promote(engine, version: str) -> mv.ModelVersion | None:
    """Put `version` in use ('default' for the bundled model) after checking its files."""
    if version != mv.DEFAULT_VERSION:
        row = mv.get_version(engine, version)
        if row is None:
            raise ReviewerError(f"no model version {version!r} (see `reviewer-app models list`)")
        load_checkpoint(Path(row.path), recorded_sha256=row.sha256)  # ModelError when damaged, replaced, missing
    return mv.activate(engine, version)


def discard(engine, version: str) -> None:
    """Delete a trained version that is not in use: its row first, then its folder."""
    import shutil

    row = mv.delete_version(engine, version)
    folder = Path(row.path).parent
    if folder.parent == models_dir() and folder.name == version:  # only ever our own version folders
        shutil.rmtree(folder, ignore_errors=True)


def rollback(engine) -> mv.ModelVersion | None:
    """Back to the version before the active one (the bundled default after the oldest)."""
    current = mv.active_version(engine)
    if current is None:
        raise ReviewerError("the bundled default model is already in use: nothing to roll back")
    target = None
    for row in mv.list_versions(engine):
        if row.id < current.id:
            target = row
    if target is not None:
        load_checkpoint(Path(target.path), recorded_sha256=target.sha256)
    return mv.rollback(engine)
