"""GetLead: any registered user may read any lead."""

from __future__ import annotations

from application.commands import GetLeadQuery
from application.ports import UnitOfWork
from domain.errors import LeadNotFound
from domain.ids import parse_id
from domain.leads import Lead


class GetLead:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, query: GetLeadQuery) -> Lead:
        lead_id = parse_id(query.lead_id)
        async with self._uow as uow:
            lead = await uow.leads.get(lead_id)
        if lead is None:
            raise LeadNotFound(lead_id)
        return lead
