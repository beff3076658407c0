"""The event loop's lag and the garbage collector's pauses, as `herald serve` measures them."""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

import pytest
from dependency_injector import providers
from edge_support import make_container, served

from entrypoints.app import create_app
from entrypoints.loop_lag import GcPauses, LoopLagMonitor

WAIT_SECONDS = 5
HELD_SECONDS = 0.1


class Observed:
    """What a monitor reported, and a way to wait for the next report."""

    def __init__(self) -> None:
        self.seen: list[float] = []
        self._grown = asyncio.Event()

    def __call__(self, lag: float) -> None:
        self.seen.append(lag)
        self._grown.set()

    async def next(self) -> float:
        self._grown.clear()
        async with asyncio.timeout(WAIT_SECONDS):
            await self._grown.wait()
        return self.seen[-1]


async def test_a_callback_that_holds_the_loop_shows_as_lag() -> None:
    observed = Observed()
    monitor = LoopLagMonitor(observed, every=0.01)
    monitor.start()
    try:
        await observed.next()
        time.sleep(HELD_SECONDS)  # noqa: ASYNC251 - the loop held, as by a long callback
        late = await observed.next()
    finally:
        await monitor.stop()

    # The timer was due within 10 ms of the last report, and the loop was held for 100.
    assert late >= HELD_SECONDS - 0.01
    assert all(lag >= 0 for lag in observed.seen)


async def test_the_monitor_reports_nothing_once_stopped() -> None:
    observed = Observed()
    monitor = LoopLagMonitor(observed, every=0.01)
    monitor.start()
    await observed.next()
    await monitor.stop()
    reported = len(observed.seen)

    await asyncio.sleep(0.05)

    assert len(observed.seen) == reported


def test_each_collection_is_timed_by_its_generation_while_started() -> None:
    pauses: list[tuple[int, float]] = []
    collector = GcPauses(lambda generation, seconds: pauses.append((generation, seconds)))
    collector.start()
    collector.start()  # once only
    try:
        gc.collect(2)
        gc.collect(0)
    finally:
        collector.stop()
    gc.collect()

    # Other collections may come between (an allocation in any thread may start one): the two
    # asked for are there, in order, and nothing is recorded after the stop.
    generations = [generation for generation, _ in pauses]
    assert 2 in generations
    assert 0 in generations[generations.index(2) + 1 :]
    assert all(seconds >= 0 for _, seconds in pauses)
    assert collector._callback not in gc.callbacks


async def test_serve_exports_the_loops_lag_and_the_collectors_pauses() -> None:
    container = make_container()
    registry = container.metrics().registry

    async with served(container):
        lags_seen = "herald_event_loop_lag_seconds_count"
        async with asyncio.timeout(WAIT_SECONDS):
            while not registry.get_sample_value(lags_seen):  # noqa: ASYNC110 - a registry, polled
                await asyncio.sleep(0.01)
        gc.collect(2)
        full = registry.get_sample_value("herald_gc_pause_seconds_count", {"generation": "2"})
        assert full is not None
        assert full >= 1

    assert container.gc_pauses()._callback not in gc.callbacks
    assert container.loop_lag()._task is None


class FailingStart:
    def start(self) -> None:
        raise RuntimeError("could not start")


async def test_a_start_that_fails_leaves_no_hook_in_the_collector() -> None:
    container = make_container()
    container.daily_purge.override(providers.Object(FailingStart()))
    app = create_app(container)
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await to_app.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}

    async with asyncio.timeout(WAIT_SECONDS):
        with pytest.raises(ExceptionGroup) as raised:
            await app(scope, to_app.get, from_app.put)

    assert raised.group_contains(RuntimeError, match="could not start")
    assert (await from_app.get())["type"] == "lifespan.startup.failed"
    assert container.gc_pauses()._callback not in gc.callbacks
    assert container.loop_lag()._task is None
