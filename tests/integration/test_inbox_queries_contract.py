"""One contract for the inbox's read side (`InboxQueries`): in memory, on SQLite (SQLAlchemy
Core), on PostgreSQL (asyncpg, and SQLAlchemy Core too). What it reads was written through the
unit of work of the same backend, and it reads what the repository reads."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from test_repository_contract import (
    NOW,
    assert_utc,
    deliver,
    given_lead,
    minutes,
    page_of,
)

from adapters.asyncpg.queries import AsyncpgInboxQueries
from adapters.memory import InMemoryInboxQueries, InMemoryStore, InMemoryUnitOfWork
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.queries import SqlAlchemyInboxQueries
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.ports import InboxQueries, InboxSlice, UnitOfWork
from domain.notifications import InboxEntry, NotificationType


@dataclass
class Backend:
    new_uow: Callable[[], UnitOfWork]
    queries: InboxQueries


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("postgres-core", marks=pytest.mark.postgres),
    ]
)
def read_side(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """Which read side, on which migrated database (None in memory); a sync fixture, so that
    it may pick an async one."""
    if request.param == "memory":
        return request.param, None
    database = request.param.removesuffix("-core")
    url: str = request.getfixturevalue(f"migrated_{database}_url")
    return request.param, url


@pytest.fixture
async def backend(read_side: tuple[str, str | None]) -> AsyncIterator[Backend]:
    """A backend's unit of work to write with, and its read side to read with."""
    kind, url = read_side
    if url is None:
        store = InMemoryStore()
        yield Backend(lambda: InMemoryUnitOfWork(store), InMemoryInboxQueries(store))
        return
    engine = make_engine(url)
    session_factory = make_session_factory(engine)
    queries: AsyncpgInboxQueries | SqlAlchemyInboxQueries = (
        AsyncpgInboxQueries(url) if kind == "postgres" else SqlAlchemyInboxQueries(engine)
    )
    try:
        yield Backend(lambda: SqlAlchemyUnitOfWork(session_factory), queries)
    finally:
        await queries.close()
        await engine.dispose()


async def read_page(backend: Backend, user_id: str, limit: int = 100, **options: Any) -> list[UUID]:
    return [
        entry.notification.id
        for entry in await backend.queries.page(InboxSlice(user_id, limit, **options))
    ]


async def mark_read(backend: Backend, user_id: str, *notification_ids: UUID) -> None:
    async with backend.new_uow() as uow:
        for notification_id in notification_ids:
            entry = await uow.inbox.get(user_id, notification_id)
            assert entry is not None
            entry.mark_read(minutes(30))
            await uow.inbox.save(entry)
        await uow.commit()


async def test_the_unread_count_is_the_callers_unread_entries(backend: Backend) -> None:
    ids = [await deliver(backend.new_uow, ["bob", "carol"], minutes(at)) for at in range(4)]
    await deliver(backend.new_uow, ["carol"], minutes(5))

    assert await backend.queries.unread_count("bob") == 4
    await mark_read(backend, "bob", ids[0], ids[2])

    assert await backend.queries.unread_count("bob") == 2
    assert await backend.queries.unread_count("carol") == 5
    assert await backend.queries.unread_count("stranger") == 0


async def test_a_page_is_the_callers_newest_first_up_to_the_limit(backend: Backend) -> None:
    # Ties at one instant, across page breaks, and another user's entries between them.
    ids = {}
    for at in (1, 3, 3, 3, 2, 0, 3, 2, 4):
        ids[await deliver(backend.new_uow, ["bob"], minutes(at))] = at
        await deliver(backend.new_uow, ["carol"], minutes(at))

    entries = await backend.queries.page(InboxSlice("bob", 100))
    newest = sorted(ids, key=lambda i: (ids[i], i), reverse=True)

    assert [entry.notification.id for entry in entries] == newest
    assert {entry.user_id for entry in entries} == {"bob"}
    assert await read_page(backend, "bob", limit=4) == newest[:4]
    assert await read_page(backend, "stranger") == []


async def test_pages_after_a_position_walk_the_inbox_without_repeats_or_gaps(
    backend: Backend,
) -> None:
    for at in (0, 1, 1, 2, 3, 3, 3, 4):
        await deliver(backend.new_uow, ["bob"], minutes(at))
    everything = await read_page(backend, "bob")

    for limit in (1, 2, 3, 8):
        seen: list[UUID] = []
        before = None
        while True:
            entries = await backend.queries.page(InboxSlice("bob", limit, before))
            seen += [entry.notification.id for entry in entries]
            if len(entries) < limit:
                break
            last = entries[-1].notification
            before = (last.created_at, last.id)
        assert seen == everything


async def test_an_entry_reads_back_whole_with_its_microseconds_in_utc(backend: Backend) -> None:
    lead = await given_lead(backend.new_uow)
    at = NOW + timedelta(microseconds=1)
    notification_id = await deliver(
        backend.new_uow, ["bob"], at, NotificationType.COMMENT_ADDED, lead_id=lead.id
    )
    await mark_read(backend, "bob", notification_id)

    [entry] = await backend.queries.page(InboxSlice("bob", 1))

    async with backend.new_uow() as uow:
        assert entry == await uow.inbox.get("bob", notification_id)
    assert type(entry.notification.type) is NotificationType
    assert entry.notification.related_lead_id == lead.id
    assert str(entry.notification.id) == str(notification_id)
    for moment in (entry.notification.created_at, entry.read_at, entry.updated_at):
        assert_utc(moment)
    assert entry.notification.created_at == at
    assert entry.is_read


async def test_filters_select_as_the_repository_does(backend: Backend) -> None:
    umbrella, acme = await given_lead(backend.new_uow), await given_lead(backend.new_uow)
    kinds = itertools.cycle(NotificationType)
    leads = itertools.cycle([umbrella.id, acme.id, None])
    ids = [
        await deliver(backend.new_uow, ["bob", "carol"], minutes(at % 7), next(kinds), next(leads))
        for at in range(24)
    ]
    await mark_read(backend, "bob", *ids[::3])
    filters: list[dict[str, Any]] = [
        {},
        {"unread_only": True},
        {"types": [NotificationType.SCORE_UPDATED]},
        {"types": [NotificationType.COMMENT_ADDED, NotificationType.LEAD_CREATED]},
        {"types": []},
        {"related_lead_id": umbrella.id},
        {"related_lead_id": uuid4()},
        {
            "unread_only": True,
            "types": [NotificationType.TASK_COMPLETED],
            "related_lead_id": acme.id,
        },
    ]
    middle = (minutes(3), ids[10])

    for options in filters:
        for before in (None, middle):
            expected: list[InboxEntry] = await page_of(
                backend.new_uow, "bob", 5, before=before, **options
            )
            read = await backend.queries.page(InboxSlice("bob", 5, before, **options))
            assert read == expected, options
    assert await read_page(backend, "bob", types=[]) == []
    unread = await read_page(backend, "bob", unread_only=True)
    assert len(unread) == 16
    assert not set(unread) & set(ids[::3])


async def test_reads_see_each_commit_at_once(backend: Backend) -> None:
    first = await deliver(backend.new_uow, ["bob"], minutes(1))
    assert await read_page(backend, "bob") == [first]

    second = await deliver(backend.new_uow, ["bob"], minutes(2))
    async with backend.new_uow() as uow:
        assert await uow.inbox.remove("bob", first)
        await uow.commit()

    assert await read_page(backend, "bob") == [second]
    assert await backend.queries.unread_count("bob") == 1
