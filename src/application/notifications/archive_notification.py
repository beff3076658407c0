"""ArchiveNotification and UnarchiveNotification: out of the inbox's lists and counts, and back,
with read and seen as they were."""

from __future__ import annotations

from application.notifications.change_entry import ChangeEntry
from domain.notifications import InboxEntry


class ArchiveNotification(ChangeEntry):
    change = InboxEntry.archive


class UnarchiveNotification(ChangeEntry):
    change = InboxEntry.unarchive
