"""GetUnreadCount: how many of the caller's own notifications are unread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from application.commands import GetUnreadCountQuery, MarkAsReadCommand
from application.notifications.get_unread_count import GetUnreadCount
from application.notifications.mark_as_read import MarkAsRead


async def test_counts_only_the_callers_unread_notifications(
    given_users: Callable[..., Awaitable[None]],
    given_lead: Callable[..., Awaitable[UUID]],
    get_unread_count: GetUnreadCount,
    mark_as_read: MarkAsRead,
) -> None:
    await given_users("alice", "bob", "carol")
    first = await given_lead("alice")
    await given_lead("alice")
    await mark_as_read(MarkAsReadCommand("bob", str(first)))

    counts = {
        user_id: await get_unread_count(GetUnreadCountQuery(user_id))
        for user_id in ("alice", "bob", "carol", "stranger")
    }

    assert counts == {"alice": 0, "bob": 1, "carol": 2, "stranger": 0}
