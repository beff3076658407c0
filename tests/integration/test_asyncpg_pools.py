"""How asyncpg's read side uses its pools: callers take connections in the order they asked,
and the reads whose best plan depends on the user and the filter (where a plan made once for an
average user walks a large inbox) are planned for each call. The benchmark measures what each
costs; here, only the order and where each read runs."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import asyncpg  # type: ignore[import-untyped]
import pytest

from adapters.asyncpg.queries import AsyncpgInboxQueries, _Pool, asyncpg_dsn, compiled_sql
from adapters.sqlalchemy.queries import group_shape, groups_statement, page_query
from application.ports import GroupSlice, InboxSlice

CALLS = 8  # PostgreSQL may keep a generic plan after five


async def plans(taken: _Pool | None) -> dict[str, tuple[int, int]]:
    """Each statement prepared on the pool's connection: its generic and its custom plans.
    The calls ran one after another, so the pool made one connection and reused it."""
    assert taken is not None
    pool: asyncpg.Pool = taken.pool
    assert pool.get_size() == 1
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
        )
    return {row[0]: (row[1], row[2]) for row in rows if "notification_recipients" in row[0]}


def sql(wanted: InboxSlice | GroupSlice) -> str:
    if isinstance(wanted, InboxSlice):
        return compiled_sql(page_query(wanted, on_postgresql=True)[0])
    return compiled_sql(groups_statement(group_shape(wanted, on_postgresql=True), after=False))


class UnfairPool:
    """A pool of one connection handed out as asyncpg's are: to whoever asks first once it is
    back, so a caller that asks again at once keeps it from the callers already waiting."""

    def __init__(self) -> None:
        self.connections: asyncio.LifoQueue[str] = asyncio.LifoQueue()
        self.connections.put_nowait("connection")
        self.served: list[str] = []

    def get_max_size(self) -> int:
        return 1

    async def fetch(self, sql: str, *arguments: Any) -> list[Any]:
        connection = await self.connections.get()
        self.served.append(sql)
        await asyncio.sleep(0)  # the query, on the wire
        self.connections.put_nowait(connection)
        return []


async def test_callers_take_the_connections_in_the_order_they_asked() -> None:
    unfair = UnfairPool()
    pool = _Pool(unfair)

    async def caller(name: str) -> None:
        for _ in range(3):
            await pool.fetch(name)

    await asyncio.gather(*(caller(name) for name in "abc"))

    assert "".join(unfair.served) == "abcabcabc"


async def test_the_unfair_pool_does_keep_a_connection_from_the_waiting() -> None:
    """What the test above guards against, shown on the pool itself."""
    unfair = UnfairPool()

    async def caller(name: str) -> None:
        for _ in range(3):
            await unfair.fetch(name)

    await asyncio.gather(*(caller(name) for name in "abc"))

    assert "".join(unfair.served) == "aaabbbccc"


@pytest.mark.postgres
async def test_a_leads_entries_and_unread_groups_are_planned_for_each_call(
    migrated_postgres_url: str,
) -> None:
    queries = AsyncpgInboxQueries(migrated_postgres_url)
    lead = uuid4()
    planned_per_call = [
        InboxSlice("bob", 10, related_lead_id=lead),
        GroupSlice("bob", 10, unread_only=True),
        GroupSlice("bob", 10, related_lead_id=lead),
    ]
    planned_as_postgresql_chooses = [InboxSlice("bob", 10), GroupSlice("bob", 10)]
    try:
        for _ in range(CALLS):
            for wanted in planned_per_call + planned_as_postgresql_chooses:
                if isinstance(wanted, InboxSlice):
                    await queries.page(wanted)
                else:
                    await queries.groups(wanted)
        planned = await plans(queries._planned)
        reads = await plans(queries._pool)
    finally:
        await queries.close()

    assert planned == {sql(wanted): (0, CALLS) for wanted in planned_per_call}
    # PostgreSQL's own choice: five custom plans, then the generic one, which costs no planning.
    assert reads == {sql(wanted): (CALLS - 5, 5) for wanted in planned_as_postgresql_chooses}


@pytest.mark.postgres
async def test_a_generic_plan_of_groups_probes_each_entrys_own_group(
    migrated_postgres_url: str,
) -> None:
    """A page of groups keeps an entry when no newer member of its group exists. Made a join,
    that probe's user condition became the asked user's, and the generic plan read the whole
    inbox once for every entry; kept a subplan, it is run with each entry's group."""
    connection = await asyncpg.connect(asyncpg_dsn(migrated_postgres_url))
    try:
        await connection.execute(f"PREPARE page AS {sql(GroupSlice('bob', 10))}")
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        rows = await connection.fetch("EXPLAIN (COSTS OFF) EXECUTE page('bob', 10)")
    finally:
        await connection.close()
    plan = "\n".join(row[0] for row in rows)

    assert "Anti Join" not in plan
    assert "SubPlan" in plan
