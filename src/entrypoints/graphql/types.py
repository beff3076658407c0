"""GraphQL types, each built from a domain object by `from_domain`."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from application.commands import LeadNotificationsQuery, ReceiptsQuery
from application.notifications.notification_feed import FeedPage
from application.notifications.notification_groups import GroupPage
from domain.comments import Comment as DomainComment
from domain.leads import Lead as DomainLead
from domain.notifications import InboxCounts as DomainInboxCounts
from domain.notifications import InboxEntry
from domain.notifications import NotificationGroup as DomainNotificationGroup
from domain.notifications import NotificationType as DomainNotificationType
from domain.notifications import Receipt as DomainReceipt
from domain.notifications import SentNotification as DomainSentNotification
from domain.preferences import NotificationPreference as DomainPreference
from domain.tasks import Task as DomainTask
from entrypoints.graphql.context import Info


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
    seen_at: datetime | None = strawberry.field(description="For the calling user.")
    delivered_at: datetime | None = strawberry.field(description="For the calling user.")
    archived_at: datetime | None = strawberry.field(description="For the calling user.")
    group_key: str = strawberry.field(description="The group it belongs to (see Groups).")

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
            seen_at=entry.seen_at,
            delivered_at=entry.delivered_at,
            archived_at=entry.archived_at,
            group_key=notification.group_key,
        )


@strawberry.input(description="Which of the caller's notifications the feed gives.")
class NotificationFilter:
    unread_only: bool | None = False
    types: list[NotificationType] | None = strawberry.field(
        default=None, description="Only these types; an empty list matches none."
    )
    related_lead_id: strawberry.ID | None = None
    archived: bool | None = strawberry.field(
        default=False, description="true: only the archived ones; else they are left out."
    )

    def types_to_domain(self) -> tuple[DomainNotificationType, ...] | None:
        return None if self.types is None else tuple(kind.to_domain() for kind in self.types)

    def selection(self) -> dict[str, Any]:
        """The filter as the feed's and the groups' queries take it."""
        return {
            "unread_only": bool(self.unread_only),
            "types": self.types_to_domain(),
            "related_lead_id": None if self.related_lead_id is None else str(self.related_lead_id),
            "archived": bool(self.archived),
        }


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

    @strawberry.field(description="Every notification about the lead, newest first; limit 1..100.")
    async def notifications(self, info: Info, limit: int | None = 20) -> list[SentNotification]:
        query = LeadNotificationsQuery(str(self.id), 20 if limit is None else limit)
        sent = await info.context.container.lead_notifications()(query)
        return [SentNotification.from_domain(one) for one in sent]


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


@strawberry.type(description="The caller's counts over their non-archived notifications.")
class InboxCounts:
    unread: int
    unseen: int
    total: int

    @classmethod
    def from_domain(cls, counts: DomainInboxCounts) -> InboxCounts:
        return cls(unread=counts.unread, unseen=counts.unseen, total=counts.total)


@strawberry.type(description="How one recipient received a notification.")
class Receipt:
    user_id: str
    name: str | None
    delivered_at: datetime | None
    seen_at: datetime | None
    read_at: datetime | None

    @classmethod
    def from_domain(cls, receipt: DomainReceipt) -> Receipt:
        return cls(
            user_id=receipt.user_id,
            name=receipt.name,
            delivered_at=receipt.delivered_at,
            seen_at=receipt.seen_at,
            read_at=receipt.read_at,
        )


@strawberry.type(
    description="A notification as the team sees it; the counts are over the recipients who "
    "still hold it (archived or not)."
)
class SentNotification:
    id: strawberry.ID
    type: NotificationType
    title: str
    actor_id: str | None
    created_at: datetime
    recipients: int
    delivered: int
    seen: int
    read: int

    @classmethod
    def from_domain(cls, sent: DomainSentNotification) -> SentNotification:
        notification = sent.notification
        return cls(
            id=strawberry.ID(str(notification.id)),
            type=NotificationType.from_domain(notification.type),
            title=notification.title,
            actor_id=notification.actor_id,
            created_at=notification.created_at,
            recipients=sent.recipients,
            delivered=sent.delivered,
            seen=sent.seen,
            read=sent.read,
        )

    @strawberry.field(description="One per recipient, by user id ascending; limit 1..100.")
    async def receipts(self, info: Info, limit: int | None = 50) -> list[Receipt]:
        query = ReceiptsQuery(str(self.id), 50 if limit is None else limit)
        receipts = await info.context.container.receipts()(query)
        return [Receipt.from_domain(receipt) for receipt in receipts]


@strawberry.type(description="Related notifications of the caller's inbox, as one line.")
class NotificationGroup:
    key: str
    type: NotificationType
    title: str
    count: int = strawberry.field(description="Members selected by the filter.")
    unread_count: int
    actor_ids: list[str] = strawberry.field(description="Distinct, most recent first, at most 3.")
    actor_count: int
    related_lead_id: strawberry.ID | None
    latest: Notification = strawberry.field(description="The newest member.")
    first_at: datetime
    last_at: datetime

    @classmethod
    def from_domain(cls, group: DomainNotificationGroup) -> NotificationGroup:
        lead_id = group.related_lead_id
        return cls(
            key=group.key,
            type=NotificationType.from_domain(group.type),
            title=group.title,
            count=group.count,
            unread_count=group.unread_count,
            actor_ids=list(group.actor_ids),
            actor_count=group.actor_count,
            related_lead_id=strawberry.ID(str(lead_id)) if lead_id else None,
            latest=Notification.from_domain(group.latest),
            first_at=group.first_at,
            last_at=group.last_at,
        )


@strawberry.type
class NotificationGroupEdge:
    cursor: str
    node: NotificationGroup


@strawberry.type(description="A page of the caller's groups, newest first.")
class NotificationGroupConnection:
    edges: list[NotificationGroupEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: GroupPage) -> NotificationGroupConnection:
        return cls(
            edges=[
                NotificationGroupEdge(
                    cursor=edge.cursor, node=NotificationGroup.from_domain(edge.group)
                )
                for edge in page.edges
            ],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )
