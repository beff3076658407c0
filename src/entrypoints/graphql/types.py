"""GraphQL types, each built from a domain object by `from_domain`."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from domain.leads import Lead as DomainLead
from domain.notifications import InboxEntry
from domain.notifications import NotificationType as DomainNotificationType


@strawberry.enum
class NotificationType(enum.Enum):
    LEAD_CREATED = "lead_created"
    TASK_COMPLETED = "task_completed"
    SCORE_UPDATED = "score_updated"
    COMMENT_ADDED = "comment_added"

    @classmethod
    def from_domain(cls, value: DomainNotificationType) -> NotificationType:
        return cls(value.value)


@strawberry.type
class Notification:
    id: strawberry.ID
    type: NotificationType
    title: str
    message: str
    is_read: bool
    read_at: datetime | None
    related_lead_id: strawberry.ID | None
    actor_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, entry: InboxEntry) -> Notification:
        notification = entry.notification
        lead_id = notification.related_lead_id
        return cls(
            id=strawberry.ID(str(notification.id)),
            type=NotificationType.from_domain(notification.type),
            title=notification.title,
            message=notification.message,
            is_read=entry.is_read,
            read_at=entry.read_at,
            related_lead_id=strawberry.ID(str(lead_id)) if lead_id else None,
            actor_id=notification.actor_id,
            created_at=notification.created_at,
            updated_at=entry.updated_at,
        )


@strawberry.type
class Lead:
    id: strawberry.ID
    name: str
    email: str | None
    company: str | None
    score: int
    owner_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, lead: DomainLead) -> Lead:
        return cls(
            id=strawberry.ID(str(lead.id)),
            name=lead.name,
            email=lead.email,
            company=lead.company,
            score=lead.score,
            owner_id=lead.owner_id,
            created_at=lead.created_at,
            updated_at=lead.updated_at,
        )


@strawberry.input
class CreateLeadInput:
    name: str
    email: str | None = None
    company: str | None = None
    score: int | None = 0
