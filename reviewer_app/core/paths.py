"""Where the app keeps its data, caches and bundled resources."""
from __future__ import annotations

import importlib.resources
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
    """The bundled resources (demo calls, default model): the package `reviewer_app.resources`.

    An installed wheel carries them inside the package; an editable install maps the
    package onto the repository's top-level resources/ folder. Only when neither is
    installed (a bare checkout on PYTHONPATH) is that folder used directly.
    """
    try:
        root = importlib.resources.files("reviewer_app.resources")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "resources"
    return Path(str(root))


def demo_calls() -> list[Path]:
    return sorted((resources_dir() / "demo_calls").glob("*.wav"))
