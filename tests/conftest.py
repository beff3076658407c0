"""Shared database fixtures: a fresh SQLite file or PostgreSQL database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from adapters.sqlalchemy.migrations import upgrade_async

# A server where user postgres may create databases; each test gets its own, dropped after it.
POSTGRES_SERVER_URL = os.environ.get(
    "HERALD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    name = f"herald_test_{uuid.uuid4().hex}"
    server = create_async_engine(
        POSTGRES_SERVER_URL,
        isolation_level="AUTOCOMMIT",  # CREATE DATABASE runs outside a transaction
        poolclass=NullPool,
        connect_args={"timeout": 10},
    )
    try:
        try:
            async with server.connect() as connection:
                await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except (OSError, DBAPIError) as error:
            reason = f"PostgreSQL is not available ({type(error).__name__}: {error})"
            if os.environ.get("HERALD_REQUIRE_SERVICES") == "1":
                pytest.fail(reason)
            pytest.skip(reason)
        yield make_url(POSTGRES_SERVER_URL).set(database=name).render_as_string(hide_password=False)
        async with server.connect() as connection:
            await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await server.dispose()


@pytest.fixture
async def migrated_sqlite_url(sqlite_url: str) -> str:
    await upgrade_async(sqlite_url)
    return sqlite_url


@pytest.fixture
async def migrated_postgres_url(postgres_url: str) -> str:
    await upgrade_async(postgres_url)
    return postgres_url
