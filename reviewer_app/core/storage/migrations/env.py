"""Alembic environment.

At run time open_database() passes its connection in
`config.attributes["connection"]`. For `alembic revision` from a shell, give a
URL: `alembic -x url=sqlite:///some.sqlite3 revision -m "..."` with
`script_location` set to this folder.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from reviewer_app.core.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or set sqlalchemy.url")
    return url


if context.is_offline_mode():
    run_offline()
elif (shared := config.attributes.get("connection")) is not None:
    run_migrations(shared)
else:
    engine = create_engine(_url())
    try:
        with engine.begin() as conn:
            run_migrations(conn)
    finally:
        engine.dispose()
