"""GraphQL types, each built from a domain object by `from_domain`."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from application.notifications.notification_feed import FeedPage
from domain.comments import Comment as DomainComment
from domain.leads import Lead as DomainLead
from domain.notifications import InboxEntry
from domain.notifications import NotificationType as DomainNotificationType
from domain.preferences import NotificationPreference as DomainPreference
from domain.tasks import Task as DomainTask


@strawberry.enum
class NotificationType(enum.Enum):
    LEAD_CREATED = "lead_created"
    TASK_COMPLETED = "task_completed"
    SCORE_UPDATED = "score_updated"
    COMMENT_ADDED = "comment_added"

    @classmethod
    def from_domain(cls, value: DomainNotificationType) -> NotificationType:
        return _FROM_DOMAIN[value]

    def to_domain(self) -> DomainNotificationType:
        return DomainNotificationType(self.value)


# A dictionary lookup: calling the enum class to find a member by value costs several times more.
_FROM_DOMAIN = {kind: NotificationType(kind.value) for kind in DomainNotificationType}


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


@strawberry.input(description="Which of the caller's notifications the feed gives.")
class NotificationFilter:
    unread_only: bool | None = False
    types: list[NotificationType] | None = strawberry.field(
        default=None, description="Only these types; an empty list matches none."
    )
    related_lead_id: strawberry.ID | None = None

    def types_to_domain(self) -> tuple[DomainNotificationType, ...] | None:
        return None if self.types is None else tuple(kind.to_domain() for kind in self.types)


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of the caller's inbox, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: FeedPage) -> NotificationConnection:
        return cls(
            edges=[
                NotificationEdge(cursor=edge.cursor, node=Notification.from_domain(edge.entry))
                for edge in page.edges
            ],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
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


@strawberry.type
class Task:
    id: strawberry.ID
    lead_id: strawberry.ID
    title: str
    assignee_id: str | None
    created_by_id: str
    completed_at: datetime | None
    created_at: datetime

    @classmethod
    def from_domain(cls, task: DomainTask) -> Task:
        return cls(
            id=strawberry.ID(str(task.id)),
            lead_id=strawberry.ID(str(task.lead_id)),
            title=task.title,
            assignee_id=task.assignee_id,
            created_by_id=task.created_by_id,
            completed_at=task.completed_at,
            created_at=task.created_at,
        )


@strawberry.type
class Comment:
    id: strawberry.ID
    lead_id: strawberry.ID
    author_id: str
    body: str
    created_at: datetime

    @classmethod
    def from_domain(cls, comment: DomainComment) -> Comment:
        return cls(
            id=strawberry.ID(str(comment.id)),
            lead_id=strawberry.ID(str(comment.lead_id)),
            author_id=comment.author_id,
            body=comment.body,
            created_at=comment.created_at,
        )


@strawberry.type
class NotificationPreference:
    type: NotificationType
    enabled: bool
    email: bool = strawberry.field(
        description="Whether it also comes by email when not seen in time (see Email)."
    )

    @classmethod
    def from_domain(cls, preference: DomainPreference) -> NotificationPreference:
        return cls(
            type=NotificationType.from_domain(preference.type),
            enabled=preference.enabled,
            email=preference.email,
        )


@strawberry.input
class CreateTaskInput:
    lead_id: strawberry.ID
    title: str
    assignee_id: str | None = None


@strawberry.input
class AddCommentInput:
    lead_id: strawberry.ID
    body: str
