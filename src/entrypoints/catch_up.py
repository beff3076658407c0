"""What a returning client is owed: the history both Socket.IO and GraphQL subscriptions replay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from adapters.socketio.publisher import RESYNC, messages_to
from application.commands import EventsSinceQuery
from application.delivery.events_since import EventsSince

Message = tuple[str, dict[str, Any]]


class Missed:
    """The messages a client connecting now is owed, oldest first.

    With no `after`, none: the client gets only what is committed from now on. After the
    messages, `through` is the newest event id the client has; None after a resync, when the
    client refetches everything.
    """

    def __init__(self, events_since: EventsSince, user_id: str, after: int | None) -> None:
        self._events_since, self._user_id, self._after = events_since, user_id, after
        self.through: int | None = after
        self._started = after is not None

    async def start(self) -> None:
        """With no `after`, "now" is read here: the newest event committed. Called before the
        client learns it is connected, whatever it does next is owed to it."""
        if not self._started:
            self.through = await self._events_since.last_id()
            self._started = True

    async def messages(self) -> AsyncIterator[Message]:
        if self._after is None:
            await self.start()
            return
        query = EventsSinceQuery(self._user_id, self._after)
        if await self._events_since.resync_needed(query):
            self.through = None
            yield RESYNC, {"reason": "history-expired"}
            return
        async for stored in self._events_since(query):
            for event, payload in messages_to(stored, self._user_id):
                yield event, payload
            self.through = stored.id

    def is_new(self, data: dict[str, Any]) -> bool:
        """Whether a live message still has to be sent, after what `messages` sent."""
        return self.through is None or data["eventId"] > self.through
