"""Where the app keeps its data, caches and bundled resources."""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "reviewer_app"


def data_dir() -> Path:
    """User data dir; REVIEWER_APP_DATA_DIR overrides it (tests, portable installs)."""
    override = os.environ.get("REVIEWER_APP_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    override = os.environ.get("REVIEWER_APP_CACHE_DIR")
    path = Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'reviewer.sqlite3'}"


def resources_dir() -> Path:
    """The repository's resources/ folder (bundled demo calls, lexicons, models)."""
    return Path(__file__).resolve().parents[2] / "resources"


def demo_calls() -> list[Path]:
    return sorted((resources_dir() / "demo_calls").glob("*.wav"))
