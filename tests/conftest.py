"""Shared test set-up: every test gets its own data dir and settings, never the user's."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def _fresh_data_dir(tmp_path_factory, monkeypatch):
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("REVIEWER_APP_DATA_DIR", str(data))
    return data


def shared(*parts: str) -> Path:
    """A file under ../shared/data, skipping the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (real recordings live in ../shared/data)")
    return path


@pytest.fixture
def app_env(tmp_path):
    """Environment for running the CLI as a subprocess with isolated data."""
    env = dict(os.environ)
    env["REVIEWER_APP_DATA_DIR"] = str(tmp_path / "appdata")
    return env


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server on loopback for the whole run, or a skip saying why not."""
    from tests.pg_server import PostgresServer, Unavailable

    try:
        server = PostgresServer().start()
    except Unavailable as why:
        pytest.skip(f"PostgreSQL tests skipped: {why}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each storage test runs on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'nested' / 'reviewer.sqlite3'}"
    return request.getfixturevalue("postgres_server").new_database()
