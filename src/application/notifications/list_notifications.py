"""ListNotifications: the caller's inbox, newest first."""

from __future__ import annotations

from application.commands import ListNotificationsQuery
from application.ports import InboxQueries, InboxSlice
from domain.errors import InvalidInput
from domain.notifications import InboxEntry

MAX_PAGE_SIZE = 100


def check_page_size(value: int, field: str = "limit") -> int:
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise InvalidInput(field, f"must be 1..{MAX_PAGE_SIZE}")
    return value


class ListNotifications:
    def __init__(self, queries: InboxQueries) -> None:
        self._queries = queries

    async def __call__(self, query: ListNotificationsQuery) -> list[InboxEntry]:
        limit = check_page_size(query.limit)
        return await self._queries.page(InboxSlice(query.user_id, limit))
