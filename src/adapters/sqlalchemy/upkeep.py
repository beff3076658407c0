"""Upkeep of PostgreSQL's indexes, done apart from the writes that would otherwise pay for it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

# The replay index (`tables.py`): a GIN index on each event's recipients.
REPLAY_INDEX = "ix_outbox_events_recipients"

# PostgreSQL's insufficient_privilege: only the index's owner (or a superuser) may merge it.
NOT_OWNER_STATE = "42501"


class UpkeepNotAllowed(Exception):
    """The database's user may not do this upkeep: it does not own the index."""


_MERGE = sa.select(sa.func.gin_clean_pending_list(sa.literal_column(f"'{REPLAY_INDEX}'::regclass")))


class ReplayIndexUpkeep:
    """Moves the replay index's pending list into the index (PostgreSQL only).

    A GIN index takes new entries into a pending list, cheap to add to, and the insert that finds
    the list over `gin_pending_list_limit` (4 MB: about a hundred events of 1,000 recipients)
    merges all of it into the index first. That insert is an outbox write, made while its unit
    of work holds the outbox's turn, so every commit behind it waited for the merge (78 to 110
    ms under a burst of leads; bench/findings.md). Merged here, often, over a pooled connection
    apart from the writes, the list stays short: a write seldom meets a full list, and replay's
    lookups, which read the whole list, read less of it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def __call__(self) -> int:
        """Merges the pending list; returns how many of its pages were merged. Raises
        `UpkeepNotAllowed` where the database's user does not own the index."""
        try:
            async with self._engine.connect() as connection:
                pages: int = (await connection.execute(_MERGE)).scalar_one()
                await connection.commit()
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) == NOT_OWNER_STATE:
                raise UpkeepNotAllowed(str(error.orig)) from error
            raise
        return pages
