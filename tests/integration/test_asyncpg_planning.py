"""Which reads PostgreSQL plans for each call's parameters on asyncpg's read side: those whose
best plan depends on the user and the filter, where a plan made once for an average user walks
a large inbox (the benchmark measures what that costs; here, only where each read runs)."""

from __future__ import annotations

from uuid import uuid4

import asyncpg  # type: ignore[import-untyped]
import pytest

from adapters.asyncpg.queries import AsyncpgInboxQueries, compiled_sql
from adapters.sqlalchemy.queries import group_shape, groups_statement, page_query
from application.ports import GroupSlice, InboxSlice

pytestmark = pytest.mark.postgres

CALLS = 8  # PostgreSQL may keep a generic plan after five


async def plans(pool: asyncpg.Pool | None) -> dict[str, tuple[int, int]]:
    """Each statement prepared on the pool's connection: its generic and its custom plans.
    The calls ran one after another, so the pool made one connection and reused it."""
    assert pool is not None
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
    # PostgreSQL plans the others five times at least, then keeps a plan if it likes.
    assert reads.keys() == {sql(wanted) for wanted in planned_as_postgresql_chooses}
    assert all(generic + custom == CALLS for generic, custom in reads.values())
