"""NotificationGroups: the caller's inbox as groups, a page at a time, from cursor to cursor."""

from __future__ import annotations

import msgspec

from application.commands import NotificationGroupsQuery
from application.notifications.list_notifications import check_page_size
from application.notifications.notification_feed import related_lead
from application.ports import CursorCodec, GroupPosition, GroupSlice, InboxQueries
from domain.errors import InvalidInput
from domain.notifications import NotificationGroup


class GroupEdge(msgspec.Struct, frozen=True):
    """A group, and the cursor that asks for the groups after it."""

    cursor: str
    group: NotificationGroup


class GroupPage(msgspec.Struct, frozen=True):
    edges: list[GroupEdge]
    has_next_page: bool
    end_cursor: str | None  # the last edge's cursor; None on an empty page


def group_position(group: NotificationGroup) -> GroupPosition:
    return group.last_at, group.key


class NotificationGroups:
    def __init__(self, queries: InboxQueries, cursors: CursorCodec) -> None:
        self._queries, self._cursors = queries, cursors

    async def __call__(self, query: NotificationGroupsQuery) -> GroupPage:
        first = check_page_size(query.first, "first")
        after = None
        if query.after is not None:
            after = self._cursors.decode_group(query.user_id, query.after)
            if after is None:
                raise InvalidInput("after", "is not a cursor of these groups")
        lead_id = related_lead(query.related_lead_id)
        # One more than asked: whether it comes back tells whether there is a next page.
        groups = await self._queries.groups(
            GroupSlice(
                query.user_id,
                limit=first + 1,
                after=after,
                unread_only=query.unread_only,
                types=query.types,
                related_lead_id=lead_id,
                archived=query.archived,
            )
        )
        edges = [
            GroupEdge(self._cursors.encode_group(query.user_id, group_position(group)), group)
            for group in groups[:first]
        ]
        return GroupPage(
            edges=edges,
            has_next_page=len(groups) > first,
            end_cursor=edges[-1].cursor if edges else None,
        )
