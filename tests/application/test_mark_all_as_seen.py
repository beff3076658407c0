"""MarkAllAsSeen: the caller opened the bell; what is in their inbox now is seen, not read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from uuid import UUID

from adapters.memory import RecordingPublisher
from application.commands import (
    ArchiveNotificationCommand,
    InboxCountsQuery,
    MarkAllAsSeenCommand,
    MarkAsReadCommand,
)
from application.notifications.archive_notification import ArchiveNotification
from application.notifications.inbox_counts import GetInboxCounts
from application.notifications.mark_all_as_seen import MarkAllAsSeen
from application.notifications.mark_as_read import MarkAsRead
from domain.events import NotificationsBulkUpdated, UnreadCountsChanged
from domain.notifications import InboxCounts

if TYPE_CHECKING:
    from conftest import FixedClock, StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[UUID]]


async def test_every_unseen_one_is_seen_and_stays_unread(
    given_users: Users,
    given_lead: NewLead,
    mark_all_as_seen: MarkAllAsSeen,
    inbox_counts: GetInboxCounts,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    for name in ("A", "B", "C"):
        await given_lead("alice", name)
    now = clock.advance(minutes=5)

    assert await mark_all_as_seen(MarkAllAsSeenCommand("bob")) == 3

    inbox = await read.inbox("bob")
    assert [(entry.seen_at, entry.read_at, entry.updated_at) for entry in inbox] == [
        (now, None, now)
    ] * 3
    assert await inbox_counts(InboxCountsQuery("bob")) == InboxCounts(3, 0, 3)
    assert publisher.published == [
        NotificationsBulkUpdated("bob", 3, "markAllAsSeen"),
        UnreadCountsChanged({"bob": 3}, {"bob": 0}),
    ]


async def test_counts_only_those_not_seen_yet_and_keeps_when_they_were(
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    mark_all_as_seen: MarkAllAsSeen,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    already = await given_lead("alice", "A")
    await given_lead("alice", "B")
    read_at = clock.advance(minutes=1)
    await mark_as_read(MarkAsReadCommand("bob", str(already)))
    publisher.published.clear()
    clock.advance(minutes=1)

    assert await mark_all_as_seen(MarkAllAsSeenCommand("bob")) == 1

    earlier = await read.entry("bob", already)
    assert earlier is not None
    assert (earlier.seen_at, earlier.read_at) == (read_at, read_at)
    assert publisher.published == [
        NotificationsBulkUpdated("bob", 1, "markAllAsSeen"),
        UnreadCountsChanged({"bob": 1}, {"bob": 0}),
    ]


async def test_a_second_call_sees_nothing_and_tells_no_one(
    given_users: Users,
    given_lead: NewLead,
    mark_all_as_seen: MarkAllAsSeen,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    await given_lead("alice")
    await mark_all_as_seen(MarkAllAsSeenCommand("bob"))
    publisher.published.clear()
    before = read.snapshot()
    clock.advance(hours=1)

    assert await mark_all_as_seen(MarkAllAsSeenCommand("bob")) == 0

    assert read.snapshot() == before
    assert publisher.published == []


async def test_an_empty_inbox_sees_nothing_and_tells_no_one(
    mark_all_as_seen: MarkAllAsSeen, publisher: RecordingPublisher
) -> None:
    assert await mark_all_as_seen(MarkAllAsSeenCommand("bob")) == 0
    assert publisher.published == []


async def test_a_notification_arriving_afterwards_is_unseen(
    given_users: Users,
    given_lead: NewLead,
    mark_all_as_seen: MarkAllAsSeen,
    inbox_counts: GetInboxCounts,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    await given_lead("alice", "A")
    await mark_all_as_seen(MarkAllAsSeenCommand("bob"))

    later = await given_lead("alice", "B")

    entry = await read.entry("bob", later)
    assert entry is not None
    assert entry.seen_at is None
    assert await inbox_counts(InboxCountsQuery("bob")) == InboxCounts(2, 1, 2)


async def test_archived_ones_stay_unseen(
    given_users: Users,
    given_lead: NewLead,
    archive: ArchiveNotification,
    mark_all_as_seen: MarkAllAsSeen,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    archived = await given_lead("alice", "A")
    await given_lead("alice", "B")
    await archive(ArchiveNotificationCommand("bob", str(archived)))
    publisher.published.clear()

    assert await mark_all_as_seen(MarkAllAsSeenCommand("bob")) == 1

    entry = await read.entry("bob", archived)
    assert entry is not None
    assert entry.seen_at is None
    assert publisher.published == [
        NotificationsBulkUpdated("bob", 1, "markAllAsSeen"),
        UnreadCountsChanged({"bob": 1}, {"bob": 0}),
    ]


async def test_only_archived_ones_unseen_is_nothing_to_see(
    given_users: Users,
    given_lead: NewLead,
    archive: ArchiveNotification,
    mark_all_as_seen: MarkAllAsSeen,
    publisher: RecordingPublisher,
) -> None:
    await given_users("alice", "bob")
    archived = await given_lead("alice")
    await archive(ArchiveNotificationCommand("bob", str(archived)))
    publisher.published.clear()

    assert await mark_all_as_seen(MarkAllAsSeenCommand("bob")) == 0
    assert publisher.published == []


async def test_other_users_are_untouched(
    given_users: Users,
    given_lead: NewLead,
    mark_all_as_seen: MarkAllAsSeen,
    inbox_counts: GetInboxCounts,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    await given_lead("alice")
    carols = await read.inbox("carol")

    await mark_all_as_seen(MarkAllAsSeenCommand("bob"))

    assert await read.inbox("carol") == carols
    assert await inbox_counts(InboxCountsQuery("carol")) == InboxCounts(1, 1, 1)
