"""Alembic, run from code: upgrade, downgrade, "is the schema current?" and "is it one these
scripts know?" for the CLI and serve."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

# src/adapters/sqlalchemy/migrations.py -> the repository's top-level migrations/ folder
SCRIPT_LOCATION = Path(__file__).resolve().parents[3] / "migrations"


def _config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    if url is not None:
        # The value goes through ConfigParser interpolation, where % is special.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database up to `revision`; from plain code only (it runs its own event loop)."""
    command.upgrade(_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """`upgrade` for callers inside an event loop: it runs in a worker thread."""
    await asyncio.to_thread(upgrade, url, revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database down to `revision` (`base` for an empty database)."""
    command.downgrade(_config(url), revision)


def head_revision() -> str:
    """The newest revision of the migration scripts."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration scripts in {SCRIPT_LOCATION}")
    return head


async def schema_is_current(engine: AsyncEngine) -> bool:
    """Whether the database's schema is at the scripts' head revision."""
    async with engine.connect() as connection:
        heads = await connection.run_sync(_database_heads)
    return heads == (head_revision(),)


async def unknown_revisions(engine: AsyncEngine) -> tuple[str, ...]:
    """The database's revisions that no migration script has: a newer Herald migrated it."""
    async with engine.connect() as connection:
        heads = await connection.run_sync(_database_heads)
    scripts = ScriptDirectory.from_config(_config())
    known = {script.revision for script in scripts.walk_revisions()}
    return tuple(head for head in heads if head not in known)


def _database_heads(connection: Connection) -> tuple[str, ...]:
    return MigrationContext.configure(connection).get_current_heads()
