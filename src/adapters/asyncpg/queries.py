"""`InboxQueries` on an asyncpg pool: the SQLAlchemy Core statements, compiled once to SQL."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.sql.compiler import SQLCompiler

from adapters.sqlalchemy.queries import (
    COUNTS,
    RECEIPTS,
    SENT_ABOUT,
    UNREAD_COUNT,
    Rows,
    counts_of,
    entry_of,
    group_parameters,
    group_shape,
    groups_of_rows,
    groups_statement,
    page_query,
    receipt_of,
    sent_of,
)
from application.ports import GroupSlice, InboxSlice
from domain.notifications import (
    InboxCounts,
    InboxEntry,
    NotificationGroup,
    Receipt,
    SentNotification,
)

_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
# Opened on demand, up to 10, and up to 4 for the reads planned per call: beside the
# engine's pool (10, and 20 more on demand), a process holds at most 44 connections, and two
# processes stay within the 97 that PostgreSQL's default `max_connections` (100) leaves to
# ordinary users (docs/deploying.md).
POOL_MIN_SIZE, POOL_MAX_SIZE, PLANNED_POOL_MAX_SIZE = 1, 10, 4


class _ReadOnlyConnection(asyncpg.Connection):  # type: ignore[misc]
    """A connection that only ever runs single SELECTs outside a transaction: nothing to
    reset when the pool takes it back (asyncpg's default costs a round trip per query)."""

    def get_reset_query(self) -> str:
        return ""


class _Compiled:
    """A statement's SQL with `$n` placeholders, and the order its parameters go in."""

    def __init__(self, statement: sa.ClauseElement) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        assert isinstance(compiled, SQLCompiler)  # a statement's, not a DDL's
        self.sql = str(compiled)
        self.names = tuple(compiled.positiontup or ())

    def arguments(self, parameters: dict[str, Any]) -> list[Any]:
        return [parameters[name] for name in self.names]


@cache
def _compiled(statement: sa.ClauseElement) -> _Compiled:
    return _Compiled(statement)


def compiled_sql(statement: sa.ClauseElement) -> str:
    """The SQL this adapter sends for a statement (the benchmark's bare route sends it too)."""
    return _compiled(statement).sql


def compiled_names(statement: sa.ClauseElement) -> tuple[str, ...]:
    """The names of a statement's parameters, in the order `compiled_sql` numbers them."""
    return _compiled(statement).names


def asyncpg_dsn(database_url: str) -> str:
    """The libpq-style address of a `postgresql+asyncpg://` URL, secrets kept."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class _Pool:
    """An asyncpg pool whose connections go to callers in the order they asked. asyncpg hands a
    released connection to whoever asks first; a waiter woken for it that finds it taken goes
    to the back of the line (asyncio's Queue), so under load some reads waited many times as
    long as most. A semaphore as large as the pool (asyncio's is first come, first served)
    lets no more callers at the pool than it has connections."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._turns = asyncio.Semaphore(pool.get_max_size())

    async def fetch(self, sql: str, *arguments: Any) -> Rows:
        async with self._turns:
            rows: Rows = await self.pool.fetch(sql, *arguments)
        return rows


class AsyncpgInboxQueries:
    """Reads straight off asyncpg: prepared statements (asyncpg caches them per connection),
    records mapped to domain entries by position. The pool opens on first use, in the loop
    that serves."""

    def __init__(self, database_url: str) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._pool: _Pool | None = None
        self._planned: _Pool | None = None
        self._opening = asyncio.Lock()

    async def unread_count(self, user_id: str) -> int:
        [row] = await self._fetch(UNREAD_COUNT, {"user_id": user_id})
        return int(row[0])

    async def counts(self, user_id: str) -> InboxCounts:
        return counts_of(await self._fetch(COUNTS, {"user_id": user_id}))

    async def page(self, wanted: InboxSlice) -> list[InboxEntry]:
        statement, parameters = page_query(wanted, on_postgresql=True)
        planned = wanted.related_lead_id is not None
        return [entry_of(row) for row in await self._fetch(statement, parameters, planned)]

    async def groups(self, wanted: GroupSlice) -> list[NotificationGroup]:
        shape = group_shape(wanted, on_postgresql=True)
        statement = groups_statement(shape, after=wanted.after is not None)
        planned = shape.unread_only or shape.related_lead
        return groups_of_rows(await self._fetch(statement, group_parameters(wanted), planned))

    async def sent_about(self, lead_id: UUID, limit: int) -> list[SentNotification]:
        rows = await self._fetch(SENT_ABOUT, {"lead_id": lead_id, "limit": limit})
        return [sent_of(row) for row in rows]

    async def receipts(self, notification_id: UUID, limit: int) -> list[Receipt]:
        rows = await self._fetch(RECEIPTS, {"notification_id": notification_id, "limit": limit})
        return [receipt_of(row) for row in rows]

    async def _fetch(
        self, statement: sa.ClauseElement, parameters: dict[str, Any], planned: bool = False
    ) -> Rows:
        """On the reads' connections, where PostgreSQL plans a prepared statement for its
        parameters five times, then keeps a generic plan if it looks no dearer: no planning
        per call. `planned` reads are planned for every call's parameters, on connections of
        their own: pages of entries or of groups filtered by a lead, and pages of unread
        groups, select few among many in a large inbox, and the generic plan (made for an
        average user) walks that inbox to find them, tens to thousands of times slower."""
        compiled = _compiled(statement)
        if planned:
            pool = self._planned or await self._open_planned()
        else:
            pool = self._pool or await self._open()
        return await pool.fetch(compiled.sql, *compiled.arguments(parameters))

    async def close(self) -> None:
        pools = (self._pool, self._planned)
        self._pool = self._planned = None
        for pool in pools:
            if pool is not None:
                await pool.pool.close()

    async def _open_planned(self) -> _Pool:
        async with self._opening:
            if self._planned is None:
                self._planned = await self._create(
                    PLANNED_POOL_MAX_SIZE, plan_cache_mode="force_custom_plan"
                )
            return self._planned

    async def _open(self) -> _Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await self._create(POOL_MAX_SIZE)
            return self._pool

    async def _create(self, max_size: int, **server_settings: str) -> _Pool:
        pool = await asyncpg.create_pool(
            self._dsn,
            min_size=POOL_MIN_SIZE,
            max_size=max_size,
            connection_class=_ReadOnlyConnection,
            server_settings=server_settings,
        )
        return _Pool(pool)
