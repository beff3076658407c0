"""EventsSince: what a client that comes back has missed, or that it must start afresh."""

from __future__ import annotations

from collections.abc import AsyncIterator

from application.commands import EventsSinceQuery
from application.ports import UnitOfWork
from domain.events import StoredEvent

PAGE_SIZE = 500


class EventsSince:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def last_id(self) -> int:
        """The id of the newest committed event: a client connecting now has seen up to it."""
        async with self._uow as uow:
            return (await uow.events.horizon()).last_id

    async def resync_needed(self, query: EventsSinceQuery) -> bool:
        """Whether the client's last event is older than the retained history (or unknown)."""
        async with self._uow as uow:
            horizon = await uow.events.horizon()
        return not horizon.purged_through <= query.last_event_id <= horizon.last_id

    async def __call__(self, query: EventsSinceQuery) -> AsyncIterator[StoredEvent]:
        """The user's retained events after `last_event_id`, oldest first, page by page."""
        after = query.last_event_id
        while True:
            async with self._uow as uow:
                page = await uow.events.history(query.user_id, after, PAGE_SIZE)
            for stored in page:
                yield stored
            if len(page) < PAGE_SIZE:
                return
            after = page[-1].id
