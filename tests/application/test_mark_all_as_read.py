"""MarkAllAsRead: the caller reads their whole inbox at once; no one else's changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from uuid import UUID

from adapters.memory import RecordingPublisher
from application.commands import MarkAllAsReadCommand, MarkAsReadCommand
from application.notifications.mark_all_as_read import MarkAllAsRead
from application.notifications.mark_as_read import MarkAsRead
from domain.events import NotificationsBulkUpdated, UnreadCountsChanged

if TYPE_CHECKING:
    from conftest import FixedClock, StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[UUID]]


async def test_reads_every_unread_notification_and_counts_them(
    given_users: Users,
    given_lead: NewLead,
    mark_all_as_read: MarkAllAsRead,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    for name in ("A", "B", "C"):
        await given_lead("alice", name)
    now = clock.advance(minutes=5)

    count = await mark_all_as_read(MarkAllAsReadCommand("bob"))

    assert count == 3
    assert [entry.read_at for entry in await read.inbox("bob")] == [now] * 3
    assert await read.unread("bob") == 0
    assert publisher.published == [
        NotificationsBulkUpdated("bob", 3),
        UnreadCountsChanged({"bob": 0}, {"bob": 0}),
    ]


async def test_counts_only_those_that_were_unread(
    given_users: Users,
    given_lead: NewLead,
    mark_as_read: MarkAsRead,
    mark_all_as_read: MarkAllAsRead,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    already = await given_lead("alice", "A")
    await given_lead("alice", "B")
    read_earlier = clock.advance(minutes=1)
    await mark_as_read(MarkAsReadCommand("bob", str(already)))
    publisher.published.clear()
    clock.advance(minutes=1)

    count = await mark_all_as_read(MarkAllAsReadCommand("bob"))

    assert count == 1
    earlier = await read.entry("bob", already)
    assert earlier is not None
    assert earlier.read_at == read_earlier
    assert publisher.published == [
        NotificationsBulkUpdated("bob", 1),
        UnreadCountsChanged({"bob": 0}, {"bob": 0}),
    ]


async def test_a_second_call_reads_nothing_and_tells_no_one(
    given_users: Users,
    given_lead: NewLead,
    mark_all_as_read: MarkAllAsRead,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    await given_lead("alice")
    await mark_all_as_read(MarkAllAsReadCommand("bob"))
    publisher.published.clear()
    inbox = await read.inbox("bob")
    clock.advance(hours=1)

    assert await mark_all_as_read(MarkAllAsReadCommand("bob")) == 0
    assert await read.inbox("bob") == inbox
    assert publisher.published == []


async def test_an_empty_inbox_reads_nothing_and_tells_no_one(
    mark_all_as_read: MarkAllAsRead, publisher: RecordingPublisher
) -> None:
    assert await mark_all_as_read(MarkAllAsReadCommand("bob")) == 0
    assert publisher.published == []


async def test_other_users_are_untouched(
    given_users: Users,
    given_lead: NewLead,
    mark_all_as_read: MarkAllAsRead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    await given_lead("alice")
    await given_lead("bob")
    carols, alices = await read.inbox("carol"), await read.inbox("alice")

    await mark_all_as_read(MarkAllAsReadCommand("bob"))

    assert await read.inbox("carol") == carols
    assert await read.inbox("alice") == alices
    assert (await read.unread("carol"), await read.unread("alice")) == (2, 1)
    assert publisher.published == [
        NotificationsBulkUpdated("bob", 1),
        UnreadCountsChanged({"bob": 0}, {"bob": 0}),
    ]
