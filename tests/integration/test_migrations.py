"""The Alembic migrations go up, down and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.migrations import (
    downgrade,
    head_revision,
    schema_is_current,
    upgrade,
    upgrade_async,
)
from adapters.sqlalchemy.tables import metadata

SCHEMA = {
    "users": set(),
    "leads": set(),
    "notifications": {"ix_notifications_related_lead_id"},
    "notification_recipients": {
        "ix_notification_recipients_inbox",
        "ix_notification_recipients_unread",
        "ix_notification_recipients_notification_id",
    },
}


async def indexes_by_table(engine: AsyncEngine) -> dict[str, set[str]]:
    """Herald's tables in the database, each with the names of its indexes."""

    def inspect(connection: sa.Connection) -> dict[str, set[str]]:
        inspector = sa.inspect(connection)
        return {
            table: {str(index["name"]) for index in inspector.get_indexes(table)}
            for table in inspector.get_table_names()
            if table != "alembic_version"
        }

    async with engine.connect() as connection:
        return await connection.run_sync(inspect)


async def test_migrations_go_up_down_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert not await schema_is_current(engine)

        await upgrade_async(database_url)
        assert await schema_is_current(engine)
        assert await indexes_by_table(engine) == SCHEMA

        await asyncio.to_thread(downgrade, database_url, "base")
        assert not await schema_is_current(engine)
        assert await indexes_by_table(engine) == {}

        await upgrade_async(database_url)
        assert await schema_is_current(engine)
        assert await indexes_by_table(engine) == SCHEMA
    finally:
        await engine.dispose()


async def test_the_migrated_schema_is_the_one_the_tables_describe(database_url: str) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()

    assert differences == []


def test_upgrade_runs_from_plain_code(tmp_path: Path) -> None:
    """The CLI's way: no event loop running, and a `%` in the URL (here in the file name)."""
    path = tmp_path / "100%.db"

    upgrade(f"sqlite+aiosqlite:///{path}")

    with sqlite3.connect(path) as connection:
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [(head_revision(),)]
