"""`InboxQueries` in memory: the store's committed state, read as the repository reads it."""

from __future__ import annotations

from adapters.memory.unit_of_work import InMemoryInboxRepository, InMemoryStore
from application.ports import InboxSlice
from domain.notifications import InboxEntry


class InMemoryInboxQueries:
    """Reads what was committed last, without waiting for a transaction in progress (as a
    database reader would not); entries are copies, so callers cannot change the store."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def unread_count(self, user_id: str) -> int:
        return await self._committed().unread_count(user_id)

    async def page(self, wanted: InboxSlice) -> list[InboxEntry]:
        return await self._committed().page(
            wanted.user_id,
            limit=wanted.limit,
            before=wanted.before,
            unread_only=wanted.unread_only,
            types=wanted.types,
            related_lead_id=wanted.related_lead_id,
        )

    async def close(self) -> None:
        """Nothing to release."""

    def _committed(self) -> InMemoryInboxRepository:
        # The state is replaced, not changed, by each commit: take the current one per call.
        return InMemoryInboxRepository(self._store.state)
