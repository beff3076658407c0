"""How long the serve process's event loop keeps work waiting: its lag, and the garbage
collector's pauses, which stop it.

Everything a process does runs on one event loop: while one callback runs (putting an event's
frames on a thousand sockets, reading a burst of confirmations, a full collection of the
garbage collector), a request's next step and every other socket wait for it. The lag is what
an operator needs to tell "the process is busy" from "the database is slow".
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from typing import Any

from entrypoints.background import BackgroundLoop

EVERY_SECONDS = 0.01


class LoopLagMonitor(BackgroundLoop):
    """Asks the loop to wake it `every` seconds after its last wake-up and tells `observe` how
    late each wake-up came: how long anything that became ready then waited for the callbacks
    before it. One observation per wake-up: a stall of a second counts once, not a hundred
    times."""

    task_name = "herald-loop-lag"

    def __init__(self, observe: Callable[[float], None], every: float = EVERY_SECONDS) -> None:
        self._observe, self._every = observe, every

    async def _run(self) -> None:
        while True:
            due = time.monotonic() + self._every
            await asyncio.sleep(self._every)
            self._observe(max(0.0, time.monotonic() - due))


class GcPauses:
    """Tells `observe(generation, seconds)` how long each collection of the garbage collector
    took, while started: a collection stops the process, the event loop with it."""

    def __init__(self, observe: Callable[[int, float], None]) -> None:
        self._observe = observe
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self._observe(info["generation"], time.perf_counter() - self._started)

    def start(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)
