"""DeleteNotification: the caller removes a notification from their own inbox, and only there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from adapters.memory import RecordingPublisher
from application.commands import DeleteNotificationCommand, MarkAsReadCommand
from application.notifications.delete_notification import DeleteNotification
from application.notifications.mark_as_read import MarkAsRead
from domain.errors import InvalidInput, NotificationNotFound
from domain.events import NotificationDeleted, UnreadCountsChanged

if TYPE_CHECKING:
    from conftest import StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[UUID]]


async def test_deleting_an_unread_one_tells_the_new_unread_count(
    given_users: Users,
    given_lead: NewLead,
    delete_notification: DeleteNotification,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    kept = await given_lead("alice", "A")
    deleted = await given_lead("alice", "B")

    assert await delete_notification(DeleteNotificationCommand("bob", str(deleted))) is True

    assert [entry.notification.id for entry in await read.inbox("bob")] == [kept]
    assert await read.unread("bob") == 1
    assert publisher.published == [
        NotificationDeleted("bob", deleted),
        UnreadCountsChanged({"bob": 1}, {"bob": 1}),
    ]


async def test_deleting_a_read_one_leaves_the_count_alone(
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    delete_notification: DeleteNotification,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    notification_id = await given_lead("alice")
    await mark_as_read(MarkAsReadCommand("bob", str(notification_id)))
    publisher.published.clear()

    await delete_notification(DeleteNotificationCommand("bob", str(notification_id)))

    assert await read.inbox("bob") == []
    assert publisher.published == [NotificationDeleted("bob", notification_id)]


@pytest.mark.parametrize("read_first", [False, True], ids=["deleted unread", "deleted read"])
async def test_the_other_recipient_keeps_their_copy_and_its_read_state(
    read_first: bool,
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    delete_notification: DeleteNotification,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    notification_id = await given_lead("alice")
    if read_first:
        await mark_as_read(MarkAsReadCommand("bob", str(notification_id)))
    carols = await read.entry("carol", notification_id)

    await delete_notification(DeleteNotificationCommand("bob", str(notification_id)))

    assert await read.entry("bob", notification_id) is None
    assert carols is not None
    assert carols.is_read is False
    assert await read.entry("carol", notification_id) == carols
    assert await read.unread("carol") == 1


async def test_deleting_twice_is_not_found_the_second_time(
    given_users: Users,
    given_lead: NewLead,
    delete_notification: DeleteNotification,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    notification_id = await given_lead("alice")
    await delete_notification(DeleteNotificationCommand("bob", str(notification_id)))
    publisher.published.clear()
    before = read.snapshot()

    with pytest.raises(NotificationNotFound):
        await delete_notification(DeleteNotificationCommand("bob", str(notification_id)))

    assert read.snapshot() == before
    assert publisher.published == []


@pytest.mark.parametrize("whose", ["another user's", "unknown"])
async def test_a_notification_not_in_the_callers_inbox_is_not_found(
    whose: str,
    given_users: Users,
    given_lead: NewLead,
    delete_notification: DeleteNotification,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    not_alices = await given_lead("alice")  # for bob and carol, never for alice, its actor
    target = not_alices if whose == "another user's" else UUID(int=999)
    before = read.snapshot()

    with pytest.raises(NotificationNotFound):
        await delete_notification(DeleteNotificationCommand("alice", str(target)))

    assert read.snapshot() == before
    assert publisher.published == []


@pytest.mark.parametrize("malformed", ["", "not-a-uuid", "00000000000040000a00000000000001"])
async def test_a_malformed_id_is_invalid_input(
    malformed: str,
    delete_notification: DeleteNotification,
    publisher: RecordingPublisher,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await delete_notification(DeleteNotificationCommand("bob", malformed))

    assert caught.value.field == "id"
    assert publisher.published == []
