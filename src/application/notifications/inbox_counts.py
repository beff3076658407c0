"""GetInboxCounts: the caller's unread, unseen and total counts, archived ones left out."""

from __future__ import annotations

from application.commands import InboxCountsQuery
from application.ports import InboxQueries
from domain.notifications import InboxCounts


class GetInboxCounts:
    def __init__(self, queries: InboxQueries) -> None:
        self._queries = queries

    async def __call__(self, query: InboxCountsQuery) -> InboxCounts:
        return await self._queries.counts(query.user_id)
