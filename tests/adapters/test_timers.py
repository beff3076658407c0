"""Timers: many callbacks at their times on one timer of the loop, in order of time, then of
scheduling; a cancelled one never runs, one that raises does not stop the others, and what was
cancelled does not stay in the heap for long."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.timers import Timers


async def test_callbacks_run_at_their_times_in_order_of_time_then_of_scheduling() -> None:
    timers, ran = Timers(), list[str]()
    timers.call_later(0.6, lambda: ran.append("third"))
    timers.call_later(0.05, lambda: ran.append("first"))
    timers.call_later(0.4, lambda: ran.append("second a"))
    timers.call_later(0.4, lambda: ran.append("second b"))

    await asyncio.sleep(0.2)
    assert ran == ["first"]
    await asyncio.sleep(0.8)
    assert ran == ["first", "second a", "second b", "third"]
    assert len(timers) == 0


async def test_a_callback_waits_for_its_time() -> None:
    loop = asyncio.get_running_loop()
    timers, ran_at = Timers(), list[float]()
    due = loop.time() + 0.05
    timers.call_at(due, lambda: ran_at.append(loop.time()))

    await asyncio.sleep(0.2)

    assert len(ran_at) == 1
    assert ran_at[0] >= due


async def test_one_timer_of_the_loop_serves_them_all() -> None:
    timers = Timers()
    for number in range(100):
        timers.call_later(10 + number, lambda: None)
    loop_timers = [
        handle
        for handle in asyncio.get_running_loop()._scheduled  # type: ignore[attr-defined]
        if getattr(handle, "_callback", None) == timers._run and not handle.cancelled()
    ]

    assert len(loop_timers) <= 1
    assert len(timers) == 100


async def test_a_cancelled_callback_never_runs() -> None:
    timers, ran = Timers(), list[str]()
    timers.call_later(0.01, lambda: ran.append("kept"))
    cancelled = timers.call_later(0.01, lambda: ran.append("cancelled"))
    cancelled.cancel()
    cancelled.cancel()  # a second time changes nothing

    await asyncio.sleep(0.05)

    assert ran == ["kept"]
    assert cancelled.cancelled()


async def test_cancelling_the_earliest_lets_the_next_one_run_at_its_own_time() -> None:
    timers, ran = Timers(), list[str]()
    timers.call_later(0.01, lambda: ran.append("early")).cancel()
    timers.call_later(0.3, lambda: ran.append("later"))

    await asyncio.sleep(0.1)
    assert ran == []
    await asyncio.sleep(0.5)
    assert ran == ["later"]


async def test_what_was_cancelled_leaves_the_heap_once_it_is_half_of_it() -> None:
    timers = Timers()
    kept = [timers.call_later(3600, lambda: None) for _ in range(10)]
    for _ in range(1000):  # sockets that came and went, each cancelling its expiry
        timers.call_later(3600, lambda: None).cancel()

    assert len(timers._heap) <= 2 * len(kept) + 1
    assert len(timers) == len(kept)


async def test_a_callback_that_raises_goes_to_the_loops_handler_and_the_others_run() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    timers, ran = Timers(), list[str]()

    def fails() -> None:
        raise RuntimeError("boom")

    try:
        timers.call_later(0.01, fails)
        timers.call_later(0.01, lambda: ran.append("after"))
        await asyncio.sleep(0.05)
    finally:
        loop.set_exception_handler(None)

    assert ran == ["after"]
    assert [type(context["exception"]) for context in reported] == [RuntimeError]


async def test_a_callback_may_schedule_and_cancel_others() -> None:
    timers, ran = Timers(), list[str]()
    doomed = [timers.call_later(0.1, lambda: ran.append("doomed")) for _ in range(5)]

    def first() -> None:
        ran.append("first")
        for scheduled in doomed:  # the heap is rebuilt meanwhile
            scheduled.cancel()
        timers.call_later(0.02, lambda: ran.append("scheduled by the first"))

    timers.call_later(0.01, first)
    timers.call_later(0.01, lambda: ran.append("beside the first"))

    await asyncio.sleep(0.3)

    assert ran == ["first", "beside the first", "scheduled by the first"]
