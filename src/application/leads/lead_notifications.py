"""LeadNotifications and Receipts: how the team was told about a lead, and who got it.

Leads are shared: every registered user may see what was sent about one, and to whom.
"""

from __future__ import annotations

from application.commands import LeadNotificationsQuery, ReceiptsQuery
from application.notifications.list_notifications import check_page_size
from application.ports import InboxQueries
from domain.ids import parse_id
from domain.notifications import Receipt, SentNotification


class LeadNotifications:
    def __init__(self, queries: InboxQueries) -> None:
        self._queries = queries

    async def __call__(self, query: LeadNotificationsQuery) -> list[SentNotification]:
        limit = check_page_size(query.limit)
        return await self._queries.sent_about(parse_id(query.lead_id, "id"), limit)


class Receipts:
    def __init__(self, queries: InboxQueries) -> None:
        self._queries = queries

    async def __call__(self, query: ReceiptsQuery) -> list[Receipt]:
        limit = check_page_size(query.limit)
        return await self._queries.receipts(parse_id(query.notification_id), limit)
