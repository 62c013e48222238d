"""Model versions in the database: every training run's weights, metrics and which one is active.

At most one row is active. No active row means the bundled default checkpoint
is in use. Each function is one short transaction; the ones that write use
`Session(writer(engine))` so two processes never fight over the lock.
Rollback goes to the newest version older than the active one, and from the
oldest to the bundled default.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.storage.db import writer
from reviewer_app.core.storage.models import ModelVersionRow, utcnow

DEFAULT_VERSION = "default"  # the bundled checkpoint; never a row


@dataclass(frozen=True)
class ModelVersion:
    id: int
    version: str
    created_at: datetime
    path: str  # the .safetensors file (its .json metadata lies next to it)
    sha256: str
    metrics: dict[str, Any] = field(default_factory=dict)
    is_active: bool = False
    notes: str = ""


def _plain(r: ModelVersionRow) -> ModelVersion:
    return ModelVersion(r.id, r.version, r.created_at, r.path, r.sha256, dict(r.metrics or {}),
                        bool(r.is_active), r.notes or "")


def add_version(engine: Engine, version: str, path: str, sha256: str,
                metrics: dict[str, Any], notes: str = "") -> ModelVersion:
    """Record a trained model (inactive)."""
    if version == DEFAULT_VERSION:
        raise ReviewerError(f"'{DEFAULT_VERSION}' is reserved for the bundled model")
    try:
        with Session(writer(engine)) as s, s.begin():
            row = ModelVersionRow(version=version, created_at=utcnow(), path=path, sha256=sha256,
                                  metrics=metrics, is_active=False, notes=notes)
            s.add(row)
            s.flush()
            return _plain(row)
    except IntegrityError:
        raise ReviewerError(f"model version {version} already exists") from None


def list_versions(engine: Engine) -> list[ModelVersion]:
    """Every recorded version, oldest first."""
    with Session(engine) as s, s.begin():
        return [_plain(r) for r in s.scalars(select(ModelVersionRow).order_by(ModelVersionRow.id))]


def get_version(engine: Engine, version: str) -> ModelVersion | None:
    with Session(engine) as s, s.begin():
        row = s.scalars(select(ModelVersionRow).where(ModelVersionRow.version == version)).one_or_none()
        return None if row is None else _plain(row)


def active_version(engine: Engine) -> ModelVersion | None:
    """The active version, or None when the bundled default is in use."""
    with Session(engine) as s, s.begin():
        row = s.scalars(select(ModelVersionRow).where(ModelVersionRow.is_active.is_(True))
                        .order_by(ModelVersionRow.id.desc()).limit(1)).first()
        return None if row is None else _plain(row)


def activate(engine: Engine, version: str) -> ModelVersion | None:
    """Make `version` the active one ('default': the bundled model). Returns it (None for default)."""
    with Session(writer(engine)) as s, s.begin():
        row = None
        if version != DEFAULT_VERSION:
            row = s.scalars(select(ModelVersionRow).where(ModelVersionRow.version == version)).one_or_none()
            if row is None:
                raise ReviewerError(f"no model version {version!r} (see `reviewer-app models list`)")
        s.execute(update(ModelVersionRow).where(ModelVersionRow.is_active.is_(True)).values(is_active=False))
        if row is not None:
            row.is_active = True
            s.flush()
            return _plain(row)
        return None


def rollback(engine: Engine) -> ModelVersion | None:
    """Activate the newest version older than the active one; the bundled default after the oldest."""
    with Session(writer(engine)) as s, s.begin():
        current = s.scalars(select(ModelVersionRow).where(ModelVersionRow.is_active.is_(True))
                            .order_by(ModelVersionRow.id.desc()).limit(1)).first()
        if current is None:
            raise ReviewerError("the bundled default model is already in use: nothing to roll back")
        previous = s.scalars(select(ModelVersionRow).where(ModelVersionRow.id < current.id)
                             .order_by(ModelVersionRow.id.desc()).limit(1)).first()
        s.execute(update(ModelVersionRow).where(ModelVersionRow.is_active.is_(True)).values(is_active=False))
        if previous is None:
            return None
        previous.is_active = True
        s.flush()
        return _plain(previous)


def set_notes(engine: Engine, version: str, notes: str) -> None:
    with Session(writer(engine)) as s, s.begin():
        row = s.scalars(select(ModelVersionRow).where(ModelVersionRow.version == version)).one_or_none()
        if row is None:
            raise ReviewerError(f"no model version {version!r}")
        row.notes = notes


def delete_version(engine: Engine, version: str) -> ModelVersion:
    """Forget a version that is not in use; returns what was deleted (its files are the caller's)."""
    with Session(writer(engine)) as s, s.begin():
        row = s.scalars(select(ModelVersionRow).where(ModelVersionRow.version == version)).one_or_none()
        if row is None:
            raise ReviewerError(f"no model version {version!r}")
        if row.is_active:
            raise ReviewerError(f"model version {version!r} is in use: promote another one first")
        gone = _plain(row)
        s.delete(row)
        return gone
