"""The replay index's upkeep on PostgreSQL: its pending list merged into the index, by its owner
alone, with replay still finding every event."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from adapters.sqlalchemy.upkeep import REPLAY_INDEX, ReplayIndexUpkeep, UpkeepNotAllowed
from builders import a_notification
from domain.events import NotificationCreated

pytestmark = pytest.mark.postgres

# Enough recipients that the pending list takes several pages.
USERS = [f"user-{number:04d}" for number in range(2_000)]
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


async def pending_events(engine: AsyncEngine) -> int:
    """How many events wait in the replay index's pending list (pgstattuple's reading)."""
    async with engine.begin() as connection:
        await connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pgstattuple"))
        result = await connection.execute(
            sa.text("SELECT pending_tuples FROM pgstatginindex(:index)"), {"index": REPLAY_INDEX}
        )
        return int(result.scalar_one())


@pytest.fixture
async def engine(migrated_postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(migrated_postgres_url)
    async with engine.begin() as connection:  # only the upkeep merges the list here
        await connection.execute(
            sa.text("ALTER TABLE outbox_events SET (autovacuum_enabled = off)")
        )
    yield engine
    await engine.dispose()


async def write_events(engine: AsyncEngine, count: int) -> None:
    """`count` notifications, each to every one of `USERS`, one commit each (as leads write)."""
    session_factory = make_session_factory(engine)
    for _ in range(count):
        notification = a_notification(NOW)
        async with SqlAlchemyUnitOfWork(session_factory) as uow:
            await uow.events.add([NotificationCreated(notification, tuple(USERS))])
            await uow.commit()


async def test_the_pending_list_is_merged_and_replay_still_finds_every_event(
    engine: AsyncEngine,
) -> None:
    await write_events(engine, 3)
    assert await pending_events(engine) == 3  # one per event

    merged = await ReplayIndexUpkeep(engine)()

    assert merged > 0
    assert await pending_events(engine) == 0
    assert await ReplayIndexUpkeep(engine)() == 0  # nothing left to merge
    session_factory = make_session_factory(engine)
    async with SqlAlchemyUnitOfWork(session_factory) as uow:
        for user_id in (USERS[0], USERS[-1]):
            assert [event.id for event in await uow.events.history(user_id, 0, 10)] == [1, 2, 3]
        assert await uow.events.history("user-2000", 0, 10) == []


async def test_a_user_who_does_not_own_the_index_may_not_merge_it(
    engine: AsyncEngine, migrated_postgres_url: str
) -> None:
    role = f"herald_test_role_{uuid.uuid4().hex[:12]}"
    async with engine.begin() as connection:
        await connection.execute(sa.text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{role}'"))
    url = make_url(migrated_postgres_url).set(username=role, password=role)
    stranger = make_engine(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(UpkeepNotAllowed, match="must be owner"):
            await ReplayIndexUpkeep(stranger)()
    finally:
        await stranger.dispose()
        async with engine.begin() as connection:
            await connection.execute(sa.text(f'DROP ROLE "{role}"'))
