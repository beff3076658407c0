"""Shared database fixtures: a fresh SQLite file or PostgreSQL database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.sqlalchemy.migrations import upgrade_async
from databases import create_postgres_database, drop_postgres_database


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    url = await create_postgres_database()
    yield url
    await drop_postgres_database(url)


@pytest.fixture
async def icu_postgres_url() -> AsyncIterator[str]:
    """A database whose collation is ICU's for en-US, not in code point order."""
    url = await create_postgres_database(icu_locale="en-US")
    yield url
    await drop_postgres_database(url)


@pytest.fixture
async def migrated_sqlite_url(sqlite_url: str) -> str:
    await upgrade_async(sqlite_url)
    return sqlite_url


@pytest.fixture
async def migrated_postgres_url(postgres_url: str) -> str:
    await upgrade_async(postgres_url)
    return postgres_url


@pytest.fixture
async def migrated_icu_postgres_url(icu_postgres_url: str) -> str:
    await upgrade_async(icu_postgres_url)
    return icu_postgres_url
