"""GetUnreadCount: how many of the caller's notifications are still unread."""

from __future__ import annotations

from application.commands import GetUnreadCountQuery
from application.ports import InboxQueries


class GetUnreadCount:
    def __init__(self, queries: InboxQueries) -> None:
        self._queries = queries

    async def __call__(self, query: GetUnreadCountQuery) -> int:
        return await self._queries.unread_count(query.user_id)
