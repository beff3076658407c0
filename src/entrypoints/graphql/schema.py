"""The GraphQL schema: resolvers map arguments to a command, call a use case, map the result."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from application.commands import (
    CreateLeadCommand,
    DeleteNotificationCommand,
    GetLeadQuery,
    GetUnreadCountQuery,
    ListNotificationsQuery,
    MarkAllAsReadCommand,
    MarkAsReadCommand,
)
from domain.errors import LeadNotFound
from entrypoints.graphql.context import Info
from entrypoints.graphql.errors import log_unexpected
from entrypoints.graphql.types import CreateLeadInput, Lead, Notification

MAX_DEPTH = 10
MAX_TOKENS = 1_000


@strawberry.type
class Query:
    @strawberry.field(description="The caller's notifications, newest first; limit 1..100.")
    async def get_notifications(self, info: Info, limit: int = 50) -> list[Notification]:
        query = ListNotificationsQuery(info.context.user_id, limit)
        entries = await info.context.container.list_notifications()(query)
        return [Notification.from_domain(entry) for entry in entries]

    @strawberry.field(description="How many of the caller's notifications are unread.")
    async def get_unread_count(self, info: Info) -> int:
        query = GetUnreadCountQuery(info.context.user_id)
        return await info.context.container.get_unread_count()(query)

    @strawberry.field(description="A lead by its id, or null when there is none.")
    async def lead(self, info: Info, id: strawberry.ID) -> Lead | None:
        try:
            lead = await info.context.container.get_lead()(GetLeadQuery(str(id)))
        except LeadNotFound:
            return None
        return Lead.from_domain(lead)


@strawberry.type
class Mutation:
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

    @strawberry.mutation(description="Create a lead owned by the caller; the team is told.")
    async def create_lead(self, info: Info, input: CreateLeadInput) -> Lead:
        command = CreateLeadCommand(
            actor_id=info.context.user_id,
            name=input.name,
            email=input.email,
            company=input.company,
            score=input.score,
        )
        return Lead.from_domain(await info.context.container.create_lead()(command))


class HeraldSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors, execution_context)


def build_schema(**options: Any) -> strawberry.Schema:
    return HeraldSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: MaxTokensLimiter(MAX_TOKENS),
            lambda: QueryDepthLimiter(MAX_DEPTH),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ],
        **options,
    )
