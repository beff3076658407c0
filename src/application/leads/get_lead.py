"""GetLead: any registered user may read any lead."""

from __future__ import annotations

from application.commands import GetLeadQuery
from application.notify import existing_lead
from application.ports import UnitOfWork
from domain.leads import Lead


class GetLead:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, query: GetLeadQuery) -> Lead:
        async with self._uow as uow:
            return await existing_lead(uow, query.lead_id)
