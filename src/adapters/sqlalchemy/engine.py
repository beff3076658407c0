"""The database engine and sessions, set up for SQLite (embedded) or PostgreSQL (production)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, InvalidatePoolError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from application.ports import ConcurrentUpdate, DatabaseBusy

# How long a statement waits for a lock before the unit of work fails with `DatabaseBusy`:
# SQLite's busy timeout, PostgreSQL's lock_timeout.
LOCK_TIMEOUT_MS = 5_000
READY_TIMEOUT_SECONDS = 5

# The execution option of connections that only read (see `read_only`).
READ_ONLY = "herald_read_only"

# PostgreSQL's codes for "run it again": serialization_failure, deadlock_detected; and for a
# lock not granted within `lock_timeout`: lock_not_available.
_RETRY_STATES = frozenset({"40001", "40P01"})
_LOCK_TIMEOUT_STATE = "55P03"


def make_engine(url: str, lock_timeout_ms: int = LOCK_TIMEOUT_MS) -> AsyncEngine:
    """An engine for a `sqlite+aiosqlite://` or `postgresql+asyncpg://` URL; connects lazily."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(
            parsed,
            pool_size=10,
            max_overflow=20,
            # The connection used last is taken first: a connection prepares each statement,
            # and asyncpg asks PostgreSQL about each array type it reads (2 to 9 ms), at its
            # first use of them; taken in turn, every pooled connection paid that within a
            # burst (bench/findings.md).
            pool_use_lifo=True,
            pool_recycle=1800,
            # No JIT: it compiled a delivery flush's statement for 350 to 400 ms each second
            # under the socket run, for a statement that runs in milliseconds once planned
            # well; the planner's cost estimates of these statements are no guide to it.
            connect_args={"server_settings": {"lock_timeout": str(lock_timeout_ms), "jit": "off"}},
        )
        event.listen(engine.sync_engine, "connect", _connected)
        event.listen(engine.sync_engine, "checkout", _ping)
        return engine
    engine = create_async_engine(parsed)
    in_memory = parsed.database in (None, "", ":memory:")

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        # SQLAlchemy emits BEGIN itself (below): the driver would do so only before a write.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={lock_timeout_ms}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Take the write lock up front: a transaction that read first and writes later would
        # otherwise fail with "database is locked" when another one committed in between.
        # A transaction that only reads needs no lock: with WAL it reads beside the writer.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# Set on a connection just made, whose first checkout needs no ping.
_FRESH = "herald_fresh"


def _connected(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_FRESH] = True


def _ping(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: object) -> None:
    """Each connection taken from the pool, but a new one, is asked first whether it is still
    there: `pool_pre_ping`'s promise in one round trip (a simple query). SQLAlchemy's asyncpg
    dialect pings in three (a transaction begun and rolled back around it): with a connection
    taken 3.7 times for a `createLead` and the relay's run after it, 11 of their 33 round trips
    were pings (bench/findings.md).

    A connection that PostgreSQL closed (a restart, a terminated backend, a proxy) fails the
    ping: as with `pool_pre_ping`, the pool then makes a new connection in its place and every
    older one is made again before its next use. Any other error is raised as it is."""
    if record.info.pop(_FRESH, False):
        return
    try:
        dbapi_connection.run_async(lambda connection: connection.execute("SELECT 1"))
    except Exception as error:
        if not (isinstance(error, OSError) or dbapi_connection.driver_connection.is_closed()):
            raise
        raise InvalidatePoolError(f"a pooled connection was closed: {error}") from error


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The engine, for transactions that only read: on SQLite they begin without taking the
    write lock, so they neither wait for writers nor keep them waiting. Shares its pool."""
    return engine.execution_options(**{READ_ONLY: True})


@contextmanager
def concurrency_errors() -> Iterator[None]:
    """Turns the database's concurrency refusals, and a pool with no connection free in time,
    into the ports' errors; the others pass."""
    try:
        yield
    except PoolTimeout as error:
        # Every connection of the pool is in use and none came back in time: the writes queue
        # behind each other. Nothing of this unit of work was done; the client may try again.
        raise DatabaseBusy("no database connection was free in time") from error
    except DBAPIError as error:
        cause = error.orig
        if getattr(cause, "sqlstate", None) in _RETRY_STATES:
            raise ConcurrentUpdate(str(cause)) from error
        if getattr(cause, "sqlstate", None) == _LOCK_TIMEOUT_STATE or getattr(
            cause, "sqlite_errorname", None
        ) in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            raise DatabaseBusy(str(cause)) from error
        raise


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def database_problem(engine: AsyncEngine) -> str | None:
    """None when the database answers `SELECT 1`, else a one-line reason without secrets."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            async with read_only(engine).connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
    except TimeoutError:
        return f"database did not answer within {READY_TIMEOUT_SECONDS} s"
    except (SQLAlchemyError, OSError) as error:
        # A DBAPIError's own text carries the SQL statement; its driver error does not.
        cause = error.orig if isinstance(error, DBAPIError) else error
        detail = " ".join(str(cause).split()) or "no detail"
        return f"database unavailable: {type(cause).__name__}: {detail}"[:300]
    return None
