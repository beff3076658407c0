"""Notifications: content written once per event, and each recipient's own inbox entry."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
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


@dataclass(slots=True)
class InboxEntry:
    """One recipient's copy of a notification: their read state is theirs alone."""

    notification: Notification
    user_id: str
    read_at: datetime | None
    updated_at: datetime

    @classmethod
    def deliver(cls, notification: Notification, user_id: str) -> InboxEntry:
        return cls(notification, user_id, read_at=None, updated_at=notification.created_at)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def mark_read(self, now: datetime) -> bool:
        """Read it now; returns whether anything changed (reading twice changes nothing)."""
        if self.read_at is not None:
            return False
        self.read_at = self.updated_at = now
        return True


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
