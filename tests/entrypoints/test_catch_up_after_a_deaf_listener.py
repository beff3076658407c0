"""When the Redis listener hears again after a silence, every live client reads what it missed
from the history. A socket still catching up then gets one catch-up, not two side by side: its
history is read again after what it sent, before anything held since, so the events the
listener missed come in order and none twice. A GraphQL subscription reads them too."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
import socketio
from engineio import packet as eio_packet

from adapters.socketio.managers import HoldingManager
from adapters.socketio.payloads import user_room
from adapters.socketio.publisher import BULK_UPDATED, RESYNC
from adapters.socketio.server import SocketServer
from application.auth import Identity
from application.commands import EventsSinceQuery
from application.delivery.events_since import EventsSince
from application.notifications.confirm_delivery import ConfirmDelivery
from domain.events import NotificationsBulkUpdated, StoredEvent
from entrypoints.auth import Authenticator
from entrypoints.live_events import LiveEvents
from entrypoints.rate_limit import RateLimiter
from entrypoints.realtime import DeliveryConfirmations, Realtime


class History:
    """The event log as the catch-up reads it: each read takes the events committed so far,
    and hands them out one by one; `gate`, when set, holds a read after its first event."""

    def __init__(self) -> None:
        self.events: list[StoredEvent] = []
        self.gate: asyncio.Event | None = None
        self.expired_before = 0  # a client's last event older than this is told to resync
        self.unreachable = False  # reading the history fails

    def commit(self, event_id: int) -> dict[str, Any]:
        self.events.append(StoredEvent(event_id, NotificationsBulkUpdated("alice", event_id)))
        return {"action": "markAllAsRead", "count": event_id, "eventId": event_id}

    async def last_id(self) -> int:
        last = self.events[-1].id if self.events else 0
        await self._wait()  # read, then on its way back
        return last

    async def resync_needed(self, query: EventsSinceQuery) -> bool:
        if query.last_event_id < self.expired_before:
            await self._wait()
            return True
        return False

    async def __call__(self, query: EventsSinceQuery) -> AsyncIterator[StoredEvent]:
        if self.unreachable:
            raise OSError("the database went away")
        page = [stored for stored in self.events if stored.id > query.last_event_id]
        for number, stored in enumerate(page):
            if number == 1:
                await self._wait()
                if self.unreachable:
                    raise OSError("the database went away")
            yield stored

    async def _wait(self) -> None:
        if self.gate is not None:
            await self.gate.wait()


class EngineSocket:
    """An engine.io socket that keeps every packet it is given, queued or sent."""

    def __init__(self, server: socketio.AsyncServer, eio_sid: str) -> None:
        self.server, self.eio_sid = server, eio_sid
        self.frames: list[Any] = []
        self.closed = self.closing = False

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        """Closed by the server: as engine.io does, the Socket.IO session ends with it; a CLOSE
        packet is sent unless it is aborted."""
        await self.server._handle_eio_disconnect(self.eio_sid, reason)
        if not abort:
            self.frames.append(eio_packet.Packet(eio_packet.CLOSE))
        self.closed = True

    def put_nowait(self, frame: Any) -> None:
        self.frames.append(frame)

    @property
    def queue(self) -> EngineSocket:
        return self

    async def send(self, frame: Any) -> None:
        self.frames.append(frame)

    def received(self) -> list[int | str]:
        """The event id of each event, or the name of one without (a resync)."""
        # A Socket.IO EVENT packet: "2" then the JSON array [name, data].
        messages = [
            frame for frame in self.frames if frame and frame.packet_type == eio_packet.MESSAGE
        ]
        events = [json.loads(frame.data[1:]) for frame in messages if frame.data[0] == "2"]
        return [data.get("eventId", name) for name, data in events]


class Alice:
    """One user's socket on a Realtime whose history is `History`."""

    def __init__(self) -> None:
        self.history = History()
        self.manager = HoldingManager()
        self.server = SocketServer(client_manager=self.manager, async_mode="asgi")
        self.socket = EngineSocket(self.server, "eio-alice")
        self.server.eio.sockets["eio-alice"] = self.socket
        identity = Identity("alice", None, None, datetime.now(UTC) + timedelta(hours=1))
        self.realtime = Realtime(
            self.server,
            authenticator=cast(Authenticator, Accepting(identity)),
            events_since=lambda: cast(EventsSince, self.history),
            connect_limiter=cast(RateLimiter, Accepting(True)),
            max_sockets_per_user=5,
            confirmations=DeliveryConfirmations(cast(Callable[[], ConfirmDelivery], None)),
        )

    async def connect(self, last_event_id: int | None) -> None:
        self.sid = sid = await self.manager.pre_connect("eio-alice", "/")
        environ = {"asgi.scope": {"client": ("192.0.2.7", 50000)}}
        await self.realtime.connect(sid, environ, {"token": "t", "lastEventId": last_event_id})
        await self.manager.connect(sid, "/")  # as python-socketio does once the handler returns

    async def live(self, data: dict[str, Any]) -> None:
        """The event as the Redis listener hands it to this process."""
        await self.manager.emit(BULK_UPDATED, data, to=[user_room("alice")])


class Accepting:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    async def authenticate(self, token: str) -> Any:
        return self.answer

    async def allow(self, key: str, cost: int = 1) -> Any:
        return self.answer


async def settle() -> None:
    """Turns of the event loop until the catch-ups are done (bounded)."""
    for _ in range(200):
        await asyncio.sleep(0)


async def test_a_socket_catching_up_when_the_listener_hears_again_gets_every_event_in_order() -> (
    None
):
    alice = Alice()
    for event_id in (1, 2):  # emitted while alice was away
        await alice.live(alice.history.commit(event_id))
    alice.history.gate = asyncio.Event()
    await alice.connect(last_event_id=0)
    await settle()
    assert alice.socket.received() == [1]  # its catch-up waits on the database

    alice.history.commit(3)  # the listener is deaf: committed, never heard here
    alice.manager.resumed(2)  # subscribed again, having heard up to 2
    await alice.live(alice.history.commit(4))  # held for alice
    alice.history.gate.set()
    await settle()

    assert alice.socket.received() == [1, 2, 3, 4]
    await alice.live(alice.history.commit(5))  # live again
    await settle()
    assert alice.socket.received() == [1, 2, 3, 4, 5]


async def test_a_socket_told_to_resync_reads_again_from_where_the_listener_went_deaf() -> None:
    alice = Alice()
    for event_id in (1, 2):
        await alice.live(alice.history.commit(event_id))
    alice.history.expired_before = 1
    alice.history.gate = asyncio.Event()
    await alice.connect(last_event_id=0)
    await settle()

    alice.history.commit(3)  # missed by the deaf listener
    alice.manager.resumed(2)
    alice.history.gate.set()
    await settle()

    # The client refetches what came before the resync; what the listener missed follows.
    assert alice.socket.received() == [RESYNC, 3]


async def test_a_listener_that_hears_again_twice_is_caught_up_from_the_earlier_point() -> None:
    alice = Alice()
    for event_id in (1, 2):
        await alice.live(alice.history.commit(event_id))
    alice.history.gate = asyncio.Event()
    await alice.connect(last_event_id=0)
    await settle()

    alice.history.commit(3)
    alice.realtime.catch_up_everyone(2)
    alice.history.commit(4)
    alice.realtime.catch_up_everyone(3)  # deaf again: 4 missed too
    alice.history.gate.set()
    await settle()

    assert alice.socket.received() == [1, 2, 3, 4]


async def test_a_subscription_gets_what_the_deaf_listener_missed_in_order() -> None:
    alice = Alice()
    live = LiveEvents(alice.manager)
    for event_id in (1, 2):
        await alice.live(alice.history.commit(event_id))
    received: list[int] = []

    async def subscribe() -> None:
        history = cast(EventsSince, alice.history)
        async for _event, data in live.stream(history, "alice", after=2):
            received.append(data["eventId"])

    subscription = asyncio.ensure_future(subscribe())
    await settle()
    await alice.live(alice.history.commit(3))
    alice.history.commit(4)  # missed by the deaf listener
    alice.manager.resumed(3)
    await alice.live(alice.history.commit(5))
    await settle()
    subscription.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await subscription

    assert received == [3, 4, 5]


async def test_a_subscription_too_slow_for_its_queue_reads_the_rest_from_the_history() -> None:
    alice = Alice()
    live = LiveEvents(alice.manager, queue_limit=3)
    history = cast(EventsSince, alice.history)
    events = live.stream(history, "alice", after=0)
    received: list[int] = []
    await alice.live(alice.history.commit(1))
    received.append((await anext(events))[1]["eventId"])  # from the history, then live

    for event_id in range(2, 10):  # it reads nothing meanwhile: its queue of 3 overflows
        await alice.live(alice.history.commit(event_id))
    async with asyncio.timeout(5):
        while len(received) < 9:
            received.append((await anext(events))[1]["eventId"])
        await alice.live(alice.history.commit(10))  # and it goes on live
        received.append((await anext(events))[1]["eventId"])
    await events.aclose()

    assert received == list(range(1, 11))


async def test_a_socket_caught_up_once_is_not_sent_the_same_events_again() -> None:
    alice = Alice()
    await alice.connect(last_event_id=None)
    await settle()
    for event_id in (1, 2):
        await alice.live(alice.history.commit(event_id))
    alice.history.commit(3)  # missed by the deaf listener
    alice.manager.resumed(2)
    await settle()

    alice.manager.resumed(2)  # away again, nothing heard meanwhile
    await settle()

    assert alice.socket.received() == [1, 2, 3]


async def test_a_socket_whose_handshake_read_now_before_what_was_missed_gets_it() -> None:
    alice = Alice()
    for event_id in (1, 2):
        await alice.live(alice.history.commit(event_id))
    alice.history.gate = asyncio.Event()
    handshake = asyncio.ensure_future(alice.connect(last_event_id=None))
    await settle()  # "now" is 2, on its way back

    alice.history.commit(3)  # missed by the deaf listener, after alice's "now"
    alice.manager.resumed(2)
    alice.history.gate.set()
    await handshake
    await settle()

    assert alice.socket.received() == [3]


async def test_a_socket_whose_catch_up_fails_is_closed_with_nothing_newer_sent() -> None:
    alice = Alice()
    for event_id in (1, 2):
        await alice.live(alice.history.commit(event_id))
    alice.history.unreachable = True
    await alice.connect(last_event_id=0)
    await alice.live(alice.history.commit(3))  # held
    await settle()

    # The connection is dropped (its writer woken with None, which closes it): its client
    # connects again with lastEventId 0, and gets 1, 2 and 3 then.
    assert alice.socket.frames == [None]
    assert alice.socket.closed
    assert alice.realtime.connected == 0


@pytest.mark.parametrize("then", ["the rest is read", "the read fails"])
async def test_a_socket_that_leaves_while_it_catches_up_keeps_nothing_behind(then: str) -> None:
    alice = Alice()
    for event_id in (1, 2, 3):
        await alice.live(alice.history.commit(event_id))
    alice.history.gate = asyncio.Event()
    await alice.connect(last_event_id=0)
    await settle()  # 1 sent, the rest on its way

    await alice.socket.close()  # the client goes away
    alice.history.unreachable = then == "the read fails"
    alice.history.gate.set()
    await settle()

    assert alice.realtime.connected == 0
    assert alice.manager._held == {}  # what the manager holds, for no socket
    assert alice.manager.floor(alice.sid) is None
