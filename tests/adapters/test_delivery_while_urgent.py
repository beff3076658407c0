"""While a unit of work of this process holds the outbox's turn (its `Urgency` presses), the
holding manager puts fewer frames on sockets' queues per turn of the event loop, so that the
loop's turns stay short and the database's replies to that unit of work wait for little.
Delivery goes on meanwhile, and each socket still gets its frames in emit order."""

from __future__ import annotations

import asyncio

import pytest
from test_frames_in_slices import SOCKETS, Fleet

from adapters.socketio.managers import (
    FRAMES_PER_TURN,
    FRAMES_PER_TURN_WHILE_URGENT,
    HoldingRedisManager,
)
from adapters.urgency import Urgency


async def fleet_with(urgency: Urgency) -> Fleet:
    fleet = Fleet()
    fleet.manager.urgency = urgency
    await fleet.connect(SOCKETS)
    return fleet


async def queued_per_turn(fleet: Fleet, turns: int) -> list[int]:
    """How many frames were put in each of the next turns of the loop."""
    counts = []
    for _ in range(turns):
        before = fleet.queued()
        await asyncio.sleep(0)
        counts.append(fleet.queued() - before)
    return counts


async def test_while_the_turn_is_held_frames_go_in_smaller_slices_in_emit_order() -> None:
    urgency = Urgency()
    fleet = await fleet_with(urgency)
    urgency.begin()
    await fleet.created(1)
    await fleet.created(2)

    slices = await queued_per_turn(fleet, 4)
    assert slices == [FRAMES_PER_TURN_WHILE_URGENT] * 4

    urgency.end()
    slices = await queued_per_turn(fleet, 2)
    assert slices == [FRAMES_PER_TURN] * 2

    for _ in range(100):  # bounded: a slice a turn
        await asyncio.sleep(0)
    assert fleet.manager.frames_unqueued == 0
    assert [socket.event_ids() for socket in fleet.sockets] == [[1, 2]] * SOCKETS


async def test_what_waits_can_still_be_put_at_once() -> None:
    """A catch-up puts everything waiting first (`deliver_pending`), pressing or not."""
    urgency = Urgency()
    fleet = await fleet_with(urgency)
    urgency.begin()
    await fleet.created(1)

    fleet.manager.deliver_pending()

    assert fleet.queued() == SOCKETS


def test_an_urgency_ends_only_as_often_as_it_began() -> None:
    urgency = Urgency()
    urgency.begin()
    urgency.begin()
    urgency.end()
    assert urgency.pressing
    urgency.end()
    assert not urgency.pressing
    with pytest.raises(RuntimeError, match="without begin"):
        urgency.end()


def test_the_redis_manager_takes_the_urgency_it_is_given() -> None:
    urgency = Urgency()

    manager = HoldingRedisManager("redis://127.0.0.1:6379/0", channel="herald", urgency=urgency)

    assert manager.urgency is urgency
