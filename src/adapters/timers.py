"""Many callbacks at their times, on one timer of the event loop.

A timer of the loop (`loop.call_later`) is about 0.6 KiB under uvloop: its handle, the timer
behind it and a copy of the context. A socket kept two for as long as it was open (its next
ping, its token's expiry); an entry here is about 0.2 KiB, and the loop keeps one timer for all
of them, armed for the earliest.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
from collections.abc import Callable

RESOLUTION = 0.001  # seconds


class Scheduled:
    """A callback waiting for its time; `cancel()` keeps it from running."""

    __slots__ = ("_timers", "callback")

    def __init__(self, timers: Timers, callback: Callable[[], object]) -> None:
        self._timers = timers
        self.callback: Callable[[], object] | None = callback

    def cancel(self) -> None:
        if self.callback is not None:
            self.callback = None
            self._timers._dropped()

    def cancelled(self) -> bool:
        return self.callback is None


class Timers:
    """Callbacks run at their times of the loop's clock (`loop.time()`), in order of time (then
    of scheduling), each in its own try: one that raises goes to the loop's exception handler,
    as a callback of the loop's would. It schedules on the running loop, whichever it is."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Scheduled]] = []
        self._order = itertools.count()
        self._cancelled = 0  # entries of the heap cancelled, not yet dropped
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for = float("inf")
        self._armed_on: asyncio.AbstractEventLoop | None = None  # the loop of `_timer`

    def __len__(self) -> int:
        """How many callbacks wait (cancelled ones not counted)."""
        return sum(not scheduled.cancelled() for _, _, scheduled in self._heap)

    def call_later(self, delay: float, callback: Callable[[], object]) -> Scheduled:
        return self.call_at(asyncio.get_running_loop().time() + delay, callback)

    def call_at(self, when: float, callback: Callable[[], object]) -> Scheduled:
        scheduled = Scheduled(self, callback)
        heapq.heappush(self._heap, (when, next(self._order), scheduled))
        if when < self._armed_for or asyncio.get_running_loop() is not self._armed_on:
            self._arm()
        return scheduled

    def _dropped(self) -> None:
        """One more cancelled: the heap drops what was cancelled once it is half of it (a
        token's expiry, cancelled as its socket leaves, could otherwise wait for hours)."""
        self._cancelled += 1
        if self._cancelled * 2 > len(self._heap):
            self._heap = [entry for entry in self._heap if not entry[2].cancelled()]
            heapq.heapify(self._heap)
            self._cancelled = 0

    def _arm(self) -> None:
        """The loop's timer, for the earliest callback still to run (none if there is none)."""
        heap = self._heap
        while heap and heap[0][2].cancelled():
            heapq.heappop(heap)
            self._cancelled = max(self._cancelled - 1, 0)
        when = heap[0][0] if heap else float("inf")
        loop = asyncio.get_running_loop()
        if when == self._armed_for and loop is self._armed_on:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._armed_for, self._armed_on = when, loop
        if heap:
            # In a context of its own: the callbacks' time is nobody's request.
            self._timer = loop.call_at(when, self._run, context=contextvars.Context())

    def _run(self) -> None:
        self._timer, self._armed_for = None, float("inf")
        loop = asyncio.get_running_loop()
        # What is due within the clock's resolution is due now (as for asyncio's own timers):
        # a loop whose clock rounds to the millisecond may wake a little early.
        now = loop.time() + RESOLUTION
        try:
            # The heap is read again at each step: a callback that cancels may have it rebuilt.
            while self._heap and self._heap[0][0] <= now:
                _, _, scheduled = heapq.heappop(self._heap)
                callback = scheduled.callback
                if callback is None:
                    self._cancelled = max(self._cancelled - 1, 0)
                    continue
                scheduled.callback = None
                try:
                    callback()
                except Exception as error:
                    loop.call_exception_handler(
                        {"message": "Exception in a callback of Timers", "exception": error}
                    )
        finally:
            self._arm()
