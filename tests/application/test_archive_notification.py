"""ArchiveNotification and UnarchiveNotification: a notification leaves the caller's lists and
counts, and comes back as it was."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from adapters.memory import RecordingPublisher
from application.commands import (
    ArchiveNotificationCommand,
    InboxCountsQuery,
    ListNotificationsQuery,
    MarkAsReadCommand,
    NotificationFeedQuery,
    UnarchiveNotificationCommand,
)
from application.notifications.archive_notification import (
    ArchiveNotification,
    UnarchiveNotification,
)
from application.notifications.inbox_counts import GetInboxCounts
from application.notifications.list_notifications import ListNotifications
from application.notifications.mark_as_read import MarkAsRead
from application.notifications.notification_feed import NotificationFeed
from domain.errors import InvalidInput, NotificationNotFound
from domain.events import NotificationUpdated, UnreadCountsChanged
from domain.notifications import InboxCounts

if TYPE_CHECKING:
    from conftest import FixedClock, StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[UUID]]


async def test_archiving_an_unread_one_takes_it_out_of_the_list_and_the_counts(
    given_users: Users,
    given_lead: NewLead,
    archive: ArchiveNotification,
    list_notifications: ListNotifications,
    inbox_counts: GetInboxCounts,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    kept = await given_lead("alice", "A")
    archived = await given_lead("alice", "B")
    now = clock.advance(minutes=1)

    entry = await archive(ArchiveNotificationCommand("bob", str(archived)))

    assert (entry.archived_at, entry.updated_at) == (now, now)
    assert (entry.read_at, entry.seen_at) == (None, None)
    assert await read.entry("bob", archived) == entry
    listed = await list_notifications(ListNotificationsQuery("bob"))
    assert [listed_entry.notification.id for listed_entry in listed] == [kept]
    assert await inbox_counts(InboxCountsQuery("bob")) == InboxCounts(1, 1, 1)
    assert await read.unread("bob") == 1
    assert publisher.published == [
        NotificationUpdated(entry),
        UnreadCountsChanged({"bob": 1}, {"bob": 1}),
    ]


async def test_archiving_a_read_one_moves_no_count(
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    archive: ArchiveNotification,
    publisher: RecordingPublisher,
    clock: FixedClock,
) -> None:
    await given_users("alice", "bob")
    notification_id = await given_lead("alice")
    read_at = clock.advance(minutes=1)
    await mark_as_read(MarkAsReadCommand("bob", str(notification_id)))
    publisher.published.clear()
    clock.advance(minutes=1)

    entry = await archive(ArchiveNotificationCommand("bob", str(notification_id)))

    assert (entry.read_at, entry.seen_at) == (read_at, read_at)
    assert publisher.published == [NotificationUpdated(entry)]


async def test_archiving_twice_changes_nothing_the_second_time(
    given_users: Users,
    given_lead: NewLead,
    archive: ArchiveNotification,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    notification_id = await given_lead("alice")
    first = await archive(ArchiveNotificationCommand("bob", str(notification_id)))
    publisher.published.clear()
    before = read.snapshot()
    clock.advance(hours=1)

    again = await archive(ArchiveNotificationCommand("bob", str(notification_id)))

    assert again == first
    assert read.snapshot() == before
    assert publisher.published == []


async def test_unarchiving_brings_it_back_as_it_was(
    given_users: Users,
    given_lead: NewLead,
    archive: ArchiveNotification,
    unarchive: UnarchiveNotification,
    list_notifications: ListNotifications,
    inbox_counts: GetInboxCounts,
    publisher: RecordingPublisher,
    clock: FixedClock,
) -> None:
    await given_users("alice", "bob")
    notification_id = await given_lead("alice")
    await archive(ArchiveNotificationCommand("bob", str(notification_id)))
    publisher.published.clear()
    now = clock.advance(minutes=1)

    entry = await unarchive(UnarchiveNotificationCommand("bob", str(notification_id)))

    assert (entry.archived_at, entry.read_at, entry.seen_at, entry.updated_at) == (
        None,
        None,
        None,
        now,
    )
    listed = await list_notifications(ListNotificationsQuery("bob"))
    assert [listed_entry.notification.id for listed_entry in listed] == [notification_id]
    assert await inbox_counts(InboxCountsQuery("bob")) == InboxCounts(1, 1, 1)
    assert publisher.published == [
        NotificationUpdated(entry),
        UnreadCountsChanged({"bob": 1}, {"bob": 1}),
    ]


async def test_unarchiving_a_read_one_moves_no_count(
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    archive: ArchiveNotification,
    unarchive: UnarchiveNotification,
    publisher: RecordingPublisher,
) -> None:
    await given_users("alice", "bob")
    notification_id = await given_lead("alice")
    await mark_as_read(MarkAsReadCommand("bob", str(notification_id)))
    await archive(ArchiveNotificationCommand("bob", str(notification_id)))
    publisher.published.clear()

    entry = await unarchive(UnarchiveNotificationCommand("bob", str(notification_id)))

    assert entry.is_read
    assert publisher.published == [NotificationUpdated(entry)]


async def test_unarchiving_one_not_archived_changes_nothing(
    given_users: Users,
    given_lead: NewLead,
    unarchive: UnarchiveNotification,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    notification_id = await given_lead("alice")
    before = read.snapshot()

    entry = await unarchive(UnarchiveNotificationCommand("bob", str(notification_id)))

    assert entry.archived_at is None
    assert read.snapshot() == before
    assert publisher.published == []


async def test_the_archived_view_lists_only_archived_ones(
    given_users: Users,
    given_lead: NewLead,
    archive: ArchiveNotification,
    notification_feed: NotificationFeed,
) -> None:
    await given_users("alice", "bob")
    first = await given_lead("alice", "A")
    await given_lead("alice", "B")
    third = await given_lead("alice", "C")
    for notification_id in (first, third):
        await archive(ArchiveNotificationCommand("bob", str(notification_id)))

    archived = await notification_feed(NotificationFeedQuery("bob", archived=True))
    default = await notification_feed(NotificationFeedQuery("bob"))

    assert [edge.entry.notification.id for edge in archived.edges] == [third, first]
    assert all(edge.entry.archived_at is not None for edge in archived.edges)
    assert len(default.edges) == 1
    assert default.edges[0].entry.archived_at is None


async def test_reading_an_archived_one_moves_no_count(
    given_users: Users,
    given_lead: NewLead,
    archive: ArchiveNotification,
    mark_as_read: MarkAsRead,
    publisher: RecordingPublisher,
) -> None:
    await given_users("alice", "bob")
    notification_id = await given_lead("alice")
    await archive(ArchiveNotificationCommand("bob", str(notification_id)))
    publisher.published.clear()

    entry = await mark_as_read(MarkAsReadCommand("bob", str(notification_id)))

    assert entry.is_read
    assert entry.archived_at is not None
    assert publisher.published == [NotificationUpdated(entry)]


@pytest.mark.parametrize("use_case", ["archive", "unarchive"])
async def test_another_users_or_an_unknown_notification_is_not_found(
    use_case: str,
    request: pytest.FixtureRequest,
    given_users: Users,
    given_lead: NewLead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    change = request.getfixturevalue(use_case)
    command = ArchiveNotificationCommand if use_case == "archive" else UnarchiveNotificationCommand
    await given_users("alice", "bob")
    not_alices = await given_lead("alice")
    before = read.snapshot()

    with pytest.raises(NotificationNotFound):
        await change(command("alice", str(not_alices)))
    with pytest.raises(NotificationNotFound):
        await change(command("bob", str(UUID(int=999))))
    with pytest.raises(InvalidInput):
        await change(command("bob", str(not_alices).upper()))

    assert read.snapshot() == before
    assert publisher.published == []
