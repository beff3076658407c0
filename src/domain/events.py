"""Domain events about inboxes: what the outside world is told once a change is committed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from domain.notifications import Badges, InboxEntry, Notification


@dataclass(frozen=True, slots=True)
class NotificationCreated:
    """One notification reached these recipients; it reads the same for all of them."""

    notification: Notification
    recipients: tuple[str, ...]

    @property
    def audience(self) -> tuple[str, ...]:
        return self.recipients


@dataclass(frozen=True, slots=True)
class NotificationUpdated:
    entry: InboxEntry

    @property
    def audience(self) -> tuple[str, ...]:
        return (self.entry.user_id,)


@dataclass(frozen=True, slots=True)
class NotificationsBulkUpdated:
    """`action` changed `count` of the user's notifications at once: "markAllAsRead",
    "markAllAsSeen", or "markGroupAsRead" (of the group `group_key`)."""

    user_id: str
    count: int
    action: str = "markAllAsRead"
    group_key: str | None = None

    @property
    def audience(self) -> tuple[str, ...]:
        return (self.user_id,)


@dataclass(frozen=True, slots=True)
class NotificationDeleted:
    user_id: str
    notification_id: UUID

    @property
    def audience(self) -> tuple[str, ...]:
        return (self.user_id,)


@dataclass(frozen=True, slots=True)
class UnreadCountsChanged:
    """The unread count of each of these users is now this number, and their unseen count the
    one in `unseen` (events written before seen existed carry none)."""

    counts: Mapping[str, int]
    unseen: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, badges: Badges) -> UnreadCountsChanged:
        return cls(badges.unread, badges.unseen)

    @property
    def audience(self) -> tuple[str, ...]:
        return tuple(self.counts)


InboxEvent = (
    NotificationCreated
    | NotificationUpdated
    | NotificationsBulkUpdated
    | NotificationDeleted
    | UnreadCountsChanged
)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the outbox keeps it: `id` is its position in the order of commits.

    Ids increase strictly in commit order, so each user's events increase too: clients receive
    the id as `eventId` and resume from the last one they saw.
    """

    id: int
    event: InboxEvent
