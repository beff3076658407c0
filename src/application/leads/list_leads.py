"""ListLeads: the team's leads, newest first."""

from __future__ import annotations

from application.commands import ListLeadsQuery
from application.notifications.list_notifications import check_page_size
from application.ports import UnitOfWork
from domain.leads import Lead


class ListLeads:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, query: ListLeadsQuery) -> list[Lead]:
        limit = check_page_size(query.limit)
        async with self._uow as uow:
            return await uow.leads.newest(limit)
