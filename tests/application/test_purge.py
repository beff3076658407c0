"""PurgeOlderThan on the in-memory adapters: old notifications and published events go, in
batches; everything else stays, and clients older than the purge are told to resync."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork, RecordingPublisher
from application.commands import (
    AddCommentCommand,
    ArchiveNotificationCommand,
    CompleteTaskCommand,
    DeleteNotificationCommand,
    EventsSinceQuery,
    MarkAsReadCommand,
    PurgeOlderThanCommand,
    SetPreferenceCommand,
)
from application.comments.add_comment import AddComment
from application.delivery.events_since import EventsSince
from application.delivery.relay_events import RelayEvents
from application.notifications.archive_notification import ArchiveNotification
from application.notifications.delete_notification import DeleteNotification
from application.notifications.mark_as_read import MarkAsRead
from application.preferences.set_preference import SetPreference
from application.retention.purge import PurgeOlderThan, PurgeResult
from application.tasks.complete_task import CompleteTask
from domain.errors import InvalidInput
from domain.events import NotificationsBulkUpdated, UnreadCountsChanged
from domain.leads import Lead
from domain.notifications import NotificationType
from domain.tasks import Task

if TYPE_CHECKING:
    from conftest import FixedClock, StoreReader

Users = Callable[..., Awaitable[None]]
GivenLead = Callable[..., Awaitable[UUID]]
NewLead = Callable[..., Awaitable[Lead]]
GivenTask = Callable[..., Awaitable[Task]]

DAYS = 90


@pytest.fixture
def store(clock: FixedClock) -> InMemoryStore:
    """The store stamps events with the test's clock, so that they age with it."""
    return InMemoryStore(clock)


class CountedUnitOfWork(InMemoryUnitOfWork):
    def __init__(self, store: InMemoryStore, units: UnitsOfWork) -> None:
        super().__init__(store)
        self._units = units

    async def commit(self) -> None:
        self._units.commits += 1
        await super().commit()


class UnitsOfWork:
    """Makes the purge's units of work, and counts their commits: one per batch."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.commits = 0

    def __call__(self) -> InMemoryUnitOfWork:
        return CountedUnitOfWork(self._store, self)


@pytest.fixture
def units(store: InMemoryStore) -> UnitsOfWork:
    return UnitsOfWork(store)


def purge_with(
    units: UnitsOfWork, clock: FixedClock, batch_size: int = 5_000, batch_entries: int = 10_000
) -> PurgeOlderThan:
    return PurgeOlderThan(units, clock, batch_size, batch_entries)


async def purge(
    units: UnitsOfWork, clock: FixedClock, days: int = DAYS, batch_size: int = 5_000
) -> PurgeResult:
    return await purge_with(units, clock, batch_size)(PurgeOlderThanCommand(days))


async def inbox_ids(read: StoreReader, user_id: str) -> list[UUID]:
    return [entry.notification.id for entry in await read.inbox(user_id)]


async def commit_events(store: InMemoryStore, count: int) -> None:
    """Events written with no relay to publish them."""
    async with InMemoryUnitOfWork(store) as uow:
        await uow.events.add([NotificationsBulkUpdated("bob", number) for number in range(count)])
        await uow.commit()


async def resync_needed(store: InMemoryStore, last_event_id: int) -> bool:
    events_since = EventsSince(InMemoryUnitOfWork(store))
    return await events_since.resync_needed(EventsSinceQuery("bob", last_event_id))


async def test_only_notifications_older_than_the_period_go(
    given_users: Users,
    given_lead: GivenLead,
    clock: FixedClock,
    read: StoreReader,
    store: InMemoryStore,
    units: UnitsOfWork,
) -> None:
    await given_users("alice", "bob", "carol")
    old = [await given_lead("alice"), await given_lead("bob")]
    clock.advance(days=DAYS)
    recent = await given_lead("alice")  # a minute younger than the period at the purge
    clock.advance(minutes=2)

    result = await purge(units, clock)

    assert result.notifications == len(old)
    assert result.entries == 4  # each old lead's two: the users but its creator
    assert await inbox_ids(read, "carol") == [recent]
    assert await inbox_ids(read, "bob") == [recent]
    assert await inbox_ids(read, "alice") == []  # bob's old lead was alice's only one
    assert set(store.state.notifications) == {recent}


async def test_a_notification_exactly_as_old_as_the_period_stays(
    given_users: Users,
    given_lead: GivenLead,
    clock: FixedClock,
    read: StoreReader,
    units: UnitsOfWork,
) -> None:
    await given_users("alice", "bob")
    kept = await given_lead("alice")
    clock.advance(days=DAYS)

    assert await purge(units, clock) == PurgeResult(notifications=0, entries=0, events=0)
    assert await inbox_ids(read, "bob") == [kept]


async def test_read_unread_and_half_deleted_notifications_follow_the_same_age_rule(
    given_users: Users,
    given_lead: GivenLead,
    mark_as_read: MarkAsRead,
    delete_notification: DeleteNotification,
    clock: FixedClock,
    read: StoreReader,
    units: UnitsOfWork,
) -> None:
    await given_users("alice", "bob", "carol")
    read_by_bob = await given_lead("alice")
    deleted_by_carol = await given_lead("alice")
    deleted_by_all = await given_lead("alice")
    await mark_as_read(MarkAsReadCommand("bob", str(read_by_bob)))
    await delete_notification(DeleteNotificationCommand("carol", str(deleted_by_carol)))
    for user_id in ("bob", "carol"):
        await delete_notification(DeleteNotificationCommand(user_id, str(deleted_by_all)))
    clock.advance(days=DAYS + 1)

    result = await purge(units, clock)

    assert result.notifications == 3
    # Entries still there: bob's two (read, and deleted by carol alone) and carol's one (read by
    # bob); the ones each user deleted were gone already.
    assert result.entries == 3
    assert await read.inbox("bob") == []
    assert await read.inbox("carol") == []
    assert await read.unread("bob") == 0
    assert await read.unread("carol") == 0


async def test_more_notifications_than_a_batch_go_in_several_transactions(
    given_users: Users,
    given_lead: GivenLead,
    clock: FixedClock,
    read: StoreReader,
    units: UnitsOfWork,
) -> None:
    await given_users("alice", "bob")
    for number in range(7):
        await given_lead("alice", f"Deal {number}")
    clock.advance(days=DAYS)
    recent = await given_lead("alice", "Fresh deal")
    clock.advance(days=1)

    result = await purge(units, clock, batch_size=3)

    assert (result.notifications, result.entries) == (7, 7)
    assert await inbox_ids(read, "bob") == [recent]
    # Notifications: 3 + 3 + 1; events: every one of the 7 leads' 2, then the last, short batch.
    assert result.events == 14
    assert units.commits == 3 + (14 // 3 + 1)


async def test_a_batch_that_is_exactly_full_is_followed_by_an_empty_one(
    given_users: Users,
    given_lead: GivenLead,
    clock: FixedClock,
    read: StoreReader,
    units: UnitsOfWork,
) -> None:
    await given_users("alice", "bob")
    for number in range(4):
        await given_lead("alice", f"Deal {number}")
    clock.advance(days=DAYS + 1)

    result = await purge(units, clock, batch_size=2)

    assert result == PurgeResult(notifications=4, entries=4, events=8)
    assert units.commits == (2 + 1) + (4 + 1)
    assert await read.inbox("bob") == []


async def test_a_notification_to_more_users_than_a_batch_holds_goes_in_several_transactions(
    given_users: Users,
    given_lead: GivenLead,
    clock: FixedClock,
    read: StoreReader,
    units: UnitsOfWork,
) -> None:
    await given_users("alice", "bob", "carol", "dave", "erin", "frank")
    await given_lead("alice")  # told to the five others
    clock.advance(days=DAYS)
    recent = await given_lead("alice", "Fresh deal")
    clock.advance(days=1)

    result = await purge_with(units, clock, batch_entries=2)(PurgeOlderThanCommand(DAYS))

    assert result == PurgeResult(notifications=1, entries=5, events=2)
    for user_id in ("bob", "carol", "dave", "erin", "frank"):
        assert await inbox_ids(read, user_id) == [recent]
    # The old lead's 5 entries: 2 + 2 + 1; its 2 events: one batch.
    assert units.commits == 3 + 1


async def test_everything_else_is_left_as_it_was(
    given_users: Users,
    given_lead: GivenLead,
    new_lead: NewLead,
    given_task: GivenTask,
    complete_task: CompleteTask,
    add_comment: AddComment,
    set_preference: SetPreference,
    mark_as_read: MarkAsRead,
    clock: FixedClock,
    read: StoreReader,
    store: InMemoryStore,
    units: UnitsOfWork,
) -> None:
    await given_users("alice", "bob", "carol")
    lead = await new_lead("alice", "Umbrella")
    task = await given_task(lead, "bob", "Call back")
    await complete_task(CompleteTaskCommand("carol", str(task.id)))
    await add_comment(AddCommentCommand("bob", str(lead.id), "Hot lead!"))
    await set_preference(SetPreferenceCommand("carol", NotificationType.SCORE_UPDATED, False))
    clock.advance(days=DAYS + 1)
    recent = await given_lead("bob", "Initech")
    await mark_as_read(MarkAsReadCommand("carol", str(recent)))
    before = copy.deepcopy(store.state)

    result = await purge(units, clock)

    after = store.state
    assert result.notifications == 3  # the lead's, the task's and the comment's
    assert after.users == before.users
    assert after.leads == before.leads
    assert after.tasks == before.tasks
    assert after.comments == before.comments
    assert after.disabled == before.disabled
    assert set(after.notifications) == {recent}
    assert after.notifications[recent] == before.notifications[recent]
    for user_id in ("alice", "carol"):
        assert after.inboxes[user_id] == {recent: before.inboxes[user_id][recent]}
    assert after.inboxes["bob"] == {}
    assert (await read.entry("carol", recent)) is not None
    assert await read.unread("alice") == 1
    assert await read.unread("carol") == 0


async def test_events_go_only_once_published_and_the_purged_position_follows(
    store: InMemoryStore, clock: FixedClock, units: UnitsOfWork
) -> None:
    await commit_events(store, 6)  # ids 1..6, none published
    clock.advance(days=DAYS + 1)

    assert await purge(units, clock) == PurgeResult(notifications=0, entries=0, events=0)
    assert [stored.id for stored in store.state.events] == [1, 2, 3, 4, 5, 6]
    assert store.state.purged_through == 0

    async with InMemoryUnitOfWork(store) as uow:  # a relay that got through the first four
        await uow.events.mark_published(4)
        await uow.commit()
    await commit_events(store, 2)  # ids 7, 8: recent

    assert await purge(units, clock) == PurgeResult(notifications=0, entries=0, events=4)
    assert [stored.id for stored in store.state.events] == [5, 6, 7, 8]
    assert store.state.purged_through == 4


async def test_a_client_older_than_the_purge_must_resync(
    store: InMemoryStore, clock: FixedClock, publisher: RecordingPublisher, units: UnitsOfWork
) -> None:
    await commit_events(store, 5)  # ids 1..5
    clock.advance(days=DAYS)
    await commit_events(store, 3)  # ids 6..8, younger than the period at the purge
    await RelayEvents(lambda: InMemoryUnitOfWork(store), publisher)()
    clock.advance(hours=1)
    assert not await resync_needed(store, 2)

    assert (await purge(units, clock)).events == 5

    assert await resync_needed(store, 0)
    assert await resync_needed(store, 4)
    assert not await resync_needed(store, 5)  # it saw every purged event
    assert not await resync_needed(store, 7)
    events_since = EventsSince(InMemoryUnitOfWork(store))
    replayed = [stored.id async for stored in events_since(EventsSinceQuery("bob", 5))]
    assert replayed == [6, 7, 8]


async def test_the_purged_position_never_moves_back(
    store: InMemoryStore, clock: FixedClock, publisher: RecordingPublisher, units: UnitsOfWork
) -> None:
    # Two processes whose clocks disagree: event 1 is stamped later than event 2.
    clock.advance(days=10)
    await commit_events(store, 1)
    clock.advance(days=-10)
    await commit_events(store, 1)
    await RelayEvents(lambda: InMemoryUnitOfWork(store), publisher)()

    clock.advance(days=DAYS + 5)
    assert (await purge(units, clock)).events == 1
    assert [stored.id for stored in store.state.events] == [1]
    assert store.state.purged_through == 2

    clock.advance(days=10)
    assert (await purge(units, clock)).events == 1
    assert store.state.events == []
    assert store.state.purged_through == 2


@pytest.mark.parametrize("days", [0, -1, -90])
async def test_less_than_a_day_of_retention_is_refused_and_nothing_goes(
    given_users: Users,
    given_lead: GivenLead,
    clock: FixedClock,
    read: StoreReader,
    units: UnitsOfWork,
    days: int,
) -> None:
    await given_users("alice", "bob")
    kept = await given_lead("alice")
    clock.advance(days=1000)

    with pytest.raises(InvalidInput) as refused:
        await purge(units, clock, days=days)

    assert refused.value.field == "days"
    assert units.commits == 0
    assert await inbox_ids(read, "bob") == [kept]


async def test_a_period_longer_than_the_calendar_keeps_everything(
    given_users: Users,
    given_lead: GivenLead,
    clock: FixedClock,
    read: StoreReader,
    units: UnitsOfWork,
) -> None:
    await given_users("alice", "bob")
    kept = await given_lead("alice")

    for days in (800_000, 999_999_999, 10**12):
        assert await purge(units, clock, days=days) == PurgeResult(
            notifications=0, entries=0, events=0
        )

    assert await inbox_ids(read, "bob") == [kept]


async def test_an_empty_store_purges_nothing_in_one_transaction_each(
    clock: FixedClock, units: UnitsOfWork
) -> None:
    assert await purge(units, clock) == PurgeResult(notifications=0, entries=0, events=0)
    assert units.commits == 2


def test_a_batch_size_below_one_is_a_programming_error(
    units: UnitsOfWork, clock: FixedClock
) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        purge_with(units, clock, batch_size=0)
    with pytest.raises(ValueError, match="batch_entries"):
        purge_with(units, clock, batch_entries=0)


async def test_users_who_lose_an_unread_notification_are_told_their_new_count(
    given_users: Users,
    given_lead: GivenLead,
    mark_as_read: MarkAsRead,
    clock: FixedClock,
    store: InMemoryStore,
    publisher: RecordingPublisher,
) -> None:
    await given_users("alice", "bob", "carol")
    old = await given_lead("alice")
    await mark_as_read(MarkAsReadCommand("carol", str(old)))  # carol's copy is read: no change
    clock.advance(days=DAYS + 1)
    await given_lead("alice")  # bob's one unread notification after the purge
    publisher.published.clear()
    relay = RelayEvents(lambda: InMemoryUnitOfWork(store), publisher)

    await purge(UnitsOfWork(store), clock)
    await relay()

    assert publisher.published == [UnreadCountsChanged({"bob": 1}, {"bob": 1})]


async def test_users_who_lose_only_read_or_archived_notifications_are_told_nothing(
    given_users: Users,
    given_lead: GivenLead,
    mark_as_read: MarkAsRead,
    archive: ArchiveNotification,
    clock: FixedClock,
    store: InMemoryStore,
    publisher: RecordingPublisher,
) -> None:
    # Neither a read one nor an archived one (read or not) is in the counts: losing it changes
    # none of them.
    await given_users("alice", "bob", "carol", "dave")
    old = await given_lead("alice")
    await mark_as_read(MarkAsReadCommand("bob", str(old)))
    await archive(ArchiveNotificationCommand("carol", str(old)))
    clock.advance(days=DAYS + 1)
    publisher.published.clear()
    relay = RelayEvents(lambda: InMemoryUnitOfWork(store), publisher)

    await purge(UnitsOfWork(store), clock)
    await relay()

    assert publisher.published == [UnreadCountsChanged({"dave": 0}, {"dave": 0})]
