"""Fixtures of the end-to-end tests: one server on PostgreSQL per module, fresh clients per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from e2e_support import Clients, HeraldServer, clients_of, herald_env, running_server

from adapters.sqlalchemy.migrations import upgrade
from databases import create_postgres_database, drop_postgres_database


def migrated_database() -> Iterator[str]:
    url = asyncio.run(create_postgres_database())
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(drop_postgres_database(url))


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    yield from migrated_database()


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A database with no schema at all, for commands that must refuse it."""
    url = asyncio.run(create_postgres_database())
    try:
        yield url
    finally:
        asyncio.run(drop_postgres_database(url))


@pytest.fixture
def own_database_url() -> Iterator[str]:
    """A database for one test alone: for tests that restart, kill or share servers."""
    yield from migrated_database()


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[HeraldServer]:
    with running_server(herald_env(DATABASE_URL=database_url)) as running:
        yield running


@pytest.fixture
async def clients(server: HeraldServer) -> AsyncIterator[Clients]:
    async with clients_of(server) as made:
        yield made
