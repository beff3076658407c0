"""The lookup of a notification's recipients' addresses when email is on, as the scheduler
writes their due emails (`DueEmailRepository.write_scheduled`): off the notification's
entries, each recipient's address by the users' key. On PostgreSQL, when the ids were one
parameter compared with each user in turn (`= ANY` of a parameter, which PostgreSQL hashes only
when it is a constant), 10,000 recipients took 7 to 9 s a `createLead` (bench/findings.md); no
plan may pair every user with every recipient. On SQLite before 3.32, which takes at most 999
parameters, a parameter per recipient failed: the rows of more recipients than that are written
there, and a broadcast to as many is counted."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.asyncpg.queries import asyncpg_dsn
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.tables import due_emails, users
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from builders import a_notification
from databases import as_old_sqlite
from domain.notifications import Badge

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
USERS = 2_000


def plan_nodes(plan: str) -> list[dict[str, Any]]:
    def nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
        return [node, *(each for child in node.get("Plans", []) for each in nodes(child))]

    return nodes(json.loads(plan)[0]["Plan"])


# Half the users have an address: as the statistics say, or given theirs after the last ANALYZE,
# which counted none (an import of addresses, before autovacuum analyzes the table again).
_ADDRESSED = "CASE WHEN i % 2 = 0 THEN 'u' || i || '@example.com' END"


@pytest.mark.postgres
@pytest.mark.parametrize("statistics", ["fresh", "stale"])
async def test_who_has_an_email_among_many_users_is_found_without_a_list_per_user(
    migrated_postgres_url: str, statistics: str
) -> None:
    dsn = asyncpg_dsn(migrated_postgres_url)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("ALTER TABLE users SET (autovacuum_enabled = false)")
        await connection.execute(
            f"""INSERT INTO users (id, email, "createdAt", "updatedAt")
            SELECT 'u' || i, {_ADDRESSED if statistics == "fresh" else "NULL"}, $1, $1
            FROM generate_series(1, $2) AS i""",
            NOW,
            USERS,
        )
        await connection.execute("ANALYZE users")
        if statistics == "stale":
            await connection.execute(
                f"UPDATE users SET email = {_ADDRESSED} FROM (SELECT substr(id, 2)::int AS i,"
                " id AS user_id FROM users) AS numbered WHERE users.id = numbered.user_id"
            )
    finally:
        await connection.close()
    told = [f"u{number}" for number in range(USERS, 0, -1)]
    engine = make_engine(migrated_postgres_url)
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "users" in statement and statement.startswith("INSERT"):
            sent.append((statement, parameters))

    try:
        notification = a_notification(NOW)
        async with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            await uow.inbox.add(notification, told)
            await uow.emails.schedule(notification.id, NOW)
            await uow.commit()
        sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
        async with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            assert await uow.emails.write_scheduled(10) == 1
            await uow.commit()
        async with engine.connect() as connection:
            due = set((await connection.execute(sa.select(due_emails.c.user_id))).scalars())
    finally:
        await engine.dispose()

    assert due == {f"u{n}" for n in range(2, USERS + 1, 2)}

    assert len(sent) == 1
    ((statement, parameters),) = sent
    connection = await asyncpg.connect(dsn)
    try:
        # The plan for these ids, and the one made once for any ids, which a prepared
        # statement settles on after five runs (it counts ten ids).
        plans = [await connection.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *parameters)]
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        await connection.execute(f"PREPARE lookup AS {statement}")
        # EXECUTE takes its arguments written out: the notifications' ids as their text.
        written = ", ".join(
            [
                await connection.fetchval("SELECT quote_literal($1::text)", str(parameter))
                for parameter in parameters
            ]
        )
        plans.append(await connection.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE lookup({written})"))
    finally:
        await connection.close()
    for plan in plans:
        nodes = plan_nodes(plan)
        # Neither a filter of the users by a list, nor a join that pairs every user with
        # every recipient (a nested loop whose join filter compares them).
        assert [
            node["Filter"]
            for node in nodes
            if node.get("Relation Name") == "users" and "ANY" in node.get("Filter", "")
        ] == []
        assert [
            node["Join Filter"]
            for node in nodes
            if "users." in node.get("Join Filter", "") or "users." in node.get("Hash Cond", "")
        ] == []
        # Each recipient's user looked up by the key.
        assert {
            node.get("Index Name") for node in nodes if node.get("Relation Name") == "users"
        } == {"pk_users"}


@pytest.fixture
async def old_sqlite(migrated_sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated SQLite database that takes at most 999 parameters."""
    engine = make_engine(migrated_sqlite_url)
    as_old_sqlite(engine)
    yield engine
    await engine.dispose()


# More users than SQLite before 3.32 takes parameters.
TOLD = [f"u{number}" for number in range(1, 1_201)]


async def test_who_has_an_email_among_more_users_than_old_sqlite_takes_parameters(
    old_sqlite: AsyncEngine,
) -> None:
    async with old_sqlite.begin() as connection:
        await connection.execute(
            users.insert(),
            [
                {
                    "id": user_id,
                    "email": f"{user_id}@example.com",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for user_id in TOLD[::2]
            ],
        )
    notification = a_notification(NOW)
    notification_id = notification.id
    async with SqlAlchemyUnitOfWork(make_session_factory(old_sqlite)) as uow:
        await uow.inbox.add(notification, TOLD)
        await uow.emails.schedule(notification_id, NOW)
        await uow.commit()
    async with SqlAlchemyUnitOfWork(make_session_factory(old_sqlite)) as uow:
        assert await uow.emails.write_scheduled(10) == 1
        await uow.commit()
    async with old_sqlite.connect() as connection:
        due = await connection.execute(
            sa.select(due_emails.c.user_id, due_emails.c.notification_id)
        )
        assert set(due) == {(user_id, notification_id) for user_id in TOLD[::2]}


async def test_a_notification_to_more_users_than_old_sqlite_takes_parameters_is_counted(
    old_sqlite: AsyncEngine,
) -> None:
    async with SqlAlchemyUnitOfWork(make_session_factory(old_sqlite)) as uow:
        await uow.inbox.add(a_notification(NOW), TOLD)  # counted as a broadcast
        badges = await uow.inbox.badges(TOLD)
        await uow.commit()

    assert {badges[user_id] for user_id in TOLD} == {Badge(1, 1)}
