"""`LightQueue` and `Flag` behave as `asyncio.Queue` and `asyncio.Event` do where connections use
them (order, waiting, cancellation, `task_done` and `join`), for a fraction of their memory."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Callable

import pytest

from adapters.queues import Flag, LightQueue
from adapters.socketio.server import FrameQueue


async def test_a_flag_lets_waiters_through_once_set_and_holds_them_once_cleared() -> None:
    flag = Flag()
    waiters = [asyncio.create_task(flag.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not flag.is_set()
    assert not any(waiter.done() for waiter in waiters)

    flag.set()

    assert await asyncio.wait_for(asyncio.gather(*waiters), 1) == [True, True]
    assert await flag.wait()  # set: no wait at all
    flag.clear()
    held = asyncio.create_task(flag.wait())
    await asyncio.sleep(0)
    assert not held.done()
    held.cancel()
    await asyncio.gather(held, return_exceptions=True)
    assert flag._waiters == []  # a cancelled waiter leaves nothing behind


async def test_items_come_out_in_the_order_they_went_in_across_many_puts_and_gets() -> None:
    queue = LightQueue()
    taken = []
    for number in range(100):
        queue.put_nowait(number)
    taken += [queue.get_nowait() for _ in range(70)]  # the taken ones are dropped meanwhile
    for number in range(100, 150):
        await queue.put(number)
    while not queue.empty():
        taken.append(await queue.get())

    assert taken == list(range(150))
    assert queue.qsize() == 0
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_a_waiting_reader_gets_the_next_item_and_readers_are_served_in_order() -> None:
    queue = LightQueue()
    first, second = asyncio.create_task(queue.get()), asyncio.create_task(queue.get())
    await asyncio.sleep(0)

    queue.put_nowait("one")
    queue.put_nowait("two")

    assert await asyncio.wait_for(asyncio.gather(first, second), 1) == ["one", "two"]


@pytest.mark.parametrize("make", [LightQueue, FrameQueue])  # a coroutine's wait, a future's
async def test_a_reader_cancelled_while_it_waits_takes_nothing(
    make: Callable[[], LightQueue],
) -> None:
    queue = make()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.get(), 0.01)

    queue.put_nowait("item")

    assert queue.qsize() == 1
    assert await asyncio.wait_for(queue.get(), 1) == "item"


async def test_a_reader_woken_then_cancelled_leaves_its_item_to_the_next_reader() -> None:
    queue = LightQueue()
    woken, next_reader = asyncio.create_task(queue.get()), asyncio.create_task(queue.get())
    await asyncio.sleep(0)

    queue.put_nowait("item")  # wakes the first reader…
    woken.cancel()  # …which is cancelled before it runs

    assert await asyncio.wait_for(next_reader, 1) == "item"
    assert woken.cancelled()


async def test_join_waits_until_every_item_put_is_done() -> None:
    queue = LightQueue()
    await asyncio.wait_for(queue.join(), 1)  # nothing put: nothing to wait for
    queue.put_nowait("one")
    queue.put_nowait("two")
    joined = asyncio.create_task(queue.join())

    queue.get_nowait()
    queue.task_done()
    await asyncio.sleep(0)
    assert not joined.done()
    queue.get_nowait()
    queue.task_done()

    await asyncio.wait_for(joined, 1)
    with pytest.raises(ValueError, match="too many"):
        queue.task_done()


def test_they_keep_a_fraction_of_what_asyncios_keep() -> None:
    def kept(make: Callable[[], object]) -> int:
        tracemalloc.start()
        try:
            made = [make() for _ in range(1_000)]
            size, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert len(made) == 1_000
        return size

    assert kept(LightQueue) * 4 < kept(asyncio.Queue)
    assert kept(Flag) * 4 < kept(asyncio.Event)
