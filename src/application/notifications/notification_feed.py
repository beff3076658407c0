"""NotificationFeed: the caller's inbox a page at a time, from cursor to cursor, filtered."""

from __future__ import annotations

from uuid import UUID

import msgspec

from application.commands import NotificationFeedQuery
from application.notifications.list_notifications import check_page_size
from application.ports import CursorCodec, InboxPosition, InboxQueries, InboxSlice
from domain.errors import InvalidInput
from domain.ids import parse_id
from domain.notifications import InboxEntry


class FeedEdge(msgspec.Struct, frozen=True):
    """An entry, and the cursor that asks for the entries after it."""

    cursor: str
    entry: InboxEntry


class FeedPage(msgspec.Struct, frozen=True):
    edges: list[FeedEdge]
    has_next_page: bool
    end_cursor: str | None  # the last edge's cursor; None on an empty page


def related_lead(related_lead_id: str | None) -> UUID | None:
    """The lead a feed or group filter asks for, parsed; None for any lead."""
    return None if related_lead_id is None else parse_id(related_lead_id, "relatedLeadId")


def position_of(entry: InboxEntry) -> InboxPosition:
    return entry.notification.created_at, entry.notification.id


class NotificationFeed:
    def __init__(self, queries: InboxQueries, cursors: CursorCodec) -> None:
        self._queries, self._cursors = queries, cursors

    async def __call__(self, query: NotificationFeedQuery) -> FeedPage:
        first = check_page_size(query.first, "first")
        before = self._position_after(query)
        lead_id = related_lead(query.related_lead_id)
        # One more than asked: whether it comes back tells whether there is a next page.
        entries = await self._queries.page(
            InboxSlice(
                query.user_id,
                limit=first + 1,
                before=before,
                unread_only=query.unread_only,
                types=query.types,
                related_lead_id=lead_id,
                archived=query.archived,
            )
        )
        edges = [
            FeedEdge(self._cursors.encode(query.user_id, position_of(entry)), entry)
            for entry in entries[:first]
        ]
        return FeedPage(
            edges=edges,
            has_next_page=len(entries) > first,
            end_cursor=edges[-1].cursor if edges else None,
        )

    def _position_after(self, query: NotificationFeedQuery) -> InboxPosition | None:
        if query.after is None:
            return None
        position = self._cursors.decode(query.user_id, query.after)
        if position is None:
            raise InvalidInput("after", "is not a cursor of this feed")
        return position
