"""MarkAsUnread: the caller keeps a notification to come back to; it stays seen."""

from __future__ import annotations

from application.notifications.change_entry import ChangeEntry
from domain.notifications import InboxEntry


class MarkAsUnread(ChangeEntry):
    change = InboxEntry.mark_unread
