"""GraphQL subscriptions: the same events as Socket.IO, with the same replay promise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import strawberry

from adapters.socketio.publisher import CREATED, UPDATED
from entrypoints.graphql.context import Info
from entrypoints.graphql.types import Notification, NotificationType


@strawberry.type(description="One event of the caller's inbox, as Socket.IO sends it.")
class NotificationEvent:
    event_id: int | None = strawberry.field(description="Increases per user; null for a resync.")
    event: str = strawberry.field(description="The Socket.IO event name, e.g. notification:created")
    notification: Notification | None = None
    count: int | None = strawberry.field(
        default=None, description="The unread count, or how many the bulk action changed."
    )
    unseen: int | None = strawberry.field(
        default=None, description="The unseen count (notifications:unread-count)."
    )
    action: str | None = strawberry.field(
        default=None, description="The bulk action: markAllAsRead, markAllAsSeen, markGroupAsRead."
    )
    group_key: str | None = strawberry.field(
        default=None, description="The group markGroupAsRead read."
    )
    id: strawberry.ID | None = strawberry.field(default=None, description="A deleted one's id.")
    reason: str | None = strawberry.field(default=None, description="Why a resync is needed.")

    @classmethod
    def from_message(cls, event: str, data: dict[str, Any]) -> NotificationEvent:
        notification = _notification(data) if event in (CREATED, UPDATED) else None
        deleted = data.get("id") if notification is None else None
        return cls(
            event_id=data.get("eventId"),
            event=event,
            notification=notification,
            count=data.get("count"),
            unseen=data.get("unseen"),
            action=data.get("action"),
            group_key=data.get("groupKey") if notification is None else None,
            id=strawberry.ID(deleted) if deleted else None,
            reason=data.get("reason"),
        )


def _notification(data: dict[str, Any]) -> Notification:
    lead_id = data["relatedLeadId"]
    return Notification(
        id=strawberry.ID(data["id"]),
        type=NotificationType(data["type"]),
        title=data["title"],
        message=data["message"],
        is_read=data["isRead"],
        read_at=_moment(data["readAt"]),
        related_lead_id=strawberry.ID(lead_id) if lead_id else None,
        actor_id=data["actorId"],
        created_at=datetime.fromisoformat(data["createdAt"]),
        updated_at=datetime.fromisoformat(data["updatedAt"]),
        seen_at=_moment(data["seenAt"]),
        delivered_at=_moment(data["deliveredAt"]),
        archived_at=_moment(data["archivedAt"]),
        group_key=data["groupKey"],
    )


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The caller's inbox events; from `lastEventId` on, every retained one first."
    )
    async def notification_events(
        self, info: Info, last_event_id: int | None = None
    ) -> AsyncIterator[NotificationEvent]:
        container = info.context.container
        stream = container.live_events().stream(
            container.events_since(), info.context.user_id, last_event_id
        )
        async for event, data in stream:
            yield NotificationEvent.from_message(event, data)
