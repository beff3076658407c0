"""A GraphQL subscription listens to its user's room as a socket does: the Socket.IO manager
sends it that user's counts with no socket connected; once it ends, a newer count still replaces
the one waiting for its room, and the room is no longer listened to."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

from adapters.socketio.managers import HoldingManager
from adapters.socketio.payloads import user_room
from adapters.socketio.publisher import UNREAD_COUNT
from application.commands import EventsSinceQuery
from application.delivery.events_since import EventsSince
from domain.events import StoredEvent
from entrypoints.live_events import LiveEvents


class EmptyHistory:
    """The event log as a subscription reads it first: nothing committed yet."""

    async def last_id(self) -> int:
        return 0

    async def resync_needed(self, query: EventsSinceQuery) -> bool:
        return False

    async def __call__(self, query: EventsSinceQuery) -> AsyncIterator[StoredEvent]:
        return
        yield


def count(event_id: int, value: int) -> dict[str, Any]:
    return {"count": value, "unseen": value, "eventId": event_id}


async def test_a_subscription_gets_its_users_counts_with_no_socket_connected() -> None:
    manager = HoldingManager(clock=lambda: 100.0)  # no window ends but by a flush
    sent: list[tuple[str, int]] = []
    manager.observers.append(
        lambda event, data, rooms: sent.extend((room, data["count"]) for room in rooms)
    )
    live = LiveEvents(manager)
    events = live.stream(cast(EventsSince, EmptyHistory()), "alice", after=0)
    first = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)  # subscribed: its history read, it waits for live events

    rooms = [user_room("alice"), user_room("bob")]
    await manager.emit(UNREAD_COUNT, count(1, 3), to=rooms)

    async with asyncio.timeout(5):
        assert await first == (UNREAD_COUNT, count(1, 3))
    await manager.emit(UNREAD_COUNT, count(2, 4), to=rooms)  # within alice's window: it waits
    assert manager.counts.waiting == 1  # alice's; bob has no listener here
    await events.aclose()
    assert manager.listened == [{}]  # the subscription's room went with it

    await manager.emit(UNREAD_COUNT, count(3, 5), to=rooms)  # replaces alice's waiting count
    manager.counts.flush()
    assert sent == [(user_room("alice"), 3), (user_room("alice"), 5)]
