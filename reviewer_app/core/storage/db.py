"""Open the database: engine, SQLite pragmas, and Alembic migrations to head.

SQLite notes. Every connection runs in WAL mode with foreign keys on and a
busy timeout, so several processes (GUI, CLI, training worker) can share one
file. pysqlite's own transaction handling is switched off and we emit BEGIN
ourselves; `writer(engine)` makes that `BEGIN IMMEDIATE`, which takes the write
lock up front. Without it a transaction that reads and then writes can fail
with "database is locked" at once, busy timeout or not, when another process
wrote in between.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from reviewer_app.core.errors import ReviewerError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
_BEGIN_OPTION = "reviewer_sqlite_begin"


def open_database(url: str) -> Engine:
    """An engine for `url` with the schema migrated to the newest version.

    `sqlite://` is a private in-memory database (tests). Raises ReviewerError
    naming the URL, password masked, when the URL is bad or the database
    cannot be opened or migrated.
    """
    shown = mask_url(url)
    try:
        parsed = make_url(url)
    except (SQLAlchemyError, ValueError) as exc:
        raise ReviewerError(f"bad database URL {shown}: {_one_line(exc)}") from exc
    try:
        engine = _create_engine(parsed)
    except (SQLAlchemyError, ImportError, OSError, ValueError, TypeError) as exc:
        raise ReviewerError(f"cannot open database {shown}: {_one_line(exc)}") from exc
    try:
        upgrade(engine)
    except Exception as exc:
        engine.dispose()
        raise ReviewerError(f"cannot open database {shown}: {_one_line(exc)}") from exc
    return engine


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations on `engine`, in one transaction."""
    with writer(engine).begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def alembic_config() -> Config:
    """An Alembic config built in code: no alembic.ini needed at run time."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def writer(engine: Engine) -> Engine:
    """The same engine (same pool), whose SQLite transactions start with BEGIN IMMEDIATE.

    Use it for every transaction that writes: `Session(writer(engine))`.
    """
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})


def mask_url(url: str) -> str:
    """`url` with any password replaced by ***, also when it does not parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _create_engine(url: URL) -> Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # the driver we ship (psycopg 3)
    if url.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True)
        with engine.connect():
            pass  # fail now, with the URL in the message, not at first use
        return engine
    database = url.database or ""
    in_memory = database in ("", ":memory:") or url.query.get("mode") == "memory"
    if in_memory:
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        if not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Stop pysqlite from issuing BEGIN / COMMIT on its own; _on_sqlite_begin does it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed label survives a power cut, not only a killed process.
        cursor.execute("PRAGMA synchronous = FULL")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)  # DBAPI error inside a SQLAlchemy one
    text = str(orig if orig is not None else exc).strip() or type(exc).__name__
    return text.splitlines()[0]
