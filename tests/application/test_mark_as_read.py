"""MarkAsRead: the caller reads one of their own notifications, and only theirs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from adapters.memory import RecordingPublisher
from application.commands import MarkAsReadCommand
from application.notifications.mark_as_read import MarkAsRead
from domain.errors import InvalidInput, NotificationNotFound
from domain.events import NotificationUpdated, UnreadCountsChanged

if TYPE_CHECKING:
    from conftest import FixedClock, StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[UUID]]


async def test_reading_ones_own_notification(
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    first = await given_lead("alice")
    await given_lead("alice")
    read_at = clock.advance(minutes=5)

    entry = await mark_as_read(MarkAsReadCommand("bob", str(first)))

    assert (entry.notification.id, entry.user_id) == (first, "bob")
    assert (entry.is_read, entry.read_at, entry.updated_at) == (True, read_at, read_at)
    assert await read.entry("bob", first) == entry
    assert await read.unread("bob") == 1
    assert publisher.published == [
        NotificationUpdated(entry),
        UnreadCountsChanged({"bob": 1}, {"bob": 1}),
    ]


async def test_reading_leaves_the_other_recipients_unread(
    given_users: Users, given_lead: NewLead, mark_as_read: MarkAsRead, read: StoreReader
) -> None:
    await given_users("alice", "bob", "carol")
    notification_id = await given_lead("alice")

    await mark_as_read(MarkAsReadCommand("bob", str(notification_id)))

    carols = await read.entry("carol", notification_id)
    assert carols is not None
    assert carols.is_read is False
    assert await read.unread("carol") == 1


async def test_reading_twice_changes_nothing_the_second_time(
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    notification_id = await given_lead("alice")
    first = await mark_as_read(MarkAsReadCommand("bob", str(notification_id)))
    published = list(publisher.published)
    clock.advance(hours=1)

    again = await mark_as_read(MarkAsReadCommand("bob", str(notification_id)))

    assert again == first
    assert await read.entry("bob", notification_id) == first
    assert publisher.published == published


async def test_another_users_notification_is_not_found_and_stays_unread(
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    not_alices = await given_lead("alice")  # for bob and carol, never for alice, its actor
    before = read.snapshot()

    with pytest.raises(NotificationNotFound):
        await mark_as_read(MarkAsReadCommand("alice", str(not_alices)))

    assert read.snapshot() == before
    assert publisher.published == []


async def test_an_unknown_id_is_not_found(
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    await given_lead("alice")
    before = read.snapshot()

    with pytest.raises(NotificationNotFound):
        await mark_as_read(MarkAsReadCommand("bob", str(UUID(int=999))))

    assert read.snapshot() == before
    assert publisher.published == []


@pytest.mark.parametrize(
    "malformed", ["", "42", "not-a-uuid", "{00000000-0000-0000-0000-000000000001}"]
)
async def test_a_malformed_id_is_invalid_input(
    malformed: str,
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    await given_lead("alice")
    before = read.snapshot()

    with pytest.raises(InvalidInput) as caught:
        await mark_as_read(MarkAsReadCommand("bob", malformed))

    assert caught.value.field == "id"
    assert read.snapshot() == before
    assert publisher.published == []


async def test_an_uppercase_spelling_of_a_real_id_is_invalid_input(
    given_users: Users, given_lead: NewLead, mark_as_read: MarkAsRead, read: StoreReader
) -> None:
    await given_users("alice", "bob")
    notification_id = await given_lead("alice")

    with pytest.raises(InvalidInput):
        await mark_as_read(MarkAsReadCommand("bob", str(notification_id).upper()))

    assert await read.unread("bob") == 1
