"""The holding manager puts each event's frame on its recipients' queues a slice at a time, so
that the event loop reads the network between slices; each socket still gets its frames in
emit order, and holding is decided as a socket's frame is put."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from typing import Any

import pytest
import socketio

from adapters.socketio.coalescing import WINDOW_SECONDS
from adapters.socketio.managers import FRAMES_PER_TURN, HoldingManager
from adapters.socketio.payloads import user_room
from adapters.socketio.publisher import CREATED, UNREAD_COUNT

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
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.manager = HoldingManager(clock=clock)
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

    async def created(self, event_id: int, numbers: range | None = None) -> None:
        """An event to the users of these numbers (every one by default)."""
        numbers = range(len(self.sockets)) if numbers is None else numbers
        rooms = [user_room(f"user-{number}") for number in numbers]
        await self.manager.emit(CREATED, {"eventId": event_id}, to=rooms)

    def queued(self) -> int:
        return sum(socket.queue.qsize() for socket in self.sockets)


@pytest.fixture
async def fleet() -> Fleet:
    """`SOCKETS` sockets, each of its own user."""
    connected = Fleet()
    await connected.connect(SOCKETS)
    return connected


async def settle() -> None:
    """Turns of the event loop until every slice is put (bounded)."""
    for _ in range(100):
        await asyncio.sleep(0)


async def test_an_event_to_many_sockets_goes_out_a_slice_per_turn_of_the_loop(fleet: Fleet) -> None:
    await fleet.created(1)
    assert fleet.queued() == 0  # nothing is put by the emit itself

    seen: list[int] = []
    loop = asyncio.get_running_loop()

    def look() -> None:  # runs between two slices, until every frame is put
        seen.append(fleet.queued())
        if seen[-1] < SOCKETS:
            loop.call_soon(look)

    loop.call_soon(look)
    await settle()

    assert seen == [FRAMES_PER_TURN, 2 * FRAMES_PER_TURN, 3 * FRAMES_PER_TURN, SOCKETS]


async def test_frames_waiting_are_counted_until_put_then_until_written(fleet: Fleet) -> None:
    # What /metrics reads: frames not yet put on their sockets' queues, then those on them.
    await fleet.created(1)
    await fleet.created(2, range(2))
    fleet.manager.hold(fleet.sids[0])  # a held socket's frames leave the count too

    assert fleet.manager.frames_unqueued == SOCKETS + 2
    assert fleet.manager.frames_queued() == 0
    await asyncio.sleep(0)  # one slice: sockets 0 and 1 with both their frames (0's held)
    assert fleet.manager.frames_unqueued == SOCKETS + 2 - FRAMES_PER_TURN
    assert fleet.manager.frames_queued() == FRAMES_PER_TURN - 2
    await settle()

    assert fleet.manager.frames_unqueued == 0
    assert fleet.manager.frames_queued() == SOCKETS + 2 - 2 == fleet.queued()
    fleet.sockets[1].event_ids()  # its writer took them
    assert fleet.manager.frames_queued() == SOCKETS - 2


async def test_each_socket_gets_its_frames_in_emit_order(fleet: Fleet) -> None:
    # The last socket's frame of event 2 (its only recipient) waits for event 1's to every
    # socket before it.
    await fleet.created(1)
    await fleet.created(2, range(SOCKETS - 1, SOCKETS))
    await fleet.created(3)
    await settle()

    assert [socket.event_ids() for socket in fleet.sockets] == [
        *[[1, 3]] * (SOCKETS - 1),
        [1, 2, 3],
    ]


async def test_a_socket_gets_its_frames_of_every_waiting_event_together(fleet: Fleet) -> None:
    # Behind a burst: its writer sends them in one go, and the slice counts them all.
    for event_id in (1, 2, 3):
        await fleet.created(event_id)
    await fleet.created(4, range(1, 2))

    await asyncio.sleep(0)  # one slice
    served = [socket.event_ids() for socket in fleet.sockets]

    # Sockets 0 (three frames) and 1 (four), then three frames each until the slice is full.
    first = 2 + math.ceil((FRAMES_PER_TURN - 3 - 4) / 3)
    assert served == [
        [1, 2, 3],
        [1, 2, 3, 4],
        *[[1, 2, 3]] * (first - 2),
        *[[]] * (SOCKETS - first),
    ]
    await settle()
    assert [socket.event_ids() for socket in fleet.sockets[first:]] == [[1, 2, 3]] * (
        SOCKETS - first
    )


async def test_a_slice_ends_with_the_socket_whose_frames_reach_the_budget(fleet: Fleet) -> None:
    events = range(1, FRAMES_PER_TURN + 11)
    for event_id in events:
        await fleet.created(event_id, range(1))
    await fleet.created(FRAMES_PER_TURN + 11)

    await asyncio.sleep(0)  # one slice: socket 0's frames, all of them, and nobody else's
    assert fleet.sockets[0].event_ids() == [*events, FRAMES_PER_TURN + 11]
    assert fleet.queued() == 0
    await settle()
    assert [socket.event_ids() for socket in fleet.sockets[1:]] == [[FRAMES_PER_TURN + 11]] * (
        SOCKETS - 1
    )
    assert fleet.manager.frames_unqueued == 0


async def test_events_each_to_another_socket_all_go_out(fleet: Fleet) -> None:
    for number in range(SOCKETS):
        await fleet.created(number + 1, range(number, number + 1))

    fleet.manager.deliver_pending()

    assert [socket.event_ids() for socket in fleet.sockets] == [
        [number + 1] for number in range(SOCKETS)
    ]
    assert fleet.manager.frames_unqueued == 0


async def test_a_socket_in_several_rooms_of_an_event_gets_it_once(fleet: Fleet) -> None:
    await fleet.manager.enter_room(fleet.sids[0], "/", user_room("user-1"))
    rooms = [user_room("user-0"), user_room("user-1"), user_room("nobody")]

    await fleet.manager.emit(CREATED, {"eventId": 1}, to=rooms)
    await settle()

    assert [socket.event_ids() for socket in fleet.sockets[:3]] == [[1], [1], []]


@pytest.mark.parametrize("skipped", ["one", "several"])
async def test_the_skipped_sockets_get_nothing(fleet: Fleet, skipped: str) -> None:
    skip = fleet.sids[0] if skipped == "one" else fleet.sids[:2]
    rooms = [user_room(f"user-{number}") for number in range(3)]

    await fleet.manager.emit(CREATED, {"eventId": 1}, to=rooms, skip_sid=skip)
    await settle()

    expected = [[], [1], [1]] if skipped == "one" else [[], [], [1]]
    assert [socket.event_ids() for socket in fleet.sockets[:3]] == expected


async def test_a_socket_held_before_its_frame_is_put_gets_the_event_held(fleet: Fleet) -> None:
    await fleet.created(1)
    last = fleet.sids[-1]
    fleet.manager.hold(last)  # catching up, while the event's slices are still going out
    await settle()

    assert fleet.manager.take_held(last) == [(CREATED, {"eventId": 1})]
    assert fleet.sockets[-1].event_ids() == []
    assert [socket.event_ids() for socket in fleet.sockets[:-1]] == [[1]] * (SOCKETS - 1)


async def test_what_waits_can_be_put_at_once(fleet: Fleet) -> None:
    await fleet.created(1)
    await fleet.created(2)

    fleet.manager.deliver_pending()

    assert [socket.event_ids() for socket in fleet.sockets] == [[1, 2]] * SOCKETS
    await settle()
    assert fleet.queued() == 0  # nothing put twice


async def test_a_floor_set_while_frames_wait_drops_those_it_covers(fleet: Fleet) -> None:
    await fleet.created(1)
    await fleet.created(2)
    last = fleet.sids[-1]
    fleet.manager.hold(last)
    fleet.manager.release(last, floor=1)  # it caught up through event 1 meanwhile
    await settle()

    assert fleet.sockets[-1].event_ids() == [2]
    assert fleet.sockets[0].event_ids() == [1, 2]


async def test_a_session_that_ended_before_its_frame_was_put_gets_nothing(fleet: Fleet) -> None:
    # Its engine.io connection stays open (a token that expired, a refused handshake).
    await fleet.created(1)
    await fleet.manager.disconnect(fleet.sids[-1], "/")
    await settle()

    assert fleet.sockets[-1].event_ids() == []
    assert [socket.event_ids() for socket in fleet.sockets[:-1]] == [[1]] * (SOCKETS - 1)


async def test_a_listener_that_hears_again_puts_what_waits_before_the_catch_ups(
    fleet: Fleet,
) -> None:
    # The catch-ups start after the newest event heard, whose frames may still wait.
    await fleet.created(1)
    catch_ups: list[tuple[int, int]] = []
    fleet.manager.on_resumed.append(lambda after: catch_ups.append((after, fleet.queued())))

    fleet.manager.resumed(1)

    assert catch_ups == [(1, SOCKETS)]
    assert [socket.event_ids() for socket in fleet.sockets] == [[1]] * SOCKETS


async def test_a_count_waiting_for_its_window_is_not_lost_when_everyone_catches_up() -> None:
    # The catch-up starts after the newest event heard, a count held back for its window
    # included: it replays only what came after, and the socket's floor then covers the count.
    now = [100.0]
    fleet = Fleet(clock=lambda: now[0])
    await fleet.connect(2)
    rooms = [user_room("user-0")]
    await fleet.manager.emit(UNREAD_COUNT, {"count": 1, "unseen": 1, "eventId": 1}, to=rooms)
    await fleet.manager.emit(UNREAD_COUNT, {"count": 2, "unseen": 2, "eventId": 2}, to=rooms)
    await settle()
    assert fleet.sockets[0].event_ids() == [1]  # the second waits for the window's end

    after = fleet.manager.last_event_id
    fleet.manager.resumed(after)
    # The socket's own catch-up: held, nothing in the history after `after`, released.
    fleet.manager.hold(fleet.sids[0])
    fleet.manager.release(fleet.sids[0], floor=after)
    now[0] += WINDOW_SECONDS
    fleet.manager.counts.due()
    await settle()

    assert fleet.sockets[0].event_ids() == [2]
    assert fleet.manager.counts.waiting == 0
