"""The holding manager puts each event's frame on its recipients' queues a slice at a time, so
that the event loop reads the network between slices; each socket still gets its frames in
emit order, and holding is decided as a socket's frame is put."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import socketio

from adapters.socketio.managers import FRAMES_PER_TURN, HoldingManager
from adapters.socketio.payloads import user_room
from adapters.socketio.publisher import CREATED

SOCKETS = 3 * FRAMES_PER_TURN + 10


class EngineSocket:
    """What the manager uses of an engine.io socket: its queue of outgoing packets."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.closed = False

    def event_ids(self) -> list[int]:
        frames = [self.queue.get_nowait() for _ in range(self.queue.qsize())]
        # A Socket.IO EVENT packet: "2" then the JSON array [name, data].
        return [json.loads(frame.data[1:])[1]["eventId"] for frame in frames]


class Fleet:
    def __init__(self) -> None:
        self.manager = HoldingManager()
        self.server = socketio.AsyncServer(client_manager=self.manager, async_mode="asgi")
        self.sockets: list[EngineSocket] = []
        self.sids: list[str] = []

    async def connect(self, count: int) -> None:
        for number in range(count):
            socket = EngineSocket()
            self.server.eio.sockets[f"eio-{number}"] = socket
            sid = await self.manager.connect(f"eio-{number}", "/")
            await self.manager.enter_room(sid, "/", user_room(f"user-{number}"))
            self.sockets.append(socket)
            self.sids.append(sid)

    async def created(self, event_id: int) -> None:
        rooms = [user_room(f"user-{number}") for number in range(len(self.sockets))]
        await self.manager.emit(CREATED, {"eventId": event_id}, to=rooms)

    def queued(self) -> int:
        return sum(socket.queue.qsize() for socket in self.sockets)


async def settle() -> None:
    """Turns of the event loop until every slice is put (bounded)."""
    for _ in range(100):
        await asyncio.sleep(0)


async def test_an_event_to_many_sockets_goes_out_a_slice_per_turn_of_the_loop() -> None:
    fleet = Fleet()
    await fleet.connect(SOCKETS)
    await fleet.created(1)
    assert fleet.queued() == 0  # nothing is put by the emit itself

    seen: list[int] = []
    loop = asyncio.get_running_loop()
    loop.call_soon(lambda: seen.append(fleet.queued()))  # what runs between two slices
    await settle()

    assert seen == [FRAMES_PER_TURN]
    assert fleet.queued() == SOCKETS


async def test_each_socket_gets_its_frames_in_emit_order() -> None:
    fleet = Fleet()
    await fleet.connect(SOCKETS)
    for event_id in (1, 2, 3):
        await fleet.created(event_id)
    await settle()

    assert [socket.event_ids() for socket in fleet.sockets] == [[1, 2, 3]] * SOCKETS


async def test_a_socket_held_before_its_frame_is_put_gets_the_event_held() -> None:
    fleet = Fleet()
    await fleet.connect(SOCKETS)
    await fleet.created(1)
    last = fleet.sids[-1]
    fleet.manager.hold(last)  # catching up, while the event's slices are still going out
    await settle()

    assert fleet.manager.take_held(last) == [(CREATED, {"eventId": 1})]
    assert fleet.sockets[-1].event_ids() == []
    assert [socket.event_ids() for socket in fleet.sockets[:-1]] == [[1]] * (SOCKETS - 1)


async def test_what_waits_can_be_put_at_once() -> None:
    fleet = Fleet()
    await fleet.connect(SOCKETS)
    await fleet.created(1)
    await fleet.created(2)

    fleet.manager.deliver_pending()

    assert [socket.event_ids() for socket in fleet.sockets] == [[1, 2]] * SOCKETS
    await settle()
    assert fleet.queued() == 0  # nothing put twice
