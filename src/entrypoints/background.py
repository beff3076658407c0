"""Background work of `herald serve`: a loop in a task of its own, started and stopped with the
app."""

from __future__ import annotations

import asyncio
import contextlib


class BackgroundLoop:
    """`start()` runs `_run()` in a task named `task_name`; `stop()` cancels it and waits."""

    task_name = "herald-background"
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.task_name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        raise NotImplementedError
