"""Delivery on the in-memory adapters: the relay publishes the outbox, EventsSince replays it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork, RecordingPublisher
from application.commands import (
    AddCommentCommand,
    CreateLeadCommand,
    DeleteNotificationCommand,
    EventsSinceQuery,
    MarkAllAsReadCommand,
    MarkAsReadCommand,
    UpdateLeadScoreCommand,
)
from application.comments.add_comment import AddComment
from application.delivery.events_since import PAGE_SIZE, EventsSince
from application.delivery.relay_events import InOrder, RelayEvents
from application.leads.create_lead import CreateLead
from application.leads.update_lead_score import UpdateLeadScore
from application.notifications.delete_notification import DeleteNotification
from application.notifications.mark_all_as_read import MarkAllAsRead
from application.notifications.mark_as_read import MarkAsRead
from builders import a_notification
from domain.events import (
    InboxEvent,
    NotificationCreated,
    NotificationDeleted,
    NotificationsBulkUpdated,
    NotificationUpdated,
    StoredEvent,
    UnreadCountsChanged,
)
from domain.notifications import InboxEntry

if TYPE_CHECKING:
    from conftest import FixedClock, StoreReader

Users = Callable[..., Awaitable[None]]

AT = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


class PublisherDown(Exception):
    """What the flaky publisher raises: Redis, or the socket server, went away."""


class FlakyPublisher(RecordingPublisher):
    """Records each batch it publishes; raises while `down`, once it has published
    `batches_before_down` batches, or right after publishing while `crash_after_publishing`
    (the relay dies before it could mark the batch published)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.batches_before_down: int | None = None
        self.crash_after_publishing = False
        self.batches: list[list[int]] = []

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        limit = self.batches_before_down
        if self.down or (limit is not None and len(self.batches) >= limit):
            raise PublisherDown("the publisher went away")
        await super().publish(events)
        self.batches.append([stored.id for stored in events])
        if self.crash_after_publishing:
            raise PublisherDown("the relay died before marking the batch published")


@pytest.fixture
def flaky() -> FlakyPublisher:
    return FlakyPublisher()


def relay_to(
    store: InMemoryStore, publisher: RecordingPublisher, batch_size: int = 500
) -> RelayEvents:
    return RelayEvents(lambda: InMemoryUnitOfWork(store), publisher, batch_size)


async def commit_events(store: InMemoryStore, *events: InboxEvent) -> None:
    """One unit of work that writes these events and commits, with no relay to wake."""
    async with InMemoryUnitOfWork(store) as uow:
        await uow.events.add(events)
        await uow.commit()


def counts_of(user_id: str, count: int) -> NotificationsBulkUpdated:
    return NotificationsBulkUpdated(user_id, count)


async def replay(store: InMemoryStore, user_id: str, last_event_id: int) -> list[StoredEvent]:
    events_since = EventsSince(InMemoryUnitOfWork(store))
    return [stored async for stored in events_since(EventsSinceQuery(user_id, last_event_id))]


async def resync_needed(store: InMemoryStore, last_event_id: int) -> bool:
    events_since = EventsSince(InMemoryUnitOfWork(store))
    return await events_since.resync_needed(EventsSinceQuery("bob", last_event_id))


def purge_through(store: InMemoryStore, event_id: int) -> None:
    """What retention does to the committed state: the history up to this id is gone."""
    state = store.state
    state.events = [stored for stored in state.events if stored.id > event_id]
    state.purged_through = event_id


# RelayEvents


async def test_successive_use_cases_publish_strictly_increasing_ids(
    given_users: Users,
    create_lead: CreateLead,
    add_comment: AddComment,
    mark_as_read: MarkAsRead,
    mark_all_as_read: MarkAllAsRead,
    delete_notification: DeleteNotification,
    update_lead_score: UpdateLeadScore,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    lead = await create_lead(CreateLeadCommand(actor_id="alice", name="Acme"))
    clock.advance(minutes=1)
    await add_comment(AddCommentCommand("bob", str(lead.id), "Hot lead!"))
    clock.advance(minutes=1)
    (bobs,) = await read.inbox("bob")
    await mark_as_read(MarkAsReadCommand("bob", str(bobs.notification.id)))
    clock.advance(minutes=1)
    await mark_all_as_read(MarkAllAsReadCommand("carol"))
    clock.advance(minutes=1)
    (alices,) = await read.inbox("alice")
    await delete_notification(DeleteNotificationCommand("alice", str(alices.notification.id)))
    clock.advance(minutes=1)
    await update_lead_score(UpdateLeadScoreCommand("bob", str(lead.id), 80))

    ids = publisher.event_ids
    # Two events per use case, numbered in the order of their commits.
    assert ids == list(range(1, 13))
    assert len(publisher.published) == len(ids)
    for user_id in ("alice", "bob", "carol"):
        users_ids = [
            event_id
            for event_id, event in zip(ids, publisher.published, strict=True)
            if user_id in event.audience
        ]
        assert users_ids, user_id
        assert users_ids == sorted(set(users_ids)), user_id


async def test_the_relay_publishes_what_was_committed_in_id_order(
    store: InMemoryStore, publisher: RecordingPublisher
) -> None:
    await commit_events(store, counts_of("bob", 1), counts_of("carol", 2))
    await commit_events(store, counts_of("bob", 3))

    assert await relay_to(store, publisher)() == 3

    assert publisher.event_ids == [1, 2, 3]
    assert publisher.published == [counts_of("bob", 1), counts_of("carol", 2), counts_of("bob", 3)]


async def test_a_failed_publication_leaves_the_events_for_the_next_run(
    store: InMemoryStore, flaky: FlakyPublisher
) -> None:
    relay = relay_to(store, flaky)
    await commit_events(store, counts_of("bob", 1), counts_of("bob", 2))
    flaky.down = True

    with pytest.raises(PublisherDown):
        await relay()

    assert flaky.event_ids == []
    assert store.state.published_through == 0
    await commit_events(store, counts_of("bob", 3))
    flaky.down = False

    assert await relay() == 3
    assert flaky.event_ids == [1, 2, 3]
    assert await relay() == 0
    assert flaky.event_ids == [1, 2, 3]


async def test_a_relay_that_dies_after_publishing_publishes_again_at_least_once(
    store: InMemoryStore, flaky: FlakyPublisher
) -> None:
    relay = relay_to(store, flaky)
    await commit_events(store, counts_of("bob", 1), counts_of("bob", 2))
    flaky.crash_after_publishing = True

    with pytest.raises(PublisherDown):
        await relay()
    flaky.crash_after_publishing = False
    assert await relay() == 2

    # Sent twice rather than lost: clients drop the repeated eventIds.
    assert flaky.event_ids == [1, 2, 1, 2]
    assert await relay() == 0


async def test_a_run_with_nothing_to_publish_publishes_nothing(
    store: InMemoryStore, flaky: FlakyPublisher
) -> None:
    relay = relay_to(store, flaky)

    assert await relay() == 0
    assert flaky.batches == []

    await commit_events(store, counts_of("bob", 1))
    assert await relay() == 1
    assert await relay() == 0
    assert flaky.batches == [[1]]


async def test_a_unit_of_work_that_writes_no_events_leaves_nothing_to_publish(
    store: InMemoryStore, flaky: FlakyPublisher
) -> None:
    async with InMemoryUnitOfWork(store) as uow:
        await uow.events.add([])
        await uow.commit()

    assert await relay_to(store, flaky)() == 0
    assert flaky.batches == []


async def test_more_events_than_a_batch_are_all_published_in_batches_in_order(
    store: InMemoryStore, flaky: FlakyPublisher
) -> None:
    await commit_events(store, *(counts_of("bob", count) for count in range(1, 8)))
    await commit_events(store, *(counts_of("carol", count) for count in range(1, 4)))

    assert await relay_to(store, flaky, batch_size=3)() == 10

    assert flaky.batches == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]
    assert flaky.published == [counts_of("bob", count) for count in range(1, 8)] + [
        counts_of("carol", count) for count in range(1, 4)
    ]


async def test_a_batch_that_fails_midway_keeps_the_batches_before_it_published(
    store: InMemoryStore, flaky: FlakyPublisher
) -> None:
    await commit_events(store, *(counts_of("bob", count) for count in range(1, 6)))
    relay = relay_to(store, flaky, batch_size=2)
    flaky.batches_before_down = 1

    with pytest.raises(PublisherDown):
        await relay()
    assert store.state.published_through == 2

    flaky.batches_before_down = None
    assert await relay() == 3
    assert flaky.batches == [[1, 2], [3, 4], [5]]


async def test_a_run_ends_with_the_unit_of_work_that_published_everything_waiting(
    store: InMemoryStore, flaky: FlakyPublisher
) -> None:
    await commit_events(store, counts_of("bob", 1), counts_of("bob", 2))
    opened: list[InMemoryUnitOfWork] = []

    def uow() -> InMemoryUnitOfWork:
        opened.append(InMemoryUnitOfWork(store))
        return opened[-1]

    relay = RelayEvents(uow, flaky)

    assert await relay() == 2
    # No unit of work after it only to find nothing: each one is a database transaction.
    assert len(opened) == 1
    assert relay.waiting == 0


async def test_a_run_with_nothing_to_publish_has_nothing_waiting(
    store: InMemoryStore, flaky: FlakyPublisher
) -> None:
    relay = relay_to(store, flaky)
    assert relay.waiting is None  # not run yet

    assert await relay() == 0
    assert relay.waiting == 0


# InOrder: a commit's events published at once, when their turn has come


def stored(*ids: int) -> list[StoredEvent]:
    return [StoredEvent(event_id, counts_of("bob", event_id)) for event_id in ids]


async def test_committed_events_wait_for_the_relay_to_tell_what_was_published_before(
    flaky: FlakyPublisher,
) -> None:
    in_order = InOrder(flaky)
    await in_order.committed(stored(3))
    await in_order.committed(stored(4, 5))
    assert flaky.batches == []

    await in_order.publish(stored(1, 2, 3))  # the relay's batch, read back from the outbox

    assert flaky.batches == [[1, 2, 3], [4, 5]]
    assert in_order.through == 5


async def test_a_commit_whose_turn_has_come_is_published_at_once(flaky: FlakyPublisher) -> None:
    in_order = InOrder(flaky)
    await in_order.publish(stored(1))

    await in_order.committed(stored(2, 3))
    await in_order.committed(stored(4))

    assert flaky.batches == [[1], [2, 3], [4]]
    # The relay reads them back later, to mark them: none is published again.
    await in_order.publish(stored(2, 3, 4))
    assert flaky.batches == [[1], [2, 3], [4]]


async def test_a_commit_that_ended_before_an_earlier_one_waits_for_it(
    flaky: FlakyPublisher,
) -> None:
    in_order = InOrder(flaky)
    await in_order.publish(stored(1))

    await in_order.committed(stored(3))
    assert flaky.batches == [[1]]
    await in_order.committed(stored(2))

    assert flaky.batches == [[1], [2, 3]]


async def test_an_event_committed_elsewhere_is_published_by_the_relay_before_those_after_it(
    flaky: FlakyPublisher,
) -> None:
    in_order = InOrder(flaky)
    await in_order.publish(stored(1))
    await in_order.committed(stored(3))  # 2 was committed by another process

    await in_order.publish(stored(2, 3))

    assert flaky.batches == [[1], [2, 3]]
    await in_order.committed(stored(4))
    assert flaky.batches == [[1], [2, 3], [4]]


async def test_what_failed_to_be_published_is_published_again_in_full(
    flaky: FlakyPublisher,
) -> None:
    in_order = InOrder(flaky)
    await in_order.publish(stored(1))
    flaky.down = True

    with pytest.raises(PublisherDown):
        await in_order.committed(stored(2))  # at commit
    with pytest.raises(PublisherDown):
        await in_order.publish(stored(2, 3))  # the relay's run

    flaky.down = False
    assert in_order.through == 1
    await in_order.publish(stored(2, 3))  # the relay's next run: nothing was marked
    assert flaky.batches == [[1], [2, 3]]


async def test_a_batch_is_out_even_when_what_waited_for_it_fails_to_go(
    flaky: FlakyPublisher,
) -> None:
    in_order = InOrder(flaky)
    await in_order.committed(stored(2))
    flaky.batches_before_down = 1

    await in_order.publish(stored(1))  # the relay marks it: the failure after it is not its own

    assert in_order.through == 1
    flaky.batches_before_down = None
    await in_order.publish(stored(2))  # the relay's next run
    assert flaky.batches == [[1], [2]]


async def test_the_relay_marks_what_its_process_published_at_commit(
    store: InMemoryStore, flaky: FlakyPublisher
) -> None:
    in_order = InOrder(flaky)
    relay = RelayEvents(lambda: InMemoryUnitOfWork(store), in_order)
    assert await relay() == 0
    await commit_events(store, counts_of("bob", 1))
    assert await relay() == 1

    async with InMemoryUnitOfWork(store, relay=in_order) as uow:  # what the relay is handed
        await uow.events.add([counts_of("bob", 2), counts_of("bob", 3)])
        await uow.commit()

    assert flaky.batches == [[1], [2, 3]]
    assert store.state.published_through == 1
    assert await relay() == 2
    assert store.state.published_through == 3
    assert flaky.batches == [[1], [2, 3]]


# EventsSince: the replay for a client that comes back


async def test_replay_gives_only_the_users_events_after_the_last_one_in_id_order(
    store: InMemoryStore,
) -> None:
    notification = a_notification(AT)
    carols = InboxEntry.deliver(notification, "carol")
    carols.mark_read(notification.created_at)
    created = NotificationCreated(notification, ("bob", "carol"))
    first_counts = UnreadCountsChanged({"bob": 1, "carol": 1})
    read = NotificationUpdated(carols)
    everyones_counts = UnreadCountsChanged({"alice": 0, "bob": 0, "carol": 0})
    await commit_events(store, created, first_counts)
    await commit_events(store, read)
    await commit_events(store, counts_of("bob", 1), everyones_counts)
    await commit_events(store, NotificationDeleted("carol", notification.id))
    await commit_events(store, NotificationDeleted("bob", notification.id))

    assert await replay(store, "bob", 0) == [
        StoredEvent(1, created),
        StoredEvent(2, first_counts),
        StoredEvent(4, counts_of("bob", 1)),
        StoredEvent(5, everyones_counts),
        StoredEvent(7, NotificationDeleted("bob", notification.id)),
    ]
    assert await replay(store, "bob", 2) == [
        StoredEvent(4, counts_of("bob", 1)),
        StoredEvent(5, everyones_counts),
        StoredEvent(7, NotificationDeleted("bob", notification.id)),
    ]
    assert [stored.id for stored in await replay(store, "carol", 1)] == [2, 3, 5, 6]
    assert [stored.id for stored in await replay(store, "alice", 0)] == [5]
    assert await replay(store, "bob", 7) == []
    assert await replay(store, "dave", 0) == []


@pytest.mark.parametrize(
    "count", [PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1, 2 * PAGE_SIZE, 2 * PAGE_SIZE + 1]
)
async def test_replay_walks_every_page_of_a_long_history(store: InMemoryStore, count: int) -> None:
    # Bob's events between carol's, so that pages of bob's skip ids.
    events: list[InboxEvent] = []
    for number in range(1, count + 1):
        events += [counts_of("bob", number), counts_of("carol", number)]
    await commit_events(store, *events)

    replayed = await replay(store, "bob", 0)

    assert replayed == [
        StoredEvent(2 * number - 1, counts_of("bob", number)) for number in range(1, count + 1)
    ]
    resumed = await replay(store, "bob", replayed[PAGE_SIZE // 2].id)
    assert resumed == replayed[PAGE_SIZE // 2 + 1 :]


async def test_replay_after_a_purge_starts_at_the_first_retained_event(
    store: InMemoryStore,
) -> None:
    await commit_events(store, *(counts_of("bob", number) for number in range(1, 11)))
    purge_through(store, 4)

    assert [stored.id for stored in await replay(store, "bob", 4)] == [5, 6, 7, 8, 9, 10]
    assert [stored.id for stored in await replay(store, "bob", 7)] == [8, 9, 10]


async def test_an_empty_log_needs_no_resync_from_nothing(store: InMemoryStore) -> None:
    assert await resync_needed(store, 0) is False
    assert await resync_needed(store, 1) is True


@pytest.mark.parametrize(
    ("last_event_id", "needed"),
    [
        pytest.param(0, True, id="before-the-history"),
        pytest.param(3, True, id="one-before-the-purged"),
        pytest.param(4, False, id="the-last-purged"),
        pytest.param(5, False, id="the-first-retained"),
        pytest.param(7, False, id="within"),
        pytest.param(10, False, id="the-last"),
        pytest.param(11, True, id="one-after-the-last"),
        pytest.param(10_000, True, id="another-databases"),
    ],
)
async def test_resync_is_needed_outside_the_retained_history(
    store: InMemoryStore, last_event_id: int, needed: bool
) -> None:
    # Retained: (4, 10]. A client that saw 4 misses nothing that was purged.
    await commit_events(store, *(counts_of("bob", number) for number in range(1, 11)))
    purge_through(store, 4)

    assert await resync_needed(store, last_event_id) is needed


async def test_no_resync_is_needed_before_any_purge(store: InMemoryStore) -> None:
    await commit_events(store, counts_of("bob", 1), counts_of("bob", 2))

    assert [await resync_needed(store, last) for last in (0, 1, 2, 3)] == [
        False,
        False,
        False,
        True,
    ]
