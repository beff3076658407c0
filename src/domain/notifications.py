"""Notifications: content written once per event, and each recipient's own inbox entry."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple
from uuid import UUID

from domain.comments import Comment
from domain.leads import Lead
from domain.tasks import Task
from domain.users import User


class NotificationType(enum.StrEnum):
    LEAD_CREATED = "lead_created"
    TASK_COMPLETED = "task_completed"
    SCORE_UPDATED = "score_updated"
    COMMENT_ADDED = "comment_added"


@dataclass(frozen=True, slots=True)
class Notification:
    """What happened: the same for every recipient, stored once."""

    id: UUID
    type: NotificationType
    title: str
    message: str
    related_lead_id: UUID | None
    actor_id: str | None
    created_at: datetime

    @property
    def group_key(self) -> str:
        """The group it belongs to in every recipient's inbox: new leads by actor and day (UTC),
        the other types by type and lead."""
        if self.type is NotificationType.LEAD_CREATED:
            day = self.created_at.astimezone(UTC).date().isoformat()
            return f"{self.type.value}:{day}:{self.actor_id or ''}"
        # A lead-scoped notification without its lead stands alone.
        return f"{self.type.value}:{self.related_lead_id or self.id}"


@dataclass(slots=True)
class InboxEntry:
    """One recipient's copy of a notification: its read, seen, delivered and archived state are
    theirs alone.

    Read implies seen; seen and delivered are set once and never move; archiving leaves read
    and seen as they were.
    """

    notification: Notification
    user_id: str
    read_at: datetime | None
    updated_at: datetime
    seen_at: datetime | None = None
    delivered_at: datetime | None = None
    archived_at: datetime | None = None

    @classmethod
    def deliver(cls, notification: Notification, user_id: str) -> InboxEntry:
        return cls(notification, user_id, read_at=None, updated_at=notification.created_at)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def badge(self) -> Badge:
        """What this entry adds to its user's counts: archived ones add nothing."""
        if self.archived_at is not None:
            return Badge(0, 0)
        return Badge(int(self.read_at is None), int(self.seen_at is None))

    def mark_read(self, now: datetime) -> bool:
        """Read it now (and see it, if not seen yet); returns whether anything changed (reading
        twice changes nothing)."""
        if self.read_at is not None:
            return False
        self.read_at = self.updated_at = now
        if self.seen_at is None:
            self.seen_at = now
        return True

    def mark_unread(self, now: datetime) -> bool:
        """Back to unread, to come back to later; it stays seen."""
        if self.read_at is None:
            return False
        self.read_at, self.updated_at = None, now
        return True

    def mark_seen(self, now: datetime) -> bool:
        if self.seen_at is not None:
            return False
        self.seen_at = self.updated_at = now
        return True

    def confirm_delivered(self, now: datetime) -> bool:
        if self.delivered_at is not None:
            return False
        self.delivered_at = now
        return True

    def archive(self, now: datetime) -> bool:
        """Put it away; archiving an archived one changes nothing."""
        if self.archived_at is not None:
            return False
        self.archived_at = self.updated_at = now
        return True

    def unarchive(self, now: datetime) -> bool:
        if self.archived_at is None:
            return False
        self.archived_at, self.updated_at = None, now
        return True


class Badge(NamedTuple):
    """What a user's bell shows: their unread and unseen counts (archived ones left out)."""

    unread: int
    unseen: int


class Badges(Mapping[str, Badge]):
    """Many users' badges, kept as two dicts by user id: a fan-out reads a thousand at once,
    and each becomes a `Badge` only when asked for. It takes the dicts as they are, and so does
    the counts event made of it (`UnreadCountsChanged.of`): whoever builds one hands them over,
    and changes them no more."""

    __slots__ = ("unread", "unseen")

    def __init__(self, unread: dict[str, int], unseen: dict[str, int]) -> None:
        if unread.keys() != unseen.keys():
            raise ValueError("every user needs both counts")
        self.unread, self.unseen = unread, unseen

    def __getitem__(self, user_id: str) -> Badge:
        return Badge(self.unread[user_id], self.unseen[user_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self.unread)

    def __len__(self) -> int:
        return len(self.unread)

    def __repr__(self) -> str:
        return f"Badges({dict(self.items())!r})"


class InboxCounts(NamedTuple):
    """A user's counts over their non-archived notifications."""

    unread: int
    unseen: int
    total: int


@dataclass(frozen=True, slots=True)
class NotificationGroup:
    """Related notifications of one inbox, shown as one line: the members a filter selected."""

    key: str
    count: int
    unread_count: int
    actor_ids: tuple[str, ...]  # distinct, most recent first, at most 3
    actor_count: int
    latest: InboxEntry  # the newest member
    first_at: datetime
    lead_name: str | None  # the related lead's, for the title of lead-scoped groups

    @property
    def type(self) -> NotificationType:
        return self.latest.notification.type

    @property
    def related_lead_id(self) -> UUID | None:
        if self.type is NotificationType.LEAD_CREATED:
            return None
        return self.latest.notification.related_lead_id

    @property
    def last_at(self) -> datetime:
        return self.latest.notification.created_at

    @property
    def title(self) -> str:
        """A group of one has its notification's title; a larger one says how many."""
        if self.count == 1:
            return self.latest.notification.title
        lead = self.lead_name or "a removed lead"
        return {
            NotificationType.LEAD_CREATED: f"{self.count} new leads",
            NotificationType.TASK_COMPLETED: f"{self.count} tasks completed on {lead}",
            NotificationType.SCORE_UPDATED: f"{self.count} score changes on {lead}",
            NotificationType.COMMENT_ADDED: f"{self.count} new comments on {lead}",
        }[self.type]


@dataclass(frozen=True, slots=True)
class Receipt:
    """How one recipient received a notification."""

    user_id: str
    name: str | None
    delivered_at: datetime | None
    seen_at: datetime | None
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class SentNotification:
    """A notification as its sender's team sees it: how many of the recipients who still hold
    it (archived or not) got it, saw it and read it."""

    notification: Notification
    recipients: int
    delivered: int
    seen: int
    read: int


# The notifications of each action, built here and nowhere else, so that they read alike.

EXCERPT_LENGTH = 140


def lead_created(notification_id: UUID, lead: Lead, actor: User, now: datetime) -> Notification:
    company = f" at {lead.company}" if lead.company else ""
    return Notification(
        id=notification_id,
        type=NotificationType.LEAD_CREATED,
        title=f"New lead: {lead.name}",
        message=f"{actor.display_name} created the lead “{lead.name}”{company}",
        related_lead_id=lead.id,
        actor_id=actor.id,
        created_at=now,
    )


def task_completed(
    notification_id: UUID, task: Task, lead: Lead, actor: User, now: datetime
) -> Notification:
    return Notification(
        id=notification_id,
        type=NotificationType.TASK_COMPLETED,
        title=f"Task completed: {task.title}",
        message=f"{actor.display_name} completed “{task.title}” on {lead.name}",
        related_lead_id=lead.id,
        actor_id=actor.id,
        created_at=now,
    )


def score_updated(
    notification_id: UUID, lead: Lead, previous_score: int, actor: User, now: datetime
) -> Notification:
    return Notification(
        id=notification_id,
        type=NotificationType.SCORE_UPDATED,
        title=f"Score of {lead.name}: {lead.score}",
        message=(
            f"{actor.display_name} changed the score of {lead.name}"
            f" from {previous_score} to {lead.score}"
        ),
        related_lead_id=lead.id,
        actor_id=actor.id,
        created_at=now,
    )


def comment_added(
    notification_id: UUID, comment: Comment, lead: Lead, actor: User, now: datetime
) -> Notification:
    return Notification(
        id=notification_id,
        type=NotificationType.COMMENT_ADDED,
        title=f"New comment on {lead.name}",
        message=f"{actor.display_name} commented on {lead.name}: “{_excerpt(comment.body)}”",
        related_lead_id=lead.id,
        actor_id=actor.id,
        created_at=now,
    )


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1].rstrip() + "…"
