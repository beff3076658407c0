"""Background work of `herald serve`: a loop in a task of its own, started and stopped with the
app."""

from __future__ import annotations

import asyncio
import contextlib


async def woken_or_after(wake: asyncio.Event, seconds: float) -> None:
    """Wait until `wake` is set, for at most `seconds`. `asyncio.timeout`, not `wait_for`: on
    Python 3.11, `wait_for` swallows a cancellation that arrives as the event is set
    (CPython issue 86296), and a loop stopped at that moment ran on, its `stop()` waiting
    for it for ever."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()


class BackgroundLoop:
    """`start()` runs `_run()` in a task named `task_name`; `stop()` cancels it and waits.

    While `_working` is set (a loop sets it around work that should not be cut in the middle),
    `stop()` first lets that work finish, for at most `stop_grace` seconds; `stopping` tells the
    loop to take on nothing more.
    """

    task_name = "herald-background"
    stop_grace = 0.0
    _task: asyncio.Task[None] | None = None
    _stopping = False
    _working = False

    @property
    def stopping(self) -> bool:
        return self._stopping

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self.task_name)

    async def stop(self) -> None:
        if self._task is not None:
            self._stopping = True
            if self._working and self.stop_grace > 0:
                await asyncio.wait({self._task}, timeout=self.stop_grace)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        raise NotImplementedError
