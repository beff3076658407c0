"""PostgreSQL's plans for the inbox's reads: none reads the whole inbox. No index holds every
entry of a user in inbox order (the unread, the read and the archived ones each have theirs:
`tables.notification_recipients`), so a read of a user's entries whatever their state that
is not written as one per index would scan the table. Each read here runs on an inbox where
one user holds a few thousand entries among many users', half of them read, with fresh
statistics, and every statement it sent is explained: as the reads' pool comes to run it (a
generic plan, for any user) and as planned for its own parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

import asyncpg  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa
from test_bulk_write_plans import NOW, plan_nodes, seed

from adapters.asyncpg.queries import AsyncpgInboxQueries, asyncpg_dsn, compiled_names, compiled_sql
from adapters.sqlalchemy.queries import Rows
from application.ports import GroupSlice, InboxSlice
from domain.notifications import NotificationType

pytestmark = pytest.mark.postgres


class RecordingQueries(AsyncpgInboxQueries):
    """The GraphQL reads' adapter, keeping each statement it sends with its arguments."""

    def __init__(self, database_url: str) -> None:
        super().__init__(database_url)
        self.sent: list[tuple[str, list[Any], bool]] = []

    async def _fetch(
        self, statement: sa.ClauseElement, parameters: dict[str, Any], planned: bool = False
    ) -> Rows:
        arguments = [parameters[name] for name in compiled_names(statement)]
        self.sent.append((compiled_sql(statement), arguments, planned))
        return await super()._fetch(statement, parameters, planned)


Read = Callable[[RecordingQueries], Awaitable[object]]
DAY = timedelta(days=1)
READS: dict[str, Read] = {
    "getNotifications": lambda q: q.page(InboxSlice("bob", 50)),
    "a page": lambda q: q.page(InboxSlice("bob", 21)),
    "a page further on": lambda q: q.page(InboxSlice("bob", 21, (NOW - DAY, uuid4()))),
    "a page of one type": lambda q: q.page(
        InboxSlice("bob", 21, types=[NotificationType.LEAD_CREATED])
    ),
    "a page of a lead": lambda q: q.page(InboxSlice("bob", 21, related_lead_id=uuid4())),
    "the unread page": lambda q: q.page(InboxSlice("bob", 21, unread_only=True)),
    "groups": lambda q: q.groups(GroupSlice("bob", 21)),
    "groups further on": lambda q: q.groups(GroupSlice("bob", 21, (NOW - DAY, ""))),
    "groups of a lead": lambda q: q.groups(GroupSlice("bob", 21, related_lead_id=uuid4())),
    "unread groups": lambda q: q.groups(GroupSlice("bob", 21, unread_only=True)),
}


@pytest.mark.parametrize("read", READS)
async def test_a_read_of_one_inbox_reads_only_that_inbox(
    migrated_postgres_url: str, read: str
) -> None:
    await seed(migrated_postgres_url)
    dsn = asyncpg_dsn(migrated_postgres_url)
    connection = await asyncpg.connect(dsn)
    try:
        # Every other entry of bob's read (and seen), as reading one leaves it.
        await connection.execute(
            """UPDATE notification_recipients SET "isRead" = true, "readAt" = $1, "seenAt" = $1
            WHERE "userId" = 'bob' AND get_byte(uuid_send("notificationId"), 15) % 2 = 0""",
            NOW,
        )
        await connection.execute("ANALYZE notification_recipients")
        queries = RecordingQueries(migrated_postgres_url)
        try:
            await READS[read](queries)
        finally:
            await queries.close()
        assert queries.sent
        plans = []
        for sql, arguments, planned in queries.sent:
            # Planned for each call's parameters (`planned`), or, on the reads' pool, a generic
            # plan once PostgreSQL finds it no dearer: both are looked at.
            modes = ["force_custom_plan"] + ([] if planned else ["force_generic_plan"])
            for mode in modes:
                await connection.execute(f"SET plan_cache_mode = {mode}")
                statement = await connection.prepare(f"EXPLAIN (FORMAT JSON) {sql}")
                plans.append(await statement.fetchval(*arguments))
    finally:
        await connection.close()

    assert [unbounded_scans(plan) for plan in plans] == [[]] * len(plans)


def unbounded_scans(plan: str) -> list[str]:
    """The plan's reads of the entries that are not bounded by the user: a scan of the table,
    or of an index without the user in its condition."""
    scans = []
    for node in plan_nodes(plan):
        if node.get("Relation Name") != "notification_recipients":
            continue
        condition = node.get("Index Cond", "") + node.get("Recheck Cond", "")
        if '"userId"' not in condition:
            scans.append(f"{node['Node Type']} {node.get('Index Name', '')} {condition}")
    return scans
