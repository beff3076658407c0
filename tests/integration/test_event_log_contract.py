"""One contract for the outbox (`uow.events`): in memory, on SQLite, on PostgreSQL.

Ids are the `eventId`s clients resume from, so they must be dense, follow the order of commits,
and never be spent by a transaction that rolled back; the PostgreSQL tests at the end run units
of work concurrently, in a fixed order of steps, to hold the commit-order promise to account.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.memory import RecordingPublisher, RecordingRelay
from adapters.sqlalchemy import repositories
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.repositories import SqlAlchemyInboxRepository
from adapters.sqlalchemy.tables import outbox_state
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.delivery.relay_events import RelayEvents
from application.ports import EventHorizon, UnitOfWork
from domain.events import (
    InboxEvent,
    NotificationCreated,
    NotificationDeleted,
    NotificationsBulkUpdated,
    NotificationUpdated,
    StoredEvent,
    UnreadCountsChanged,
)
from domain.notifications import Badges, InboxEntry, Notification, NotificationType
from domain.users import User

NewUnitOfWork = Callable[[], UnitOfWork]


# Microseconds on purpose: every backend must keep them.
NOW = datetime(2025, 3, 14, 9, 30, 15, 123456, tzinfo=UTC)

# The longest any step of the concurrent tests may wait for another.
WAIT_SECONDS = 10


def bulk(user_id: str, count: int) -> NotificationsBulkUpdated:
    """The smallest event, numbered by its count so that each can be told apart."""
    return NotificationsBulkUpdated(user_id, count)


def a_notification(
    kind: NotificationType = NotificationType.LEAD_CREATED,
    *,
    related_lead_id: UUID | None = None,
    actor_id: str | None = "alice",
) -> Notification:
    return Notification(
        id=uuid4(),
        type=kind,
        title="New lead: Umbrella",
        message='Zoë created the lead “Umbrella” at Umbrella Corp — 100 % "hot"\n',
        related_lead_id=related_lead_id,
        actor_id=actor_id,
        created_at=NOW,
    )


async def commit_events(new_uow: NewUnitOfWork, *events: InboxEvent) -> None:
    async with new_uow() as uow:
        await uow.events.add(events)
        await uow.commit()


async def history(
    new_uow: NewUnitOfWork, user_id: str = "bob", after_id: int = 0, limit: int = 1_000
) -> list[StoredEvent]:
    async with new_uow() as uow:
        return await uow.events.history(user_id, after_id, limit)


async def horizon(new_uow: NewUnitOfWork) -> EventHorizon:
    async with new_uow() as uow:
        return await uow.events.horizon()


async def claim(new_uow: NewUnitOfWork, limit: int = 1_000) -> list[StoredEvent] | None:
    async with new_uow() as uow:
        return await uow.events.claim_unpublished(limit)


def ids_of(stored: Sequence[StoredEvent]) -> list[int]:
    return [event.id for event in stored]


# Ids


async def test_an_empty_log_has_replayed_nothing_and_purged_nothing(
    new_uow: NewUnitOfWork,
) -> None:
    assert await horizon(new_uow) == EventHorizon(purged_through=0, last_id=0)
    assert await history(new_uow) == []
    assert await claim(new_uow) == []


async def test_commits_assign_dense_ids_after_the_last_one(new_uow: NewUnitOfWork) -> None:
    await commit_events(new_uow, bulk("bob", 1), bulk("bob", 2))
    before = await horizon(new_uow)
    assert before.last_id == 2

    async with new_uow() as uow:
        # Two calls to add, one commit: the ids follow the order of the calls.
        await uow.events.add([bulk("bob", 3)])
        await uow.events.add([bulk("bob", 4), bulk("bob", 5)])
        await uow.commit()
    await commit_events(new_uow, bulk("bob", 6))

    assert await history(new_uow, after_id=before.last_id) == [
        StoredEvent(before.last_id + number, bulk("bob", number + 2)) for number in range(1, 5)
    ]
    assert await horizon(new_uow) == EventHorizon(purged_through=0, last_id=6)


async def test_a_commit_without_events_assigns_no_id(new_uow: NewUnitOfWork) -> None:
    await commit_events(new_uow, bulk("bob", 1))
    async with new_uow() as uow:
        await uow.events.add([])
        await uow.users.add(User.register("alice", "Alice", None, NOW))
        await uow.commit()
    await commit_events(new_uow, bulk("bob", 2))

    assert ids_of(await history(new_uow)) == [1, 2]


async def test_an_exception_assigns_no_ids_and_leaves_no_gap(new_uow: NewUnitOfWork) -> None:
    await commit_events(new_uow, bulk("bob", 1))

    async def fail_halfway() -> None:
        async with new_uow() as uow:
            await uow.events.add([bulk("bob", 2), bulk("bob", 3)])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_halfway()

    assert await horizon(new_uow) == EventHorizon(purged_through=0, last_id=1)
    await commit_events(new_uow, bulk("bob", 4))
    assert await history(new_uow) == [
        StoredEvent(1, bulk("bob", 1)),
        StoredEvent(2, bulk("bob", 4)),
    ]


async def test_leaving_without_commit_assigns_no_ids_and_leaves_no_gap(
    new_uow: NewUnitOfWork,
) -> None:
    async with new_uow() as uow:
        await uow.events.add([bulk("bob", 1), bulk("bob", 2)])

    assert await horizon(new_uow) == EventHorizon(purged_through=0, last_id=0)
    await commit_events(new_uow, bulk("bob", 3))
    assert await history(new_uow) == [StoredEvent(1, bulk("bob", 3))]
    assert await claim(new_uow) == [StoredEvent(1, bulk("bob", 3))]


async def test_events_added_after_a_commit_need_a_commit_of_their_own(
    new_uow: NewUnitOfWork,
) -> None:
    async with new_uow() as uow:
        await uow.events.add([bulk("bob", 1)])
        await uow.commit()
        await uow.events.add([bulk("bob", 2)])
    await commit_events(new_uow, bulk("bob", 3))

    assert await history(new_uow) == [
        StoredEvent(1, bulk("bob", 1)),
        StoredEvent(2, bulk("bob", 3)),
    ]


async def test_concurrent_commits_get_distinct_dense_ids(new_uow: NewUnitOfWork) -> None:
    async def write(number: int) -> None:
        # Read, then write: the shape of every use case.
        async with new_uow() as uow:
            await uow.events.horizon()
            await asyncio.sleep(0)
            await uow.events.add([bulk("bob", 10 * number + part) for part in range(3)])
            await uow.commit()

    async with asyncio.timeout(WAIT_SECONDS):
        await asyncio.gather(*(write(number) for number in range(1, 6)))

    stored = await history(new_uow)
    assert ids_of(stored) == list(range(1, 16))
    # Each unit of work's events are together and in the order it added them.
    counts = [
        event.event.count for event in stored if isinstance(event.event, NotificationsBulkUpdated)
    ]
    for first in range(0, 15, 3):
        start = counts[first]
        assert counts[first : first + 3] == [start, start + 1, start + 2]
    assert sorted(counts) == sorted(
        10 * number + part for number in range(1, 6) for part in (0, 1, 2)
    )
    assert await horizon(new_uow) == EventHorizon(purged_through=0, last_id=15)


# What an event keeps


def every_kind_of_event() -> list[InboxEvent]:
    lead_id = uuid4()
    created = a_notification(NotificationType.COMMENT_ADDED, related_lead_id=lead_id)
    system = a_notification(NotificationType.SCORE_UPDATED, actor_id=None)
    read_entry = InboxEntry.deliver(created, "bob")
    read_entry.mark_read(NOW + timedelta(seconds=1, microseconds=1))
    return [
        NotificationCreated(created, ("bob", "carol")),
        NotificationCreated(system, ("bob",)),
        NotificationUpdated(read_entry),
        NotificationUpdated(InboxEntry.deliver(system, "bob")),
        NotificationsBulkUpdated("bob", 3),
        NotificationDeleted("bob", created.id),
        UnreadCountsChanged({"alice": 0, "bob": 2, "carol": 10_000}),
        UnreadCountsChanged({}),
    ]


async def test_every_kind_of_event_comes_back_as_it_was_written(new_uow: NewUnitOfWork) -> None:
    events = every_kind_of_event()
    await commit_events(new_uow, *events)

    claimed = await claim(new_uow)

    assert claimed == [StoredEvent(number, event) for number, event in enumerate(events, 1)]
    for stored, written in zip(claimed, events, strict=True):
        assert type(stored.event) is type(written)


async def test_events_keep_uuids_enums_and_aware_times(new_uow: NewUnitOfWork) -> None:
    events = every_kind_of_event()
    await commit_events(new_uow, *events)

    claimed = await claim(new_uow)

    assert claimed is not None
    created, system, read, unread, _, deleted, counts, _ = (s.event for s in claimed)
    assert isinstance(created, NotificationCreated)
    assert isinstance(system, NotificationCreated)
    assert isinstance(read, NotificationUpdated)
    assert isinstance(unread, NotificationUpdated)
    assert isinstance(deleted, NotificationDeleted)
    assert isinstance(counts, UnreadCountsChanged)
    # A StrEnum equals its value, and a str is no UUID: equality alone would not tell.
    assert type(created.notification.type) is NotificationType
    assert created.notification.type is NotificationType.COMMENT_ADDED
    assert type(created.notification.id) is UUID
    assert type(created.notification.related_lead_id) is UUID
    assert system.notification.related_lead_id is None
    assert system.notification.actor_id is None
    assert type(deleted.notification_id) is UUID
    assert type(read.entry.notification.type) is NotificationType
    for moment in (
        created.notification.created_at,
        read.entry.read_at,
        read.entry.updated_at,
        unread.entry.updated_at,
    ):
        assert moment is not None
        assert moment.utcoffset() == timedelta(0)
    assert read.entry.read_at == NOW + timedelta(seconds=1, microseconds=1)
    assert unread.entry.read_at is None
    assert created.recipients == ("bob", "carol")
    assert dict(counts.counts) == {"alice": 0, "bob": 2, "carol": 10_000}


# Publishing


async def test_claims_give_the_oldest_unpublished_events_in_id_order(
    new_uow: NewUnitOfWork,
) -> None:
    await commit_events(new_uow, *(bulk("bob", number) for number in range(1, 6)))

    async with new_uow() as uow:
        first = await uow.events.claim_unpublished(3)
        await uow.events.mark_published(3)
        await uow.commit()
    assert first == [StoredEvent(number, bulk("bob", number)) for number in (1, 2, 3)]

    await commit_events(new_uow, bulk("carol", 6))
    assert await claim(new_uow) == [
        StoredEvent(4, bulk("bob", 4)),
        StoredEvent(5, bulk("bob", 5)),
        StoredEvent(6, bulk("carol", 6)),
    ]


async def test_a_mark_that_is_not_committed_publishes_nothing(new_uow: NewUnitOfWork) -> None:
    await commit_events(new_uow, bulk("bob", 1), bulk("bob", 2))

    async with new_uow() as uow:
        assert ids_of(await uow.events.claim_unpublished(10) or []) == [1, 2]
        await uow.events.mark_published(2)

    assert ids_of(await claim(new_uow) or []) == [1, 2]


async def test_everything_published_leaves_nothing_to_claim(new_uow: NewUnitOfWork) -> None:
    await commit_events(new_uow, bulk("bob", 1), bulk("bob", 2))
    async with new_uow() as uow:
        await uow.events.claim_unpublished(10)
        await uow.events.mark_published(2)
        await uow.commit()

    assert await claim(new_uow) == []
    # History is kept after publishing, for clients that come back.
    assert ids_of(await history(new_uow)) == [1, 2]


async def test_marking_published_tells_how_many_committed_events_still_wait(
    new_uow: NewUnitOfWork,
) -> None:
    await commit_events(new_uow, *(bulk("bob", number) for number in range(1, 6)))
    async with new_uow() as uow:
        assert ids_of(await uow.events.claim_unpublished(2) or []) == [1, 2]
        assert await uow.events.mark_published(2) == 3
        await uow.commit()
    async with new_uow() as uow:
        assert ids_of(await uow.events.claim_unpublished(10) or []) == [3, 4, 5]
        assert await uow.events.mark_published(5) == 0
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.events.backlog() == 0


async def test_the_published_position_never_moves_back(new_uow: NewUnitOfWork) -> None:
    await commit_events(new_uow, *(bulk("bob", number) for number in range(1, 5)))
    async with new_uow() as uow:
        await uow.events.mark_published(3)
        await uow.commit()
    async with new_uow() as uow:
        await uow.events.mark_published(1)
        await uow.commit()

    assert await claim(new_uow) == [StoredEvent(4, bulk("bob", 4))]


# History: what a client that comes back is sent


async def test_history_follows_each_events_audience(new_uow: NewUnitOfWork) -> None:
    notification = a_notification()
    created = NotificationCreated(notification, ("bob", "carol"))
    counts = UnreadCountsChanged({"bob": 1, "carol": 1, "dave": 0})
    carols_entry = InboxEntry.deliver(notification, "carol")
    await commit_events(
        new_uow,
        created,  # 1: bob, carol
        counts,  # 2: bob, carol, dave
        NotificationUpdated(carols_entry),  # 3: carol
        bulk("bob", 1),  # 4: bob
        NotificationDeleted("dave", notification.id),  # 5: dave
        NotificationDeleted("bob", notification.id),  # 6: bob
    )

    assert ids_of(await history(new_uow, "bob")) == [1, 2, 4, 6]
    assert ids_of(await history(new_uow, "carol")) == [1, 2, 3]
    assert ids_of(await history(new_uow, "dave")) == [2, 5]
    assert await history(new_uow, "alice") == []
    assert await history(new_uow, "carol") == [
        StoredEvent(1, created),
        StoredEvent(2, counts),
        StoredEvent(3, NotificationUpdated(carols_entry)),
    ]


async def test_history_starts_after_the_given_id_and_stops_at_the_limit(
    new_uow: NewUnitOfWork,
) -> None:
    events = [bulk("bob" if number % 3 else "carol", number) for number in range(1, 13)]
    await commit_events(new_uow, *events)

    assert ids_of(await history(new_uow, "bob", after_id=0)) == [1, 2, 4, 5, 7, 8, 10, 11]
    assert ids_of(await history(new_uow, "bob", after_id=4)) == [5, 7, 8, 10, 11]
    assert ids_of(await history(new_uow, "bob", after_id=3, limit=3)) == [4, 5, 7]
    assert ids_of(await history(new_uow, "bob", after_id=11)) == []
    assert ids_of(await history(new_uow, "bob", after_id=100)) == []


@pytest.mark.parametrize(
    "user_id",
    ["bob", "42", "o'brien", 'say "hi"', "a,b", "{x}", "back\\slash", "zoë", "two words", "%"],
)
async def test_history_matches_a_user_id_exactly(new_uow: NewUnitOfWork, user_id: str) -> None:
    # Look-alikes: a prefix, a longer id, the pieces of an id that has a comma in it.
    others = sorted({f"{user_id}x", user_id[:-1] or "y", "a", "b", "bobby", "4", "x"} - {user_id})
    await commit_events(
        new_uow,
        UnreadCountsChanged(dict.fromkeys(others, 1)),
        bulk(user_id, 1),
        NotificationCreated(a_notification(), (*others, user_id)),
        NotificationDeleted(others[0], uuid4()),
    )

    assert ids_of(await history(new_uow, user_id)) == [2, 3]


async def test_a_broadcast_is_in_the_history_of_each_of_ten_thousand_users(
    new_uow: NewUnitOfWork,
) -> None:
    everyone = [f"user-{number:05d}" for number in range(10_000)]
    broadcast = NotificationCreated(a_notification(), tuple(everyone))
    await commit_events(new_uow, bulk("bob", 1), broadcast, UnreadCountsChanged({"bob": 1}))

    assert await history(new_uow, everyone[-1]) == [StoredEvent(2, broadcast)]
    assert ids_of(await history(new_uow, everyone[0])) == [2]
    assert ids_of(await history(new_uow, "bob")) == [1, 3]


# PostgreSQL: units of work that overlap


@pytest.fixture
async def pg_sessions(
    migrated_postgres_url: str,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(migrated_postgres_url)
    yield make_session_factory(engine)
    await engine.dispose()


@pytest.fixture
def pg_uow(pg_sessions: async_sessionmaker[AsyncSession]) -> Callable[[], SqlAlchemyUnitOfWork]:
    return lambda: SqlAlchemyUnitOfWork(pg_sessions)


async def wait_for(event: asyncio.Event) -> None:
    async with asyncio.timeout(WAIT_SECONDS):
        await event.wait()


@pytest.mark.postgres
async def test_ids_follow_the_order_of_commits_not_of_starts(
    pg_uow: Callable[[], SqlAlchemyUnitOfWork],
) -> None:
    first_has_added = asyncio.Event()
    second_has_committed = asyncio.Event()
    reader_has_looked = asyncio.Event()
    first_events = [bulk("bob", 1), bulk("bob", 11)]
    second_events = [bulk("bob", 2), bulk("bob", 22)]

    async def first() -> None:
        async with pg_uow() as uow:
            # A real transaction, open since before the second one began.
            await uow.users.add(User.register("first", "First", None, NOW))
            await uow.events.add(first_events)
            first_has_added.set()
            await wait_for(reader_has_looked)
            await uow.commit()

    async def second() -> None:
        await wait_for(first_has_added)
        async with pg_uow() as uow:
            await uow.users.add(User.register("second", "Second", None, NOW))
            await uow.events.add(second_events)
            await uow.commit()
        second_has_committed.set()

    async def reader() -> tuple[list[StoredEvent], EventHorizon, list[StoredEvent] | None]:
        await wait_for(second_has_committed)
        async with pg_uow() as uow:
            seen = await uow.events.history("bob", 0, 100)
            seen_horizon = await uow.events.horizon()
            # A relay publishes what it sees, and will never look below it again.
            published = await uow.events.claim_unpublished(100)
            await uow.events.mark_published(seen_horizon.last_id)
            await uow.commit()
        reader_has_looked.set()
        return seen, seen_horizon, published

    async with asyncio.timeout(WAIT_SECONDS), asyncio.TaskGroup() as steps:
        steps.create_task(first())
        steps.create_task(second())
        looked = steps.create_task(reader())
    seen, seen_horizon, published = looked.result()

    assert [stored.event for stored in seen] == second_events
    assert seen_horizon.last_id == seen[-1].id
    assert published == seen
    later = await history(pg_uow, "bob")
    assert later[: len(seen)] == seen
    assert [stored.event for stored in later[len(seen) :]] == first_events
    assert min(ids_of(later[len(seen) :])) > seen_horizon.last_id
    assert ids_of(later) == [1, 2, 3, 4]
    # The first one's events, committed last, are still there for the relay.
    assert await claim(pg_uow) == later[len(seen) :]


@pytest.mark.postgres
async def test_a_commit_waits_for_the_one_that_took_ids_before_it(
    pg_uow: Callable[[], SqlAlchemyUnitOfWork],
    pg_sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids_taken = asyncio.Event()
    second_is_committing = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with pg_uow() as uow:
            await uow.events.add([bulk("bob", 1)])
            # The first half of commit(): its ids are taken, its transaction still open.
            assert await uow.events.write_pending(uow.inbox)
            ids_taken.set()
            await wait_for(release_first)
            await uow.commit()

    async def second() -> None:
        await wait_for(ids_taken)
        async with pg_uow() as uow:
            await uow.events.add([bulk("bob", 2)])
            second_is_committing.set()
            await uow.commit()

    async with asyncio.timeout(WAIT_SECONDS), asyncio.TaskGroup() as steps:
        steps.create_task(first())
        committing = steps.create_task(second())
        await wait_for(second_is_committing)
        while True:  # until the second one waits for the first one's lock
            if await lock_waits(pg_sessions):
                break
            await asyncio.sleep(0.01)
        # The second one cannot be seen before the first one is: its id would be higher.
        assert not committing.done()
        assert await horizon(pg_uow) == EventHorizon(purged_through=0, last_id=0)
        assert await history(pg_uow, "bob") == []
        release_first.set()

    assert await history(pg_uow, "bob") == [
        StoredEvent(1, bulk("bob", 1)),
        StoredEvent(2, bulk("bob", 2)),
    ]


@pytest.mark.postgres
@pytest.mark.parametrize("holder_ends", ["marks-published", "rolls-back"])
async def test_one_relay_at_a_time_holds_the_unpublished_events(
    pg_uow: Callable[[], SqlAlchemyUnitOfWork], holder_ends: str
) -> None:
    await commit_events(pg_uow, *(bulk("bob", number) for number in range(1, 4)))
    holding = asyncio.Event()
    other_has_tried = asyncio.Event()
    released = asyncio.Event()

    async def holder() -> list[StoredEvent] | None:
        async with pg_uow() as uow:
            claimed = await uow.events.claim_unpublished(2)
            holding.set()
            await wait_for(other_has_tried)
            if holder_ends == "marks-published":
                await uow.events.mark_published(2)
                await uow.commit()
        released.set()
        return claimed

    async def other() -> tuple[list[StoredEvent] | None, list[StoredEvent] | None]:
        await wait_for(holding)
        async with pg_uow() as uow:
            meanwhile = await uow.events.claim_unpublished(10)
            other_has_tried.set()
            await wait_for(released)
            # The same transaction, once the holder is gone: its claim is free again.
            afterwards = await uow.events.claim_unpublished(10)
        return meanwhile, afterwards

    async with asyncio.timeout(WAIT_SECONDS), asyncio.TaskGroup() as steps:
        held = steps.create_task(holder())
        tried = steps.create_task(other())
    meanwhile, afterwards = tried.result()

    assert ids_of(held.result() or []) == [1, 2]
    assert meanwhile is None
    expected = [3] if holder_ends == "marks-published" else [1, 2, 3]
    assert ids_of(afterwards or []) == expected
    assert ids_of(await claim(pg_uow) or []) == expected


@pytest.mark.postgres
async def test_marking_published_counts_the_events_committed_while_the_batch_was_published(
    pg_uow: Callable[[], SqlAlchemyUnitOfWork],
) -> None:
    """What lets a relay end its run with the unit of work that published: the mark's count
    is read after it, not as of the claim."""
    await commit_events(pg_uow, bulk("bob", 1))
    async with pg_uow() as uow:
        assert ids_of(await uow.events.claim_unpublished(10) or []) == [1]
        await commit_events(pg_uow, bulk("bob", 2), bulk("bob", 3))  # while it publishes
        assert await uow.events.mark_published(1) == 2
        await uow.commit()

    assert ids_of(await claim(pg_uow) or []) == [2, 3]


@pytest.mark.postgres
async def test_a_claim_whose_row_another_relay_marked_meanwhile_reads_the_events_after_it(
    pg_sessions: async_sessionmaker[AsyncSession],
    pg_uow: Callable[[], SqlAlchemyUnitOfWork],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The claim's statement takes its snapshot, then the row's lock; another relay that marks
    the row in between leaves the lock with its mark and the snapshot without the events
    committed before it. Here the claim pauses in between (`pg_sleep` before its lock), and
    events and a mark are committed meanwhile: the claim still has every event after the
    mark."""

    def paused_claim() -> sa.CTE:
        return (
            sa.select(outbox_state.c.position)
            .where(outbox_state.c.name == "published", sa.func.pg_sleep(0.5).is_not(None))
            .with_for_update(skip_locked=True, of=outbox_state)
            .cte("claimed")
        )

    monkeypatch.setattr(repositories, "_claimed_row", paused_claim)

    async def pausing() -> bool:
        async with pg_sessions() as session:
            waiting = await session.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
                    " AND datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return bool(waiting.scalar_one())

    async def meanwhile() -> None:
        for _ in range(400):  # the claim's statement is paused: up to 8 s
            if await pausing():
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the claim never paused")
        await commit_events(pg_uow, bulk("bob", 1), bulk("bob", 2))
        async with pg_sessions() as session:  # another relay published event 1
            await session.execute(
                sa.text("UPDATE outbox_state SET position = 1 WHERE name = 'published'")
            )
            await session.commit()

    async with asyncio.timeout(WAIT_SECONDS), asyncio.TaskGroup() as steps:
        marking = steps.create_task(meanwhile())
        claimed = steps.create_task(claim(pg_uow))
    marking.result()

    assert ids_of(claimed.result() or []) == [2]


@pytest.mark.postgres
async def test_event_ids_past_32_bits_are_claimed_and_marked(
    pg_sessions: async_sessionmaker[AsyncSession], pg_uow: Callable[[], SqlAlchemyUnitOfWork]
) -> None:
    """Event ids are 64-bit: the claim reads them, and the mark binds them so."""
    start = 2**31 + 10
    async with pg_sessions() as session:
        await session.execute(
            sa.text("UPDATE outbox_state SET position = :start WHERE name <> 'purged'"),
            {"start": start},
        )
        await session.commit()
    await commit_events(pg_uow, bulk("bob", 1), bulk("bob", 2), bulk("bob", 3))

    async with pg_uow() as uow:
        assert ids_of(await uow.events.claim_unpublished(2) or []) == [start + 1, start + 2]
        assert await uow.events.mark_published(start + 2) == 1
        await uow.commit()
    assert ids_of(await claim(pg_uow) or []) == [start + 3]


@pytest.mark.postgres
async def test_a_relay_publishes_in_the_same_run_what_was_committed_while_it_published(
    pg_uow: Callable[[], SqlAlchemyUnitOfWork],
) -> None:
    class CommitsMeanwhile(RecordingPublisher):
        async def publish(self, events: Sequence[StoredEvent]) -> None:
            await super().publish(events)
            if len(self.published) == 1:  # another use case commits while this one publishes
                await commit_events(pg_uow, bulk("carol", 1))

    publisher = CommitsMeanwhile()
    await commit_events(pg_uow, bulk("bob", 1))
    relay = RelayEvents(pg_uow, publisher)

    async with asyncio.timeout(WAIT_SECONDS):
        assert await relay() == 2

    assert publisher.event_ids == [1, 2]
    assert relay.waiting == 0
    assert await claim(pg_uow) == []


@pytest.mark.postgres
async def test_counts_read_after_taking_a_turn_include_every_earlier_commit(
    pg_uow: Callable[[], SqlAlchemyUnitOfWork],
    pg_sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two notifications for bob committed at once: the count event with the higher id counts
    both, so that the last count bob is sent is his current one."""
    await register(pg_uow, "bob")
    first_has_counted = asyncio.Event()
    release_first = asyncio.Event()

    async def notify_bob(counted: asyncio.Event | None, release: asyncio.Event | None) -> None:
        notification = a_notification()
        async with pg_uow() as uow:
            await uow.inbox.add(notification, ["bob"])
            await uow.events.take_turn()
            badges = await uow.inbox.badges(["bob"])
            if counted is not None and release is not None:
                counted.set()
                await wait_for(release)
            await uow.events.add(
                [NotificationCreated(notification, ("bob",)), UnreadCountsChanged.of(badges)]
            )
            await uow.commit()

    await second_waits_for_first(
        notify_bob(first_has_counted, release_first),
        first_has_counted,
        notify_bob(None, None),
        release_first,
        pg_sessions,
    )

    counts = [
        s.event for s in await history(pg_uow, "bob") if isinstance(s.event, UnreadCountsChanged)
    ]
    assert counts == [
        UnreadCountsChanged({"bob": 1}, {"bob": 1}),
        UnreadCountsChanged({"bob": 2}, {"bob": 2}),
    ]


async def second_waits_for_first(
    first: Coroutine[object, object, object],
    first_holds: asyncio.Event,
    second: Coroutine[object, object, object],
    release_first: asyncio.Event,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """`first` runs until it holds the turn, then `second` starts, and waits for it: once it
    does, the first is released (to commit)."""
    async with asyncio.timeout(WAIT_SECONDS), asyncio.TaskGroup() as steps:
        steps.create_task(first)
        await wait_for(first_holds)
        steps.create_task(second)
        while not await lock_waits(sessions):  # noqa: ASYNC110 - the second one waits its turn
            await asyncio.sleep(0.01)
        release_first.set()


async def register(new_uow: NewUnitOfWork, user_id: str) -> None:
    async with new_uow() as uow:
        await uow.users.add(User.register(user_id, user_id.title(), None, NOW))
        await uow.commit()


async def lock_waits(sessions: async_sessionmaker[AsyncSession]) -> int:
    """How many sessions of this database wait for a lock."""
    async with sessions() as session:
        result = await session.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return int(result.scalar_one())


# Counts events read as the unit of work commits (`EventLog.add_counts`)

# More users than the SQL adapter's floor for counting a notification as a broadcast.
EVERYONE = ("bob", "carol", *(f"user-{number:03d}" for number in range(70)))


async def tell(new_uow: NewUnitOfWork, recipients: Sequence[str]) -> Notification:
    """What `notify` writes: the entries, the notification's event, then its recipients'
    counts as the commit leaves them."""
    notification = a_notification()
    async with new_uow() as uow:
        await uow.inbox.add(notification, recipients)
        await uow.events.add([NotificationCreated(notification, tuple(recipients))])
        await uow.events.add_counts(recipients)
        await uow.commit()
    return notification


async def test_a_counts_event_carries_the_counts_its_commit_leaves(
    new_uow: NewUnitOfWork,
) -> None:
    await tell(new_uow, ["bob"])  # bob has one already; the others none
    async with new_uow() as uow:  # and carol has read hers
        await uow.inbox.add(a_notification(), ["carol"])
        await uow.inbox.mark_all_read("carol", NOW)
        await uow.commit()

    told = await tell(new_uow, EVERYONE)  # the SQL adapter counts it as a broadcast

    stored = await history(new_uow, "carol")
    assert [type(event.event) for event in stored] == [NotificationCreated, UnreadCountsChanged]
    created, counts = stored
    assert created.event == NotificationCreated(told, EVERYONE)
    assert counts.id == created.id + 1
    expected = {**dict.fromkeys(EVERYONE, 1), "bob": 2}
    assert counts.event == UnreadCountsChanged(expected, expected)
    assert sorted(counts.event.audience) == sorted(EVERYONE)
    assert counts.event == UnreadCountsChanged.of(await badges(new_uow, EVERYONE))


async def test_a_commit_hands_its_relay_its_events_as_the_outbox_holds_them(
    new_uow: NewUnitOfWork, relay: RecordingRelay
) -> None:
    # A broadcast with its counts (on PostgreSQL, counted by the statement that writes the
    # events, which returns them), then a commit whose counts are read on their own.
    await tell(new_uow, EVERYONE)
    first, second = a_notification(), a_notification()
    async with new_uow() as uow:
        await uow.inbox.add(first, EVERYONE)
        await uow.inbox.add(second, ["bob"])
        await uow.events.add([NotificationCreated(first, EVERYONE), bulk("bob", 1)])
        await uow.events.add_counts(EVERYONE)
        await uow.events.add([NotificationCreated(second, ("bob",))])
        await uow.events.add_counts(["bob"])
        await uow.commit()
    async with new_uow() as uow:  # not committed: nothing handed on
        await uow.events.add([bulk("bob", 2)])

    stored = await claim(new_uow)
    assert stored is not None
    assert [len(events) for events in relay.handed] == [2, 5]
    assert [event for events in relay.handed for event in events] == stored


async def badges(new_uow: NewUnitOfWork, user_ids: Sequence[str]) -> Badges:
    async with new_uow() as uow:
        return await uow.inbox.badges(user_ids)


@pytest.mark.postgres
async def test_a_broadcast_is_counted_by_the_statement_that_writes_its_events(
    pg_uow: Callable[[], SqlAlchemyUnitOfWork], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One round trip less while the turn is held: the counts statement of its own is not run
    (the in-memory and SQLite runs of the test above give the same counts its own way)."""

    async def not_on_its_own(*args: object) -> None:
        raise AssertionError("the broadcast was counted by a statement of its own")

    await tell(pg_uow, ["bob"])
    monkeypatch.setattr(SqlAlchemyInboxRepository, "_count_broadcast", not_on_its_own)
    told = await tell(pg_uow, EVERYONE)

    created, counts = (await history(pg_uow, "bob"))[-2:]
    assert counts.event == UnreadCountsChanged(
        {**dict.fromkeys(EVERYONE, 1), "bob": 2}, {**dict.fromkeys(EVERYONE, 1), "bob": 2}
    )
    async with pg_uow() as uow:
        assert await uow.inbox.get("user-069", told.id) == InboxEntry.deliver(told, "user-069")
        assert await uow.inbox.unread_count("user-069") == 1
        # The notification has its event's id: a confirmation through it covers its entry.
        assert await uow.inbox.confirm_delivered({"user-069": created.id}, NOW) == 1
        assert await uow.inbox.confirm_delivered({"user-068": created.id - 1}, NOW) == 0


async def test_counts_events_keep_their_place_whatever_else_the_commit_counts(
    new_uow: NewUnitOfWork,
) -> None:
    # A broadcast and a change of bob's own counts in one commit: the SQL adapter reads each
    # counts event on its own (no single statement), after writing both.
    first, second = a_notification(), a_notification()
    async with new_uow() as uow:
        await uow.inbox.add(first, EVERYONE)
        await uow.inbox.add(second, ["bob"])
        await uow.events.add([NotificationCreated(first, EVERYONE)])
        await uow.events.add_counts(EVERYONE)
        await uow.events.add_counts([])  # nobody: no event
        await uow.events.add([NotificationCreated(second, ("bob",))])
        await uow.events.add_counts(["bob"])
        await uow.commit()

    stored = await history(new_uow, "bob")
    kinds = [NotificationCreated, UnreadCountsChanged, NotificationCreated, UnreadCountsChanged]
    assert [type(event.event) for event in stored] == kinds
    assert ids_of(stored) == list(range(stored[0].id, stored[0].id + 4))
    everyone = {**dict.fromkeys(EVERYONE, 1), "bob": 2}
    assert stored[1].event == UnreadCountsChanged(everyone, everyone)
    assert stored[3].event == UnreadCountsChanged({"bob": 2}, {"bob": 2})


@pytest.mark.postgres
async def test_a_counts_event_read_as_its_commit_counts_every_commit_before(
    pg_uow: Callable[[], SqlAlchemyUnitOfWork],
    pg_sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two broadcasts committed at once: the one that waits for the other's turn reads the
    counts the other left, so that the last count each user is sent is their current one."""
    holding = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        notification = a_notification()
        async with pg_uow() as uow:
            await uow.inbox.add(notification, EVERYONE)
            await uow.events.add([NotificationCreated(notification, EVERYONE)])
            await uow.events.add_counts(EVERYONE)
            await uow.events.take_turn()  # held from here until its commit
            holding.set()
            await wait_for(release)
            await uow.commit()

    await second_waits_for_first(first(), holding, tell(pg_uow, EVERYONE), release, pg_sessions)

    counts = [
        stored.event
        for stored in await history(pg_uow, "user-042")
        if isinstance(stored.event, UnreadCountsChanged)
    ]
    assert [event.counts["user-042"] for event in counts] == [1, 2]
    assert [event.unseen["bob"] for event in counts] == [1, 2]
