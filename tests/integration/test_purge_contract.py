"""One contract for retention (`uow.inbox.purge_before`, `uow.events.purge_before`): in memory,
on SQLite, on PostgreSQL.

Old notifications go with every recipient's entry; old events go once published, and the
"purged" position follows them, so that clients older than it are told to resync.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from adapters.memory import InMemoryStore, InMemoryUnitOfWork
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.tables import notification_recipients
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.ports import EventHorizon, PurgedBatch, UnitOfWork
from builders import a_notification
from databases import as_old_sqlite
from domain.comments import Comment
from domain.events import NotificationsBulkUpdated, StoredEvent
from domain.leads import Lead
from domain.notifications import Badge, InboxEntry, Notification, NotificationType
from domain.tasks import Task
from domain.users import User

NewUnitOfWork = Callable[[], UnitOfWork]

# Microseconds on purpose: the cutoff must be compared to the microsecond on every backend.
T0 = datetime(2025, 3, 14, 9, 30, 15, 123456, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class SettableClock:
    """The clock that stamps events at commit; each test sets it."""

    def __init__(self, now: datetime = T0) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


@dataclass
class Backend:
    new_uow: NewUnitOfWork
    clock: SettableClock
    url: str | None  # None: in memory


@pytest.fixture
async def backend(backend_url: str | None) -> AsyncIterator[Backend]:
    clock = SettableClock()
    if backend_url is None:
        store = InMemoryStore(clock)
        yield Backend(lambda: InMemoryUnitOfWork(store), clock, None)
        return
    engine = make_engine(backend_url)
    session_factory = make_session_factory(engine)
    yield Backend(lambda: SqlAlchemyUnitOfWork(session_factory, clock=clock), clock, backend_url)
    await engine.dispose()


async def add_notifications(
    backend: Backend, times: Sequence[datetime], recipients: Sequence[str] = ("bob", "carol")
) -> list[Notification]:
    made = [a_notification(at) for at in times]
    async with backend.new_uow() as uow:
        for notification in made:
            await uow.inbox.add(notification, recipients)
        await uow.commit()
    return made


async def purge_notifications(
    backend: Backend, cutoff: datetime, limit: int = 1_000, entries: int = 1_000
) -> int:
    async with backend.new_uow() as uow:
        batch = await uow.inbox.purge_before(cutoff, limit, entries)
        await uow.commit()
    return batch.notifications


async def entries(backend: Backend, user_id: str) -> list[InboxEntry]:
    async with backend.new_uow() as uow:
        return await uow.inbox.newest(user_id, 100)


async def ids_in_inbox(backend: Backend, user_id: str) -> list[UUID]:
    return [entry.notification.id for entry in await entries(backend, user_id)]


async def recipient_rows(backend: Backend, notification_ids: Sequence[UUID]) -> int:
    """The entries left for these notifications, counted in the table itself."""
    assert backend.url is not None
    engine = make_engine(backend.url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                sa.select(sa.func.count())
                .select_from(notification_recipients)
                .where(notification_recipients.c.notification_id.in_(notification_ids))
            )
    finally:
        await engine.dispose()
    return int(count or 0)


def bulk(number: int) -> NotificationsBulkUpdated:
    return NotificationsBulkUpdated("bob", number)


async def commit_events_at(backend: Backend, at: datetime, *numbers: int) -> None:
    backend.clock.at = at
    async with backend.new_uow() as uow:
        await uow.events.add([bulk(number) for number in numbers])
        await uow.commit()


async def publish_through(backend: Backend, event_id: int) -> None:
    async with backend.new_uow() as uow:
        await uow.events.mark_published(event_id)
        await uow.commit()


async def purge_events(backend: Backend, cutoff: datetime, limit: int = 1_000) -> int:
    async with backend.new_uow() as uow:
        deleted = await uow.events.purge_before(cutoff, limit)
        await uow.commit()
    return deleted


async def history(backend: Backend, after_id: int = 0) -> list[int]:
    async with backend.new_uow() as uow:
        return [stored.id for stored in await uow.events.history("bob", after_id, 1_000)]


async def horizon(backend: Backend) -> EventHorizon:
    async with backend.new_uow() as uow:
        return await uow.events.horizon()


# Notifications


async def test_notifications_created_before_the_cutoff_go_with_every_entry(
    backend: Backend,
) -> None:
    cutoff = T0 + timedelta(days=1)
    old = await add_notifications(backend, [T0, cutoff - MICROSECOND])
    kept = await add_notifications(backend, [cutoff, cutoff + timedelta(days=1)])
    async with backend.new_uow() as uow:  # bob reads one old one: read or not, it goes
        entry = await uow.inbox.get("bob", old[0].id)
        assert entry is not None
        entry.mark_read(T0 + timedelta(hours=1))
        await uow.inbox.save(entry)
        await uow.commit()

    assert await purge_notifications(backend, cutoff) == 2

    newest_first = [kept[1].id, kept[0].id]
    assert await ids_in_inbox(backend, "bob") == newest_first
    assert await ids_in_inbox(backend, "carol") == newest_first
    async with backend.new_uow() as uow:
        for notification in old:
            assert await uow.inbox.get("bob", notification.id) is None
        assert await uow.inbox.badges(["bob", "carol"]) == {
            "bob": Badge(2, 2),
            "carol": Badge(2, 2),
        }
    if backend.url is not None:
        assert await recipient_rows(backend, [n.id for n in old]) == 0
        assert await recipient_rows(backend, [n.id for n in kept]) == 4


async def test_notifications_go_oldest_first_at_most_the_limit_at_a_time(
    backend: Backend,
) -> None:
    # Added out of order, so that neither insertion order nor ids can stand in for age.
    times = [T0 + timedelta(minutes=minutes) for minutes in (3, 0, 4, 1, 2)]
    made = await add_notifications(backend, times)
    by_age = [n.id for n in sorted(made, key=lambda n: n.created_at)]
    cutoff = T0 + timedelta(days=1)

    assert await purge_notifications(backend, cutoff, limit=2) == 2
    assert sorted(await ids_in_inbox(backend, "bob")) == sorted(by_age[2:])
    assert await purge_notifications(backend, cutoff, limit=2) == 2
    assert await ids_in_inbox(backend, "bob") == [by_age[4]]
    assert await purge_notifications(backend, cutoff, limit=2) == 1
    assert await purge_notifications(backend, cutoff, limit=2) == 0
    assert await entries(backend, "carol") == []


async def test_notifications_that_no_one_keeps_any_more_go_too(backend: Backend) -> None:
    (left_by_all,) = await add_notifications(backend, [T0])
    (nobodys,) = await add_notifications(backend, [T0], recipients=())
    async with backend.new_uow() as uow:
        for user_id in ("bob", "carol"):
            assert await uow.inbox.remove(user_id, left_by_all.id)
        await uow.commit()

    assert await purge_notifications(backend, T0 + MICROSECOND) == 2
    assert await purge_notifications(backend, T0 + MICROSECOND) == 0
    if backend.url is not None:
        assert await recipient_rows(backend, [left_by_all.id, nobodys.id]) == 0


async def purge_batch(backend: Backend, cutoff: datetime, entries: int) -> PurgedBatch:
    async with backend.new_uow() as uow:
        batch = await uow.inbox.purge_before(cutoff, 10, entries)
        await uow.commit()
    return batch


async def test_a_batch_holds_at_most_its_entries_and_a_notification_goes_with_its_last(
    backend: Backend,
) -> None:
    users = ("bob", "carol", "dave")
    made = await add_notifications(backend, [T0, T0 + MICROSECOND, T0], recipients=users)
    # Entries go in the order of their key: notification id, then user id.
    first, second, third = sorted(n.id for n in made)
    cutoff = T0 + timedelta(days=1)

    batch = await purge_batch(backend, cutoff, entries=4)

    # The first notification's 3 entries and bob's of the second: the second stays for the
    # others, with their counts.
    assert batch == PurgedBatch(notifications=1, entries=4, losing=frozenset(users), full=True)
    assert sorted(await ids_in_inbox(backend, "bob")) == [third]
    assert sorted(await ids_in_inbox(backend, "carol")) == [second, third]
    assert sorted(await ids_in_inbox(backend, "dave")) == [second, third]
    async with backend.new_uow() as uow:
        assert await uow.inbox.badges(users) == {
            "bob": Badge(1, 1),
            "carol": Badge(2, 2),
            "dave": Badge(2, 2),
        }
    if backend.url is not None:
        assert await recipient_rows(backend, [first, second, third]) == 5

    assert await purge_batch(backend, cutoff, entries=4) == PurgedBatch(
        notifications=1, entries=4, losing=frozenset(users), full=True
    )
    assert await purge_batch(backend, cutoff, entries=4) == PurgedBatch(
        notifications=1, entries=1, losing=frozenset({"dave"}), full=False
    )
    assert await purge_batch(backend, cutoff, entries=4) == PurgedBatch(
        notifications=0, entries=0, losing=frozenset(), full=False
    )
    for user_id in users:
        assert await entries(backend, user_id) == []


@pytest.mark.parametrize("nobodys_place", ["first", "between", "last"])
async def test_a_notification_whose_last_entry_ends_a_batch_goes_with_it(
    backend: Backend, nobodys_place: str
) -> None:
    users = ("bob", "carol", "dave")
    made = await add_notifications(backend, [T0, T0], recipients=users)
    first, second = sorted(n.id for n in made)
    nobodys = replace(
        a_notification(T0),
        id={
            "first": UUID(int=0),
            "between": UUID(int=(first.int + second.int) // 2),
            "last": UUID(int=2**128 - 1),
        }[nobodys_place],
    )
    async with backend.new_uow() as uow:
        await uow.inbox.add(nobodys, [])
        await uow.commit()
    cutoff = T0 + timedelta(days=1)

    # The bound falls on the first's last entry: it goes. The notification with no entry goes
    # with the batch that reaches its id (or, after the last entry's, with the last batch).
    nobodys_batch = 0 if nobodys.id < first else 1 if nobodys.id < second else 2
    for number, entries_left in enumerate((3, 3, 0)):
        batch = await purge_batch(backend, cutoff, entries=3)
        assert batch == PurgedBatch(
            notifications=(number < 2) + (number == nobodys_batch),
            entries=entries_left,
            losing=frozenset(users if entries_left else ()),
            full=entries_left == 3,
        )
        if number == 0:
            assert await ids_in_inbox(backend, "bob") == [second]
    assert await purge_batch(backend, cutoff, entries=3) == PurgedBatch(
        notifications=0, entries=0, losing=frozenset(), full=False
    )
    if backend.url is not None:
        assert await recipient_rows(backend, [first, second, nobodys.id]) == 0


async def test_a_batch_says_who_lost_an_entry_that_counted(backend: Backend) -> None:
    users = ("bob", "carol", "dave", "erin", "frank")
    (old,) = await add_notifications(backend, [T0], recipients=users)
    await add_notifications(backend, [T0 + timedelta(days=2)], recipients=["frank"])
    later = T0 + timedelta(hours=1)
    async with backend.new_uow() as uow:
        for user_id, change in (
            ("bob", InboxEntry.mark_read),  # read: counted nowhere
            ("carol", InboxEntry.archive),  # archived, unread: counted nowhere either
            ("dave", InboxEntry.mark_seen),  # seen, unread: counted as unread
        ):
            entry = await uow.inbox.get_for_update(user_id, old.id)
            assert entry is not None
            assert change(entry, later)
            await uow.inbox.save(entry)
        # Read by a markAllAsRead (on PostgreSQL, a mark not yet written to the entries).
        assert await uow.inbox.mark_all_read("frank", later) == 2
        await uow.commit()

    batch = await purge_batch(backend, T0 + timedelta(days=1), entries=100)

    assert batch == PurgedBatch(
        notifications=1, entries=5, losing=frozenset({"dave", "erin"}), full=False
    )
    async with backend.new_uow() as uow:
        assert await uow.inbox.badges(users) == {
            "bob": Badge(0, 0),
            "carol": Badge(0, 0),
            "dave": Badge(0, 0),
            "erin": Badge(0, 0),
            "frank": Badge(0, 0),
        }


async def test_a_batch_of_more_notifications_than_old_sqlite_takes_parameters(
    migrated_sqlite_url: str,
) -> None:
    # SQLite before 3.32 takes at most 999 parameters a statement; this one takes more.
    engine = make_engine(migrated_sqlite_url)
    as_old_sqlite(engine)

    backend = Backend(
        lambda: SqlAlchemyUnitOfWork(make_session_factory(engine)), SettableClock(), "sqlite"
    )
    try:
        await add_notifications(backend, [T0] * 1_200, recipients=["bob"])

        purged = await purge_notifications(backend, T0 + MICROSECOND, limit=5_000, entries=5_000)
        assert purged == 1_200
        assert await entries(backend, "bob") == []
    finally:
        await engine.dispose()


async def test_a_purge_that_is_not_committed_deletes_nothing(backend: Backend) -> None:
    made = await add_notifications(backend, [T0, T0])

    async with backend.new_uow() as uow:
        assert (await uow.inbox.purge_before(T0 + MICROSECOND, 10, 100)).notifications == 2

    assert sorted(await ids_in_inbox(backend, "bob")) == sorted(n.id for n in made)


async def test_purging_notifications_leaves_users_leads_tasks_and_comments(
    backend: Backend,
) -> None:
    alice = User.register("alice", "Alice", None, T0)
    lead = Lead.create(
        uuid4(), name="Umbrella", email=None, company=None, score=1, owner_id="alice", now=T0
    )
    task = Task.create(
        uuid4(), lead_id=lead.id, title="Call", assignee_id=None, created_by_id="alice", now=T0
    )
    comment = Comment.write(uuid4(), lead_id=lead.id, author_id="bob", body="Hot!", now=T0)
    async with backend.new_uow() as uow:
        await uow.users.add(alice)
        await uow.leads.add(lead)
        await uow.tasks.add(task)
        await uow.comments.add(comment)
        await uow.preferences.save("bob", NotificationType.SCORE_UPDATED, False)
        await uow.inbox.add(a_notification(T0, related_lead_id=lead.id), ["bob"])
        await uow.commit()

    assert await purge_notifications(backend, T0 + timedelta(days=1)) == 1

    async with backend.new_uow() as uow:
        assert await uow.users.get("alice") == alice
        assert await uow.leads.get(lead.id) == lead
        assert await uow.tasks.get(task.id) == task
        assert await uow.comments.author_ids(lead.id) == {"bob"}
        assert await uow.preferences.disabled_types("bob") == {NotificationType.SCORE_UPDATED}
        assert await uow.inbox.newest("bob", 10) == []


# Events


async def test_published_events_written_before_the_cutoff_go_and_the_purged_position_follows(
    backend: Backend,
) -> None:
    cutoff = T0 + timedelta(days=1)
    await commit_events_at(backend, T0, 1, 2, 3)
    await commit_events_at(backend, cutoff - MICROSECOND, 4)
    await commit_events_at(backend, cutoff, 5)
    await publish_through(backend, 5)

    assert await purge_events(backend, cutoff) == 4

    assert await history(backend) == [5]
    assert await horizon(backend) == EventHorizon(purged_through=4, last_id=5)
    assert await purge_events(backend, cutoff) == 0
    assert await horizon(backend) == EventHorizon(purged_through=4, last_id=5)


async def test_events_not_yet_published_stay_however_old(backend: Backend) -> None:
    await commit_events_at(backend, T0, 1, 2, 3, 4, 5)
    cutoff = T0 + timedelta(days=30)

    assert await purge_events(backend, cutoff) == 0
    assert await horizon(backend) == EventHorizon(purged_through=0, last_id=5)

    await publish_through(backend, 3)
    assert await purge_events(backend, cutoff) == 3

    assert await history(backend) == [4, 5]
    async with backend.new_uow() as uow:
        assert await uow.events.claim_unpublished(10) == [
            StoredEvent(4, bulk(4)),
            StoredEvent(5, bulk(5)),
        ]
    assert await horizon(backend) == EventHorizon(purged_through=3, last_id=5)


async def test_events_go_oldest_first_at_most_the_limit_at_a_time(backend: Backend) -> None:
    for number in range(1, 8):
        await commit_events_at(backend, T0 + timedelta(minutes=number), number)
    await publish_through(backend, 7)
    cutoff = T0 + timedelta(days=1)

    assert await purge_events(backend, cutoff, limit=3) == 3
    assert await history(backend) == [4, 5, 6, 7]
    assert (await horizon(backend)).purged_through == 3
    assert await purge_events(backend, cutoff, limit=3) == 3
    assert await purge_events(backend, cutoff, limit=3) == 1
    assert await history(backend) == []
    assert await horizon(backend) == EventHorizon(purged_through=7, last_id=7)


async def test_the_purged_position_never_moves_back(backend: Backend) -> None:
    # Two processes whose clocks disagree: event 1 is stamped after event 2.
    await commit_events_at(backend, T0 + timedelta(hours=2), 1)
    await commit_events_at(backend, T0, 2)
    await publish_through(backend, 2)

    assert await purge_events(backend, T0 + timedelta(hours=1)) == 1
    assert await horizon(backend) == EventHorizon(purged_through=2, last_id=2)
    assert await history(backend, after_id=2) == []

    assert await purge_events(backend, T0 + timedelta(hours=3)) == 1
    assert await horizon(backend) == EventHorizon(purged_through=2, last_id=2)
    assert await history(backend) == []


async def test_an_event_purge_that_is_not_committed_deletes_nothing(backend: Backend) -> None:
    await commit_events_at(backend, T0, 1, 2)
    await publish_through(backend, 2)

    async with backend.new_uow() as uow:
        assert await uow.events.purge_before(T0 + MICROSECOND, 10) == 2

    assert await history(backend) == [1, 2]
    assert await horizon(backend) == EventHorizon(purged_through=0, last_id=2)


async def test_new_events_after_a_purge_keep_counting_from_the_last_id(backend: Backend) -> None:
    await commit_events_at(backend, T0, 1, 2)
    await publish_through(backend, 2)
    assert await purge_events(backend, T0 + MICROSECOND) == 2

    await commit_events_at(backend, T0 + timedelta(days=1), 3)

    assert await history(backend) == [3]
    assert await horizon(backend) == EventHorizon(purged_through=2, last_id=3)
