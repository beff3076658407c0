"""While a unit of work of this process holds the outbox's turn (its `Urgency` presses), the
holding manager puts no frames on sockets' queues, so that the event loop answers that unit of
work first; for the urgency's patience in a row at most, and each socket still gets its
frames in emit order."""

from __future__ import annotations

import asyncio
from itertools import pairwise

from test_frames_in_slices import SOCKETS, Fleet

from adapters.socketio.managers import FRAMES_PER_TURN
from adapters.urgency import Urgency


async def fleet_with(urgency: Urgency) -> Fleet:
    fleet = Fleet()
    fleet.manager.urgency = urgency
    await fleet.connect(SOCKETS)
    return fleet


async def test_frames_wait_while_the_turn_is_held_then_go_in_emit_order() -> None:
    urgency = Urgency(patience=60)
    fleet = await fleet_with(urgency)
    urgency.begin()
    await fleet.created(1)
    await fleet.created(2)

    await asyncio.sleep(0.02)  # many turns of the loop
    assert fleet.queued() == 0
    assert fleet.manager.frames_unqueued == 2 * SOCKETS

    urgency.end()
    for _ in range(200):  # bounded: a slice a turn, and a step aside's timer at most
        if fleet.queued() == 2 * SOCKETS:
            break
        await asyncio.sleep(0.001)
    assert [socket.event_ids() for socket in fleet.sockets] == [[1, 2]] * SOCKETS


async def test_frames_go_a_slice_at_a_time_once_the_patience_has_run_out() -> None:
    urgency = Urgency(patience=0.01)
    fleet = await fleet_with(urgency)
    urgency.begin()  # and never ended
    await fleet.created(1)

    seen: list[int] = []
    for _ in range(500):  # bounded: about a slice every 10 ms
        await asyncio.sleep(0.002)
        if not seen or fleet.queued() != seen[-1]:
            seen.append(fleet.queued())
        if fleet.queued() == SOCKETS:
            break
    assert seen[0] == 0  # it stepped aside first
    assert seen[-1] == SOCKETS
    # A slice at a time, each after waiting again, rather than all at once.
    assert all(later - earlier <= FRAMES_PER_TURN for earlier, later in pairwise(seen))
    assert [socket.event_ids() for socket in fleet.sockets] == [[1]] * SOCKETS


async def test_what_waits_can_still_be_put_at_once() -> None:
    """A catch-up puts everything waiting first (`deliver_pending`), pressing or not."""
    urgency = Urgency(patience=60)
    fleet = await fleet_with(urgency)
    urgency.begin()
    await fleet.created(1)

    fleet.manager.deliver_pending()

    assert fleet.queued() == SOCKETS
