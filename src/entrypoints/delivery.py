"""The background relay: publishes what the outbox holds, soon after every commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from application.delivery.relay_events import InOrder, RelayEvents
from domain.events import StoredEvent
from entrypoints.background import woken_or_after

log = logging.getLogger("herald.delivery")


class BackgroundRelay:
    """Runs the relay in a task of its own.

    It is woken by each local commit, and runs every `poll_seconds` anyway: for events that other
    processes committed, or that a crash left unpublished. A failed run (Redis or the database
    away) is retried with a growing pause; nothing is marked published until it was.

    With `in_order` (the process is the only one to publish: no Redis), once the relay runs, a
    local commit's events are published as the commit ends, in a task of their own, and the
    relay's runs mark them: the relay's first round trips (a connection, its transaction, the
    claim) no longer stand between a commit and its frames (docs/benchmarks.md), but where an
    event before them is still to be read from the outbox (see `InOrder`).
    """

    MAX_PAUSE_SECONDS = 10.0

    def __init__(
        self,
        relay: Callable[[], RelayEvents],
        poll_seconds: float = 1.0,
        on_backlog: Callable[[int], None] | None = None,
        in_order: InOrder | None = None,
    ) -> None:
        self._relay, self._poll_seconds, self._in_order = relay, poll_seconds, in_order
        self.on_backlog = on_backlog  # told, after each run, how many events still wait
        self.on_published: Callable[[], None] | None = None  # called after a run that published
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._publishing: set[asyncio.Task[None]] = set()

    async def committed(self, events: Sequence[StoredEvent]) -> None:
        self._wake.set()
        if self._in_order is not None and self._task is not None:  # a relay that runs
            # A task of its own: the unit of work's caller answers first (published within
            # the request, they held its answer back by as much as they saved the frames).
            publishing = asyncio.create_task(self._publish_at_once(self._in_order, events))
            self._publishing.add(publishing)
            publishing.add_done_callback(self._publishing.discard)

    @staticmethod
    async def _publish_at_once(in_order: InOrder, events: Sequence[StoredEvent]) -> None:
        try:
            await in_order.committed(events)
        except Exception as error:  # not marked published: the relay's run publishes them
            log.warning("events not published at commit, the relay sends them: %s", error)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="herald-relay")

    async def stop(self) -> None:
        """Stop the task, then publish what is left, once."""
        if self._publishing:
            await asyncio.gather(*self._publishing, return_exceptions=True)
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
            await woken_or_after(self._wake, pause)
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
