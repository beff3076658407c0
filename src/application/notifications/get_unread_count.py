"""GetUnreadCount: how many of the caller's notifications are still unread."""

from __future__ import annotations

from application.commands import GetUnreadCountQuery
from application.ports import UnitOfWork


class GetUnreadCount:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, query: GetUnreadCountQuery) -> int:
        async with self._uow as uow:
            return await uow.inbox.unread_count(query.user_id)
