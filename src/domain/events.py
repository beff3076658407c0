"""Domain events about inboxes: what the outside world is told once a change is committed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from domain.notifications import InboxEntry, Notification


@dataclass(frozen=True, slots=True)
class NotificationCreated:
    """One notification reached these recipients; it reads the same for all of them."""

    notification: Notification
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NotificationUpdated:
    entry: InboxEntry


@dataclass(frozen=True, slots=True)
class NotificationsBulkUpdated:
    user_id: str
    count: int


@dataclass(frozen=True, slots=True)
class NotificationDeleted:
    user_id: str
    notification_id: UUID


@dataclass(frozen=True, slots=True)
class UnreadCountsChanged:
    """The unread count of each of these users is now this number."""

    counts: Mapping[str, int]


InboxEvent = (
    NotificationCreated
    | NotificationUpdated
    | NotificationsBulkUpdated
    | NotificationDeleted
    | UnreadCountsChanged
)
