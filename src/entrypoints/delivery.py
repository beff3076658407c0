"""The background relay: publishes what the outbox holds, soon after every commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from application.delivery.relay_events import RelayEvents

log = logging.getLogger("herald.delivery")


class BackgroundRelay:
    """Runs the relay in a task of its own.

    It is woken by each local commit, and runs every `poll_seconds` anyway: for events that other
    processes committed, or that a crash left unpublished. A failed run (Redis or the database
    away) is retried with a growing pause; nothing is marked published until it was.
    """

    MAX_PAUSE_SECONDS = 10.0

    def __init__(
        self,
        relay: Callable[[], RelayEvents],
        poll_seconds: float = 1.0,
        on_backlog: Callable[[int], None] | None = None,
    ) -> None:
        self._relay, self._poll_seconds = relay, poll_seconds
        self.on_backlog = on_backlog  # told, after each run, how many events still wait
        self.on_published: Callable[[], None] | None = None  # called after a run that published
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def committed(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="herald-relay")

    async def stop(self) -> None:
        """Stop the task, then publish what is left, once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self._relay()()
        except Exception as error:
            log.warning(
                "events left unpublished at shutdown (%s): the next start sends them", error
            )

    async def _run(self) -> None:
        pause = self._poll_seconds
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=pause)
            self._wake.clear()
            relay = self._relay()
            try:
                published = await relay()
            except Exception as error:
                pause = min(pause * 2, self.MAX_PAUSE_SECONDS)
                log.warning("could not publish events, retrying in %.0f s: %s", pause, error)
            else:
                pause = self._poll_seconds
                if published and self.on_published is not None:
                    with contextlib.suppress(Exception):  # the upkeep is not worth a failure
                        self.on_published()
            if self.on_backlog is not None:
                with contextlib.suppress(Exception):  # a metric is not worth a failure
                    waiting = relay.waiting
                    self.on_backlog(await relay.backlog() if waiting is None else waiting)
