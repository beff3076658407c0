"""MarkAsUnread: the caller keeps a read notification to come back to; it stays seen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from adapters.memory import RecordingPublisher
from application.commands import MarkAsReadCommand, MarkAsUnreadCommand
from application.notifications.mark_as_read import MarkAsRead
from application.notifications.mark_as_unread import MarkAsUnread
from domain.errors import InvalidInput, NotificationNotFound
from domain.events import NotificationUpdated, UnreadCountsChanged

if TYPE_CHECKING:
    from conftest import FixedClock, StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[UUID]]


async def test_a_read_notification_becomes_unread_and_stays_seen(
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    mark_as_unread: MarkAsUnread,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    notification_id = await given_lead("alice")
    await given_lead("alice")
    read_at = clock.advance(minutes=1)
    await mark_as_read(MarkAsReadCommand("bob", str(notification_id)))
    publisher.published.clear()
    now = clock.advance(minutes=1)

    entry = await mark_as_unread(MarkAsUnreadCommand("bob", str(notification_id)))

    assert (entry.read_at, entry.seen_at, entry.updated_at) == (None, read_at, now)
    assert await read.entry("bob", notification_id) == entry
    assert await read.unread("bob") == 2
    # The other one was never seen: the unseen count stays 1.
    assert publisher.published == [
        NotificationUpdated(entry),
        UnreadCountsChanged({"bob": 2}, {"bob": 1}),
    ]


async def test_an_unread_notification_is_left_as_it_is_and_nobody_is_told(
    given_users: Users,
    given_lead: NewLead,
    mark_as_unread: MarkAsUnread,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    notification_id = await given_lead("alice")
    before = read.snapshot()
    clock.advance(hours=1)

    entry = await mark_as_unread(MarkAsUnreadCommand("bob", str(notification_id)))

    assert entry.read_at is None
    assert entry.seen_at is None
    assert read.snapshot() == before
    assert publisher.published == []


async def test_it_is_unread_for_the_caller_alone(
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    mark_as_unread: MarkAsUnread,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    notification_id = await given_lead("alice")
    for user in ("bob", "carol"):
        await mark_as_read(MarkAsReadCommand(user, str(notification_id)))
    publisher.published.clear()

    await mark_as_unread(MarkAsUnreadCommand("bob", str(notification_id)))

    carols = await read.entry("carol", notification_id)
    assert carols is not None
    assert carols.is_read
    assert [event.audience for event in publisher.published] == [("bob",), ("bob",)]


async def test_another_users_notification_is_not_found(
    given_users: Users,
    given_lead: NewLead,
    mark_as_unread: MarkAsUnread,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    not_alices = await given_lead("alice")
    before = read.snapshot()

    with pytest.raises(NotificationNotFound):
        await mark_as_unread(MarkAsUnreadCommand("alice", str(not_alices)))
    with pytest.raises(NotificationNotFound):
        await mark_as_unread(MarkAsUnreadCommand("bob", str(UUID(int=999))))

    assert read.snapshot() == before
    assert publisher.published == []


@pytest.mark.parametrize("malformed", ["", "42", "not-a-uuid"])
async def test_a_malformed_id_is_invalid_input(
    malformed: str, mark_as_unread: MarkAsUnread, publisher: RecordingPublisher
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await mark_as_unread(MarkAsUnreadCommand("bob", malformed))

    assert caught.value.field == "id"
    assert publisher.published == []
