"""Fresh PostgreSQL databases for tests: each made on the test server, and dropped after; and
SQLite as its versions before 3.32 were."""

from __future__ import annotations

import os
import sqlite3
import uuid
from typing import Any

import pytest
from sqlalchemy import event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

# A server where user postgres may create databases; each test gets its own, dropped after it.
POSTGRES_SERVER_URL = os.environ.get(
    "HERALD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


async def create_postgres_database(*, icu_locale: str | None = None) -> str:
    """A new, empty database on the test server, as a URL; skips (or fails) if it is down.
    With `icu_locale`, the database's collation is that ICU locale's (`en-US`: "_u1" before
    "amy" before "Bob"), as on servers made with a language's collation."""
    name = f"herald_test_{uuid.uuid4().hex}"
    create = f'CREATE DATABASE "{name}"'
    if icu_locale is not None:
        create += f" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{icu_locale}'"
    try:
        await _on_server(create)
    except (OSError, DBAPIError) as error:
        reason = f"PostgreSQL is not available ({type(error).__name__}: {error})"
        if os.environ.get("HERALD_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return make_url(POSTGRES_SERVER_URL).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    """Drop a database made by `create_postgres_database`, and no other."""
    name = make_url(url).database
    if name is None or not name.startswith("herald_test_"):
        raise ValueError(f"not a test database: {name!r}")
    await _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _on_server(sql: str) -> None:
    server = create_async_engine(
        POSTGRES_SERVER_URL,
        isolation_level="AUTOCOMMIT",  # CREATE and DROP DATABASE run outside a transaction
        poolclass=NullPool,
        connect_args={"timeout": 10},
    )
    try:
        async with server.connect() as connection:
            await connection.exec_driver_sql(sql)
    finally:
        await server.dispose()


def as_old_sqlite(engine: AsyncEngine) -> None:
    """The engine's SQLite connections take at most 999 parameters a statement, as SQLite
    before 3.32 did (Debian 10, Ubuntu 20.04)."""

    @event.listens_for(engine.sync_engine, "connect")
    def limited(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.driver_connection._conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
