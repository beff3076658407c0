"""GraphQL operations on the caller's inbox."""

from __future__ import annotations

import strawberry

from application.commands import (
    DeleteNotificationCommand,
    GetUnreadCountQuery,
    ListNotificationsQuery,
    MarkAllAsReadCommand,
    MarkAsReadCommand,
    NotificationFeedQuery,
)
from entrypoints.graphql.context import Info
from entrypoints.graphql.types import Notification, NotificationConnection, NotificationFilter


@strawberry.type
class NotificationQueries:
    @strawberry.field(description="The caller's notifications, newest first; limit 1..100.")
    async def get_notifications(self, info: Info, limit: int | None = 50) -> list[Notification]:
        query = ListNotificationsQuery(info.context.user_id, 50 if limit is None else limit)
        entries = await info.context.container.list_notifications()(query)
        return [Notification.from_domain(entry) for entry in entries]

    @strawberry.field(
        description="The caller's inbox a page at a time, newest first; first 1..100, "
        "after the endCursor of the page before."
    )
    async def notification_feed(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: NotificationFilter | None = None,
    ) -> NotificationConnection:
        chosen = filter or NotificationFilter()
        query = NotificationFeedQuery(
            user_id=info.context.user_id,
            first=20 if first is None else first,
            after=after,
            unread_only=bool(chosen.unread_only),
            types=chosen.types_to_domain(),
            related_lead_id=None if chosen.related_lead_id is None else str(chosen.related_lead_id),
        )
        page = await info.context.container.notification_feed()(query)
        return NotificationConnection.from_page(page)

    @strawberry.field(description="How many of the caller's notifications are unread.")
    async def get_unread_count(self, info: Info) -> int:
        query = GetUnreadCountQuery(info.context.user_id)
        return await info.context.container.get_unread_count()(query)


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Read one of the caller's notifications.")
    async def mark_as_read(self, info: Info, id: str) -> Notification:
        command = MarkAsReadCommand(info.context.user_id, id)
        entry = await info.context.container.mark_as_read()(command)
        return Notification.from_domain(entry)

    @strawberry.mutation(description="Read all of the caller's notifications; how many changed.")
    async def mark_all_as_read(self, info: Info) -> int:
        command = MarkAllAsReadCommand(info.context.user_id)
        return await info.context.container.mark_all_as_read()(command)

    @strawberry.mutation(description="Remove a notification from the caller's inbox.")
    async def delete_notification(self, info: Info, id: str) -> bool:
        command = DeleteNotificationCommand(info.context.user_id, id)
        return await info.context.container.delete_notification()(command)
