"""GraphQL operations on the caller's inbox."""

from __future__ import annotations

import strawberry

from application.commands import (
    DeleteNotificationCommand,
    GetUnreadCountQuery,
    ListNotificationsQuery,
    MarkAllAsReadCommand,
    MarkAsReadCommand,
)
from entrypoints.graphql.context import Info
from entrypoints.graphql.types import Notification


@strawberry.type
class NotificationQueries:
    @strawberry.field(description="The caller's notifications, newest first; limit 1..100.")
    async def get_notifications(self, info: Info, limit: int | None = 50) -> list[Notification]:
        query = ListNotificationsQuery(info.context.user_id, 50 if limit is None else limit)
        entries = await info.context.container.list_notifications()(query)
        return [Notification.from_domain(entry) for entry in entries]

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
