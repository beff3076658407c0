"""GraphQL operations on the caller's inbox."""

from __future__ import annotations

import strawberry

from application.commands import (
    ArchiveNotificationCommand,
    ConfirmDeliveryCommand,
    DeleteNotificationCommand,
    GetUnreadCountQuery,
    InboxCountsQuery,
    ListNotificationsQuery,
    MarkAllAsReadCommand,
    MarkAllAsSeenCommand,
    MarkAsReadCommand,
    MarkAsUnreadCommand,
    MarkGroupAsReadCommand,
    NotificationFeedQuery,
    NotificationGroupsQuery,
    UnarchiveNotificationCommand,
)
from entrypoints.graphql.context import Info
from entrypoints.graphql.types import (
    InboxCounts,
    Notification,
    NotificationConnection,
    NotificationFilter,
    NotificationGroupConnection,
)


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
            **chosen.selection(),
        )
        page = await info.context.container.notification_feed()(query)
        return NotificationConnection.from_page(page)

    @strawberry.field(
        description="The caller's inbox as groups of related notifications, newest first; "
        "first 1..100, after the endCursor of the page before."
    )
    async def notification_groups(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: NotificationFilter | None = None,
    ) -> NotificationGroupConnection:
        chosen = filter or NotificationFilter()
        query = NotificationGroupsQuery(
            user_id=info.context.user_id,
            first=20 if first is None else first,
            after=after,
            **chosen.selection(),
        )
        page = await info.context.container.notification_groups()(query)
        return NotificationGroupConnection.from_page(page)

    @strawberry.field(description="The caller's unread, unseen and total counts, unarchived.")
    async def inbox_counts(self, info: Info) -> InboxCounts:
        query = InboxCountsQuery(info.context.user_id)
        return InboxCounts.from_domain(await info.context.container.inbox_counts()(query))

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

    @strawberry.mutation(
        description="See all of the caller's non-archived notifications; how many changed."
    )
    async def mark_all_as_seen(self, info: Info) -> int:
        command = MarkAllAsSeenCommand(info.context.user_id)
        return await info.context.container.mark_all_as_seen()(command)

    @strawberry.mutation(description="Back to unread (it stays seen).")
    async def mark_as_unread(self, info: Info, id: str) -> Notification:
        command = MarkAsUnreadCommand(info.context.user_id, id)
        return Notification.from_domain(await info.context.container.mark_as_unread()(command))

    @strawberry.mutation(description="Put a notification away: out of the lists and counts.")
    async def archive_notification(self, info: Info, id: str) -> Notification:
        command = ArchiveNotificationCommand(info.context.user_id, id)
        entry = await info.context.container.archive_notification()(command)
        return Notification.from_domain(entry)

    @strawberry.mutation(description="Bring an archived notification back, as it was.")
    async def unarchive_notification(self, info: Info, id: str) -> Notification:
        command = UnarchiveNotificationCommand(info.context.user_id, id)
        entry = await info.context.container.unarchive_notification()(command)
        return Notification.from_domain(entry)

    @strawberry.mutation(
        description="The caller's subscription received every notification:created up to "
        "this eventId; how many became delivered."
    )
    async def confirm_delivery(self, info: Info, up_to_event_id: int) -> int:
        command = ConfirmDeliveryCommand(info.context.user_id, up_to_event_id)
        return await info.context.container.confirm_delivery()(command)

    @strawberry.mutation(description="Read every notification of one of the caller's groups.")
    async def mark_group_as_read(self, info: Info, group_key: str) -> int:
        command = MarkGroupAsReadCommand(info.context.user_id, group_key)
        return await info.context.container.mark_group_as_read()(command)
