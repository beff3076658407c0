"""ConfirmDelivery: the user's clients received every new notification up to an event id;
cumulative, set once, and told to nobody."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from adapters.memory import RecordingPublisher
from application.commands import ConfirmDeliveryCommand, CreateLeadCommand
from application.leads.create_lead import CreateLead
from application.notifications.confirm_delivery import ConfirmDelivery
from domain.errors import InvalidInput
from domain.events import NotificationCreated

if TYPE_CHECKING:
    from conftest import CountingUnitOfWork, FixedClock, StoreReader

Users = Callable[..., Awaitable[None]]
Announce = Callable[[str, str], Awaitable[tuple[UUID, int]]]


@pytest.fixture
def announce(create_lead: CreateLead, publisher: RecordingPublisher, clock: FixedClock) -> Announce:
    """Creates a lead a minute on; returns its notification's id and the id of the event that
    told of it."""

    async def given(actor_id: str, name: str) -> tuple[UUID, int]:
        clock.advance(minutes=1)
        published = len(publisher.published)
        await create_lead(CreateLeadCommand(actor_id=actor_id, name=name))
        told = list(zip(publisher.published, publisher.event_ids, strict=True))[published:]
        [(event, event_id)] = [pair for pair in told if isinstance(pair[0], NotificationCreated)]
        assert isinstance(event, NotificationCreated)
        return event.notification.id, event_id

    return given


async def delivered(read: StoreReader, user_id: str, *notification_ids: UUID) -> list[object]:
    found = []
    for notification_id in notification_ids:
        entry = await read.entry(user_id, notification_id)
        assert entry is not None
        found.append(entry.delivered_at)
    return found


async def test_delivers_up_to_the_given_event_and_no_further(
    given_users: Users,
    announce: Announce,
    confirm_delivery: ConfirmDelivery,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    (a, _), (b, through), (c, _) = [await announce("alice", name) for name in "ABC"]
    publisher.published.clear()
    now = clock.advance(seconds=5)

    assert await confirm_delivery(ConfirmDeliveryCommand("bob", through)) == 2

    assert await delivered(read, "bob", a, b, c) == [now, now, None]
    assert publisher.published == []  # a confirmation sends no event


async def test_confirming_again_or_less_changes_nothing_and_the_time_stays_the_first(
    given_users: Users,
    announce: Announce,
    confirm_delivery: ConfirmDelivery,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    (a, first), (b, second) = [await announce("alice", name) for name in "AB"]
    at = clock.advance(seconds=5)
    assert await confirm_delivery(ConfirmDeliveryCommand("bob", second)) == 2
    before = read.snapshot()
    clock.advance(minutes=5)

    assert await confirm_delivery(ConfirmDeliveryCommand("bob", second)) == 0
    assert await confirm_delivery(ConfirmDeliveryCommand("bob", first)) == 0
    assert await confirm_delivery(ConfirmDeliveryCommand("bob", 0)) == 0

    assert read.snapshot() == before
    assert await delivered(read, "bob", a, b) == [at, at]


async def test_confirmations_add_up(
    given_users: Users,
    announce: Announce,
    confirm_delivery: ConfirmDelivery,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    a, first = await announce("alice", "A")
    first_at = clock.advance(seconds=5)
    assert await confirm_delivery(ConfirmDeliveryCommand("bob", first)) == 1
    b, _ = await announce("alice", "B")
    c, third = await announce("alice", "C")
    later = clock.advance(seconds=5)

    # A confirmation from far ahead (another tab's) takes in everything before it.
    assert await confirm_delivery(ConfirmDeliveryCommand("bob", third + 1000)) == 2

    assert await delivered(read, "bob", a, b, c) == [first_at, later, later]


async def test_one_users_confirmation_delivers_nothing_of_anothers(
    given_users: Users,
    announce: Announce,
    confirm_delivery: ConfirmDelivery,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    notification_id, event_id = await announce("alice", "A")

    assert await confirm_delivery(ConfirmDeliveryCommand("bob", event_id)) == 1
    # Alice, the actor, holds nothing; what she confirms touches no one else's.
    assert await confirm_delivery(ConfirmDeliveryCommand("alice", event_id)) == 0

    assert await delivered(read, "carol", notification_id) == [None]


async def test_an_empty_inbox_confirms_nothing(confirm_delivery: ConfirmDelivery) -> None:
    assert await confirm_delivery(ConfirmDeliveryCommand("bob", 10)) == 0


async def test_a_negative_event_id_is_invalid_input(
    given_users: Users,
    announce: Announce,
    confirm_delivery: ConfirmDelivery,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    await announce("alice", "A")
    before = read.snapshot()

    with pytest.raises(InvalidInput):
        await confirm_delivery(ConfirmDeliveryCommand("bob", -1))

    assert read.snapshot() == before


async def test_many_users_confirm_at_once_each_up_to_their_own_event(
    given_users: Users,
    announce: Announce,
    counting_uow: CountingUnitOfWork,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol", "dave")
    (a, first), (b, second) = [await announce("alice", name) for name in "AB"]
    now = clock.advance(seconds=5)
    confirm_delivery = ConfirmDelivery(counting_uow, clock)

    # A user named twice counts at their highest; a negative one anywhere is refused whole.
    with pytest.raises(InvalidInput):
        await confirm_delivery.all(
            [ConfirmDeliveryCommand("bob", first)] * 2 + [ConfirmDeliveryCommand("carol", -1)]
        )
    assert await delivered(read, "bob", a, b) == [None, None]
    commands = [
        ConfirmDeliveryCommand("bob", first),
        ConfirmDeliveryCommand("carol", first),
        ConfirmDeliveryCommand("carol", second),
        ConfirmDeliveryCommand("carol", first),
    ]
    await confirm_delivery.all(commands)
    assert counting_uow.commits == 1  # every user's in one unit of work
    await confirm_delivery.all([])
    assert counting_uow.commits == 1

    assert await delivered(read, "bob", a, b) == [now, None]
    assert await delivered(read, "carol", a, b) == [now, now]
    assert await delivered(read, "dave", a, b) == [None, None]
