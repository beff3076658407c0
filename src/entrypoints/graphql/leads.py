"""GraphQL operations on leads, which the whole team shares."""

from __future__ import annotations

import strawberry

from application.commands import (
    AddCommentCommand,
    AssignLeadCommand,
    CompleteTaskCommand,
    CreateLeadCommand,
    CreateTaskCommand,
    GetLeadQuery,
    ListLeadsQuery,
    UpdateLeadScoreCommand,
)
from domain.errors import LeadNotFound
from entrypoints.graphql.context import Info
from entrypoints.graphql.types import (
    AddCommentInput,
    Comment,
    CreateLeadInput,
    CreateTaskInput,
    Lead,
    Task,
)


@strawberry.type
class LeadQueries:
    @strawberry.field(description="A lead by its id, or null when there is none.")
    async def lead(self, info: Info, id: strawberry.ID) -> Lead | None:
        try:
            lead = await info.context.container.get_lead()(GetLeadQuery(str(id)))
        except LeadNotFound:
            return None
        return Lead.from_domain(lead)

    @strawberry.field(description="The team's leads, newest first; limit 1..100.")
    async def leads(self, info: Info, limit: int | None = 50) -> list[Lead]:
        query = ListLeadsQuery(50 if limit is None else limit)
        return [Lead.from_domain(lead) for lead in await info.context.container.list_leads()(query)]


@strawberry.type
class LeadMutations:
    @strawberry.mutation(description="Create a lead owned by the caller; the team is told.")
    async def create_lead(self, info: Info, input: CreateLeadInput) -> Lead:
        command = CreateLeadCommand(
            actor_id=info.context.user_id,
            name=input.name,
            email=input.email,
            company=input.company,
            score=input.score if input.score is not None else 0,
        )
        return Lead.from_domain(await info.context.container.create_lead()(command))

    @strawberry.mutation(description="Hand a lead to another registered owner.")
    async def assign_lead(self, info: Info, id: strawberry.ID, owner_id: str) -> Lead:
        command = AssignLeadCommand(info.context.user_id, str(id), owner_id)
        return Lead.from_domain(await info.context.container.assign_lead()(command))

    @strawberry.mutation(description="Score a lead 0..100; its owner is told of a change.")
    async def update_lead_score(self, info: Info, id: strawberry.ID, score: int) -> Lead:
        command = UpdateLeadScoreCommand(info.context.user_id, str(id), score)
        return Lead.from_domain(await info.context.container.update_lead_score()(command))

    @strawberry.mutation(description="Add a task to a lead.")
    async def create_task(self, info: Info, input: CreateTaskInput) -> Task:
        command = CreateTaskCommand(
            info.context.user_id, str(input.lead_id), input.title, input.assignee_id
        )
        return Task.from_domain(await info.context.container.create_task()(command))

    @strawberry.mutation(description="Complete a task; the lead's owner and its creator are told.")
    async def complete_task(self, info: Info, id: strawberry.ID) -> Task:
        command = CompleteTaskCommand(info.context.user_id, str(id))
        return Task.from_domain(await info.context.container.complete_task()(command))

    @strawberry.mutation(
        description="Comment on a lead; its owner and earlier commenters are told."
    )
    async def add_comment(self, info: Info, input: AddCommentInput) -> Comment:
        command = AddCommentCommand(info.context.user_id, str(input.lead_id), input.body)
        return Comment.from_domain(await info.context.container.add_comment()(command))
