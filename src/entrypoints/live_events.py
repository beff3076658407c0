"""The live-event feed of this process: every event its Socket.IO manager delivers, offered to
the other live transports (GraphQL subscriptions), after the history a client missed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from adapters.socketio.managers import HoldingManager
from adapters.socketio.payloads import user_room
from application.delivery.events_since import EventsSince
from entrypoints.catch_up import Message, Missed

# Events waiting for one slow subscriber; past it, what it has not read is read again from the
# history instead (the queue's events are all there).
QUEUE_LIMIT = 10_000
# Queued like an event: the events after its `eventId` may not have been heard here.
CATCH_UP = "catch-up"


class Subscriber:
    def __init__(self, limit: int) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue(limit)
        self.overflowed = False

    def offer(self, message: Message) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True

    def drop_queued(self) -> None:
        """Forget what waits (it is read from the history instead); live events queue again."""
        self.queue = asyncio.Queue(self.queue.maxsize)
        self.overflowed = False


class LiveEvents:
    """The subscribers of this process, fed with every event the Socket.IO manager delivers here
    (from this process's relay, or through Redis from another's): one publisher for both."""

    def __init__(self, manager: HoldingManager, queue_limit: int = QUEUE_LIMIT) -> None:
        self._subscribers: dict[str, set[Subscriber]] = {}  # by user room
        self._queue_limit = queue_limit
        manager.observers.append(self._deliver)
        manager.listened.append(self._subscribers)
        manager.on_resumed.append(self._catch_up)

    def _deliver(self, event: str, data: dict[str, Any], rooms: list[str]) -> None:
        if not self._subscribers:
            return
        for room in rooms:
            for subscriber in self._subscribers.get(room, ()):
                subscriber.offer((event, data))

    def _catch_up(self, after: int) -> None:
        """The Redis listener was away: every subscriber reads the history after `after`
        again, in its turn (after the events queued before this)."""
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber.offer((CATCH_UP, {"eventId": after}))

    @contextlib.contextmanager
    def _subscribe(self, user_id: str) -> Iterator[Subscriber]:
        subscriber, room = Subscriber(self._queue_limit), user_room(user_id)
        self._subscribers.setdefault(room, set()).add(subscriber)
        try:
            yield subscriber
        finally:
            mine = self._subscribers[room]
            mine.discard(subscriber)
            if not mine:
                del self._subscribers[room]

    async def stream(
        self, events_since: EventsSince, user_id: str, after: int | None
    ) -> AsyncIterator[Message]:
        """What the user missed after `after`, then live events, in order and without repeats.

        A subscriber too far behind (its queue full) reads what it has not had from the history,
        as after a deaf Redis listener, then goes on live: slow, it loses nothing.
        """
        with self._subscribe(user_id) as subscriber:  # live events wait while history is read
            missed = Missed(events_since, user_id, after)
            await missed.start()
            start = missed.through or 0  # nothing before it is owed to the subscriber live
            async for message in missed.messages():
                yield message
            while True:
                if subscriber.overflowed:
                    subscriber.drop_queued()
                    event, data = CATCH_UP, {"eventId": start}
                else:
                    event, data = await subscriber.queue.get()
                if event == CATCH_UP:  # as a socket's (see `Realtime.catch_up`)
                    since = data["eventId"] if missed.through is None else missed.through
                    missed = Missed(events_since, user_id, max(since, start))
                    async for message in missed.messages():
                        yield message
                elif missed.is_new(data):
                    missed.through = data["eventId"]
                    yield event, data
