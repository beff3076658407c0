"""MarkAsRead: the caller reads one of their notifications (and so sees it)."""

from __future__ import annotations

from application.notifications.change_entry import ChangeEntry
from domain.notifications import InboxEntry


class MarkAsRead(ChangeEntry):
    change = InboxEntry.mark_read
