"""SQLite (or any SQLAlchemy URL) storage of analysed calls and reviewer labels.

open_database(url) gives a migrated engine; repository.py saves and loads
analyses, labels.py records reviewer decisions. Callers only see dataclasses.
"""
from __future__ import annotations

from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.labels import ConflictError, LabelEvent, LabelStore
from reviewer_app.core.storage.repository import (
    CallSummary,
    StoredSegment,
    find_call,
    list_calls,
    load_analysis,
    load_segments,
    save_analysis,
)

__all__ = [
    "CallSummary",
    "ConflictError",
    "LabelEvent",
    "LabelStore",
    "StoredSegment",
    "find_call",
    "list_calls",
    "load_analysis",
    "load_segments",
    "open_database",
    "save_analysis",
]
