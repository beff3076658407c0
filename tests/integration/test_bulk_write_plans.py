"""PostgreSQL's plans for the writes of many entries (markAllAsRead's mark applied,
markAllAsSeen, delivery confirmations, the purge): each locks its entries in key order, then
changes them. Joined to those locked entries by the key alone, the change was planned as a
hash of the whole inbox when the planner expected many entries: a 10,000-entry markAllAsRead
read 1.3M entries. Each write here runs on an inbox where one user holds a few thousand
entries among many users', with fresh statistics, and every statement it sent is explained:
none reads the whole inbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.asyncpg.queries import asyncpg_dsn
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork

pytestmark = pytest.mark.postgres

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
USERS = 200  # besides bob
EACH = 100  # entries of every other user
BOBS = 2_000  # bob's entries, every one unread, unseen and undelivered

_USERS = """
INSERT INTO users (id, "createdAt", "updatedAt")
SELECT 'u' || i, $1::timestamptz, $1 FROM generate_series(1, $2) AS i
UNION ALL SELECT 'bob', $1, $1
"""
# Notification i is a minute older than i - 1, and its event is i.
_NOTIFICATIONS = """
INSERT INTO notifications (id, type, title, message, "createdAt", "updatedAt", "eventId")
SELECT md5('n' || i)::uuid, 'lead_created', 'New lead', 'A lead',
       $1::timestamptz - i * interval '1 minute', $1 - i * interval '1 minute', i
FROM generate_series(1, $2) AS i
"""
# Bob is told of the newest BOBS notifications, user u of u, u + USERS, u + 2 USERS, …
_ENTRIES = """
INSERT INTO notification_recipients ("userId", "notificationId", "isRead", "createdAt",
                                     "updatedAt", "groupKey")
SELECT user_id, md5('n' || i)::uuid, is_read, $1::timestamptz - i * interval '1 minute',
       $1 - i * interval '1 minute', ''
FROM (SELECT 'bob' AS user_id, i, false AS is_read FROM generate_series(1, $4) AS i
      UNION ALL
      SELECT 'u' || u, u + $2 * k, k % 10 <> 0
      FROM generate_series(1, $2) AS u, generate_series(0, $3 - 1) AS k) AS entries
"""

_COUNTS = """
INSERT INTO inbox_counts ("userId", unread, unseen, total, "broadcastsMissed")
SELECT "userId", count(*) FILTER (WHERE NOT "isRead"), count(*) FILTER (WHERE "seenAt" IS NULL),
       count(*), (SELECT sent FROM inbox_broadcasts)
FROM notification_recipients GROUP BY "userId"
"""


async def seed(url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(_USERS, NOW, USERS)
        await connection.execute(_NOTIFICATIONS, NOW, USERS * EACH)
        await connection.execute(_ENTRIES, NOW, USERS, EACH, BOBS)
        # As the application leaves them: the events' ids given out, every user's counts.
        await connection.execute(
            "UPDATE outbox_state SET position = $1 WHERE name = 'assigned'", USERS * EACH
        )
        await connection.execute(_COUNTS)
        await connection.execute("ANALYZE")
        # The statements are explained after they ran: on the statistics of the seed, which
        # autovacuum would otherwise refresh meanwhile.
        for table in ("notification_recipients", "notifications"):
            await connection.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    finally:
        await connection.close()


@pytest.fixture
async def engine(migrated_postgres_url: str) -> AsyncIterator[AsyncEngine]:
    await seed(migrated_postgres_url)
    engine = make_engine(migrated_postgres_url)
    yield engine
    await engine.dispose()


class Statements:
    """Every statement that writes entries, with its parameters, as the driver was given it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.sent: list[tuple[str, Any]] = []
        sa.event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith(("WITH", "UPDATE", "DELETE")) and (
            "notification_recipients" in statement
        ):
            self.sent.append((statement, parameters))

    async def plans(self, url: str) -> list[str]:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            # asyncpg gives json as its text.
            return [
                await connection.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *parameters)
                for statement, parameters in self.sent
            ]
        finally:
            await connection.close()


def plan_nodes(plan: str) -> list[dict[str, Any]]:
    def nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
        return [node, *(each for child in node.get("Plans", []) for each in nodes(child))]

    return nodes(json.loads(plan)[0]["Plan"])


def reads_whole_inbox(plan: str) -> bool:
    return any(
        node["Node Type"] == "Seq Scan" and node.get("Relation Name") == "notification_recipients"
        for node in plan_nodes(plan)
    )


def entries_checked_against_a_list(plan: str) -> list[str]:
    """The filters that compare each entry read with every element of an array parameter in
    turn (`= ANY`): PostgreSQL hashes such an array only when it is a constant, which an
    array sent as text and cast by the server never is."""
    return [
        node["Filter"]
        for node in plan_nodes(plan)
        if node.get("Relation Name") == "notification_recipients"
        and "ANY" in node.get("Filter", "")
    ]


async def explained(engine: AsyncEngine, url: str, write: str) -> list[str]:
    statements = Statements(engine)
    async with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        match write:
            case "mark_all_read":  # a mark, then its entries written by `apply_deferred`
                changed = await uow.inbox.mark_all_read("bob", NOW)
                await uow.commit()
                async with SqlAlchemyUnitOfWork(make_session_factory(engine)) as applier:
                    assert await applier.inbox.apply_deferred("bob")
                    await applier.commit()
            case "mark_all_seen":
                changed = await uow.inbox.mark_all_seen("bob", NOW)
            case "confirm_delivered":
                changed = await uow.inbox.confirm_delivered({"bob": BOBS, "u1": BOBS}, NOW)
            case "confirm_delivered_by_everyone":  # many users' confirmations, counted
                everyone = {f"u{user}": USERS * EACH for user in range(1, USERS + 1)}
                changed = await uow.inbox.confirm_delivered({**everyone, "bob": BOBS}, NOW)
            case "purge_before":
                purged = await uow.inbox.purge_before(NOW - timedelta(minutes=1), BOBS, BOBS)
                changed = purged.entries
        await uow.commit()
    assert changed >= BOBS  # the write had many entries to change (or count, for confirmations)
    assert statements.sent
    return await statements.plans(url)


@pytest.mark.parametrize(
    "write", ["mark_all_read", "mark_all_seen", "confirm_delivered", "purge_before"]
)
async def test_a_write_of_many_entries_reads_only_the_entries_it_changes(
    engine: AsyncEngine, migrated_postgres_url: str, write: str
) -> None:
    plans = await explained(engine, migrated_postgres_url, write)

    assert not [plan for plan in plans if reads_whole_inbox(plan)]
    assert [entries_checked_against_a_list(plan) for plan in plans] == [[]] * len(plans)


async def test_confirmations_of_many_users_find_their_entries_without_a_list_per_entry(
    engine: AsyncEngine, migrated_postgres_url: str
) -> None:
    # Each entry of the inbox compared with 999 user ids one by one took 2 to 11 s a flush
    # under the benchmark's socket run, longer as the inbox grew.
    plans = await explained(engine, migrated_postgres_url, "confirm_delivered_by_everyone")

    assert [entries_checked_against_a_list(plan) for plan in plans] == [[]] * len(plans)
