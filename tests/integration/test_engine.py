"""The engine: readiness answers, and SQLite set up to keep its promises."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.pool import QueuePool

from adapters.asyncpg.queries import PLANNED_POOL_MAX_SIZE, POOL_MAX_SIZE
from adapters.sqlalchemy.engine import database_problem, make_engine
from adapters.sqlalchemy.queries import SqlAlchemyInboxQueries
from adapters.sqlalchemy.tables import tasks, users
from application.ports import InboxSlice


async def test_a_reachable_database_has_no_problem(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert await database_problem(engine) is None
    finally:
        await engine.dispose()


async def test_an_unreachable_database_is_named_in_one_line_without_its_password() -> None:
    engine = make_engine("postgresql+asyncpg://herald:s3cret@127.0.0.1:1/herald")
    try:
        problem = await database_problem(engine)
    finally:
        await engine.dispose()

    assert problem is not None
    assert problem.startswith("database unavailable: ")
    assert "\n" not in problem
    assert "s3cret" not in problem


@pytest.mark.postgres
async def test_a_pooled_connection_that_postgresql_closed_is_replaced_before_use(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            dropped = await connection.scalar(sa.text("SELECT pg_backend_pid()"))
        # Back in the pool, it is closed by the server (another client's doing); the call
        # waits until the backend has ended.
        other = make_engine(postgres_url)
        try:
            async with other.connect() as connection:
                ended = await connection.scalar(
                    sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": dropped}
                )
        finally:
            await other.dispose()
        assert ended

        async with engine.connect() as first, engine.connect() as second:
            pids = {
                await first.scalar(sa.text("SELECT pg_backend_pid()")),
                await second.scalar(sa.text("SELECT pg_backend_pid()")),
            }
        assert dropped not in pids
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_the_connection_returned_last_is_taken_first(postgres_url: str) -> None:
    # Each connection prepares its statements, and learns the types it reads, at its first
    # use of them: the pool hands out the connections that were used last, which have.
    engine = make_engine(postgres_url)
    pid = sa.text("SELECT pg_backend_pid()")
    try:
        async with engine.connect() as earlier, engine.connect() as later:
            first = await earlier.scalar(pid)  # returned last: `later` closes first
            await later.scalar(pid)
        async with engine.connect() as connection:
            assert await connection.scalar(pid) == first
    finally:
        await engine.dispose()


async def test_sqlite_enforces_foreign_keys_and_writes_ahead(migrated_sqlite_url: str) -> None:
    engine = make_engine(migrated_sqlite_url)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(sa.text("PRAGMA journal_mode")) == "wal"
            with pytest.raises(IntegrityError):
                await connection.execute(
                    sa.insert(tasks).values(
                        id=uuid4(),
                        lead_id=uuid4(),  # no such lead
                        title="Call back",
                        created_by_id="bob",
                        created_at=sa.func.now(),
                    )
                )
    finally:
        await engine.dispose()


async def test_a_naive_datetime_is_refused(migrated_sqlite_url: str) -> None:
    engine = make_engine(migrated_sqlite_url)
    naive = datetime(2025, 3, 14, 9, 30)
    try:
        async with engine.connect() as connection:
            with pytest.raises(StatementError, match="timezone-aware"):
                await connection.execute(
                    sa.insert(users).values(id="alice", created_at=naive, updated_at=naive)
                )
    finally:
        await engine.dispose()


async def test_sqlite_reads_go_on_beside_a_writer_holding_the_lock(
    migrated_sqlite_url: str,
) -> None:
    # A short busy timeout: a read that queued behind the writer would fail at once.
    engine = make_engine(migrated_sqlite_url, lock_timeout_ms=100)
    queries = SqlAlchemyInboxQueries(engine)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as writer:
            await writer.execute(sa.insert(users).values(id="bob", created_at=now, updated_at=now))

            assert await queries.unread_count("bob") == 0
            assert await queries.page(InboxSlice(user_id="bob", limit=10)) == []
            assert await database_problem(engine) is None
    finally:
        await engine.dispose()


def test_two_processes_stay_within_postgresql_default_connections() -> None:
    engine = make_engine("postgresql+asyncpg://herald@127.0.0.1/herald")  # connects lazily
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    per_process = pool.size() + pool._max_overflow + POOL_MAX_SIZE + PLANNED_POOL_MAX_SIZE
    deploying = (Path(__file__).parents[2] / "docs" / "deploying.md").read_text()

    # PostgreSQL's default max_connections (100) less its superuser_reserved_connections (3).
    assert 2 * per_process <= 97
    assert f"at most **{per_process} PostgreSQL connections**" in deploying


@pytest.mark.postgres
async def test_postgresql_connections_wait_for_locks_a_while_and_compile_nothing(
    migrated_postgres_url: str,
) -> None:
    engine = make_engine(migrated_postgres_url, lock_timeout_ms=1234)
    try:
        async with engine.connect() as connection:
            settings = {
                name: (await connection.execute(sa.text(f"SHOW {name}"))).scalar_one()
                for name in ("lock_timeout", "jit")
            }
    finally:
        await engine.dispose()

    assert settings == {"lock_timeout": "1234ms", "jit": "off"}
