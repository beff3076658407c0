"""Socket.IO client managers that can hold a socket's live events while it catches up.

A socket that reconnects with `lastEventId` first gets what it missed from the event history;
live events addressed to it meanwhile are held, then sent after the history, in order. The same
holding works for the in-process manager and for the Redis one that joins several processes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import socketio

log = logging.getLogger("herald.socketio")

Held = list[tuple[str, dict[str, Any]]]


class PublishFailed(Exception):
    """An event could not be handed to Redis; the relay will try again."""


class HoldingManager(socketio.AsyncManager):  # type: ignore[misc]
    """Local delivery, with sockets whose events can be held for a while."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: dict[str, Held] = {}
        # After catching up, a socket has had every event up to its floor: a late live copy of
        # one of those (the relay lagging behind the history) is not sent again.
        self._floors: dict[str, int] = {}
        self.last_event_id = 0  # the newest event this process has delivered
        # Called with every event this process delivers (name, payload, rooms): other live
        # transports (GraphQL subscriptions) are fed from here, so all share one publisher.
        self.observers: list[Callable[[str, dict[str, Any], list[str]], None]] = []

    async def emit(  # the local delivery of every event that reaches this process
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        event_id = data.get("eventId") if isinstance(data, dict) else None
        if isinstance(event_id, int):
            self.last_event_id = max(self.last_event_id, event_id)
            rooms = [room] if isinstance(room, str) else list(room or [])
            for observe in self.observers:
                observe(event, data, rooms)
            if self._held or self._floors:
                skip_sid = self._hold_for(event, data, namespace or "/", room, skip_sid)
        await super().emit(
            event, data, namespace=namespace, room=room, skip_sid=skip_sid, callback=callback
        )

    def _hold_for(
        self, event: str, data: dict[str, Any], namespace: str, room: Any, skip_sid: Any
    ) -> list[str]:
        skipped = [skip_sid] if isinstance(skip_sid, str) else list(skip_sid or [])
        for sid, _ in self.get_participants(namespace, room):
            if sid in self._held:
                self._held[sid].append((event, data))
                skipped.append(sid)
            elif sid in self._floors:
                if data["eventId"] <= self._floors[sid]:
                    skipped.append(sid)
                else:
                    del self._floors[sid]
        return skipped

    def hold(self, sid: str) -> None:
        self._held.setdefault(sid, [])

    def take_held(self, sid: str) -> Held:
        """What was held for the socket so far; it stays held until `release`."""
        held, self._held[sid] = self._held.get(sid, []), []
        return held

    def release(self, sid: str, floor: int | None = None) -> None:
        """Back to live delivery; events up to `floor` are not sent to it again."""
        self._held.pop(sid, None)
        if floor is None:
            self._floors.pop(sid, None)
        else:
            self._floors[sid] = floor

    async def send_now(self, sid: str, event: str, data: dict[str, Any]) -> None:
        """Send to this socket only, past any holding and past Redis."""
        await socketio.AsyncManager.emit(self, event, data, namespace="/", room=sid)


class HoldingRedisManager(socketio.AsyncRedisManager, HoldingManager):  # type: ignore[misc]
    """The Redis manager, with holding, failures that reach the caller, and a listener whose
    health is known.

    python-socketio only logs a failed publish: here it raises, so the relay keeps the events and
    publishes them again. Each process publishes a heartbeat on the channel every second; hearing
    any message proves its own listener is subscribed. When it hears again after a silence, it
    calls `on_resumed` so that local sockets can catch up on what it missed.
    """

    HEARTBEAT_SECONDS = 1.0
    SILENCE_SECONDS = 3.0
    connected: bool  # set by python-socketio: whether its Redis client is connected

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self._last_heard = 0.0
        self.on_resumed: Callable[[int], None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    def initialize(self) -> None:
        super().initialize()
        if not self.write_only:
            self._heartbeat = asyncio.ensure_future(self._beat())

    def listener_alive(self) -> bool:
        return time.monotonic() - self._last_heard < self.SILENCE_SECONDS

    async def _publish(self, data: Any) -> None:
        try:
            if not self.connected:
                self._redis_connect()
            await self.redis.publish(self.channel, self.json.dumps(data))
        except Exception as error:
            self.connected = False
            raise PublishFailed(f"{type(error).__name__}: {error}") from error

    async def _listen(self) -> Any:
        async for message in super()._listen():
            resumed = not self.listener_alive() and self._last_heard > 0
            self._last_heard = time.monotonic()
            if resumed and self.on_resumed is not None:
                log.warning("the Redis listener hears again: local sockets catch up")
                self.on_resumed(self.last_event_id)
            yield message

    async def _beat(self) -> None:
        while True:
            try:
                await self._publish({"method": "heartbeat", "host_id": self.host_id})
            except PublishFailed as error:
                log.debug("no heartbeat: %s", error)
            await asyncio.sleep(self.HEARTBEAT_SECONDS)
