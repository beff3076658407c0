"""GraphQL operations on leads, which the whole team shares."""

from __future__ import annotations

import strawberry

from application.commands import CreateLeadCommand, GetLeadQuery
from domain.errors import LeadNotFound
from entrypoints.graphql.context import Info
from entrypoints.graphql.types import CreateLeadInput, Lead


@strawberry.type
class LeadQueries:
    @strawberry.field(description="A lead by its id, or null when there is none.")
    async def lead(self, info: Info, id: strawberry.ID) -> Lead | None:
        try:
            lead = await info.context.container.get_lead()(GetLeadQuery(str(id)))
        except LeadNotFound:
            return None
        return Lead.from_domain(lead)


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
