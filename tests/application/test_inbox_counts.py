"""GetInboxCounts: unread, unseen and total over the caller's notifications outside the archive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from application.commands import (
    ArchiveNotificationCommand,
    DeleteNotificationCommand,
    GetUnreadCountQuery,
    InboxCountsQuery,
    MarkAllAsSeenCommand,
    MarkAsReadCommand,
    MarkAsUnreadCommand,
)
from application.notifications.archive_notification import ArchiveNotification
from application.notifications.delete_notification import DeleteNotification
from application.notifications.get_unread_count import GetUnreadCount
from application.notifications.inbox_counts import GetInboxCounts
from application.notifications.mark_all_as_seen import MarkAllAsSeen
from application.notifications.mark_as_read import MarkAsRead
from application.notifications.mark_as_unread import MarkAsUnread
from domain.notifications import InboxCounts

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[UUID]]


async def test_an_unknown_user_has_nothing(inbox_counts: GetInboxCounts) -> None:
    assert await inbox_counts(InboxCountsQuery("nobody")) == InboxCounts(0, 0, 0)


async def test_the_counts_follow_every_change(
    given_users: Users,
    given_lead: NewLead,
    inbox_counts: GetInboxCounts,
    mark_as_read: MarkAsRead,
    mark_as_unread: MarkAsUnread,
    mark_all_as_seen: MarkAllAsSeen,
    archive: ArchiveNotification,
    delete_notification: DeleteNotification,
    get_unread_count: GetUnreadCount,
) -> None:
    await given_users("alice", "bob")
    a, b, c, d = [await given_lead("alice", name) for name in "ABCD"]

    async def counts() -> InboxCounts:
        return await inbox_counts(InboxCountsQuery("bob"))

    assert await counts() == InboxCounts(unread=4, unseen=4, total=4)
    await mark_as_read(MarkAsReadCommand("bob", str(a)))
    assert await counts() == InboxCounts(3, 3, 4)
    await mark_as_unread(MarkAsUnreadCommand("bob", str(a)))
    assert await counts() == InboxCounts(4, 3, 4)
    await mark_all_as_seen(MarkAllAsSeenCommand("bob"))
    assert await counts() == InboxCounts(4, 0, 4)
    await archive(ArchiveNotificationCommand("bob", str(b)))
    assert await counts() == InboxCounts(3, 0, 3)
    await delete_notification(DeleteNotificationCommand("bob", str(c)))
    assert await counts() == InboxCounts(2, 0, 2)
    e = await given_lead("alice", "E")
    assert await counts() == InboxCounts(3, 1, 3)
    await mark_as_read(MarkAsReadCommand("bob", str(e)))
    await mark_as_read(MarkAsReadCommand("bob", str(d)))
    assert await counts() == InboxCounts(1, 0, 3)
    # The unread count the bell shows agrees; the actor was told of nothing.
    assert await get_unread_count(GetUnreadCountQuery("bob")) == 1
    assert await inbox_counts(InboxCountsQuery("alice")) == InboxCounts(0, 0, 0)
