"""The inbox's deferred changes applied in the background of `herald serve`: markAllAsRead's
entries written after its answer (see `ApplyDeferredChanges`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from application.notifications.apply_deferred_changes import ApplyDeferredChanges
from entrypoints.background import BackgroundLoop, woken_or_after

log = logging.getLogger("herald.inbox")

POLL_SECONDS = 1.0
MAX_PAUSE_SECONDS = 30.0


class DeferredChanges(BackgroundLoop):
    """Applies what waits at start, as soon as a local commit leaves some (`committed()`, as a
    unit of work tells it), and every `poll_seconds` anyway: for what another process, or a
    crash, left.
    A failed run (the database away) is logged and tried again after a growing pause: reads
    stay right meanwhile, only slower for the users concerned. Every process may run one: each
    user's change is applied under that user's lock, once."""

    task_name = "herald-deferred-changes"

    def __init__(
        self,
        apply: Callable[[], ApplyDeferredChanges],
        poll_seconds: float = POLL_SECONDS,
        max_pause: float = MAX_PAUSE_SECONDS,
    ) -> None:
        self._apply, self._poll_seconds, self._max_pause = apply, poll_seconds, max_pause
        self._wake = asyncio.Event()

    async def committed(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        pause = self._poll_seconds
        while True:  # at start first: what a stop or a crash left
            self._wake.clear()  # a commit from now on is seen by the next run
            pause = await self.run_once(pause)
            await woken_or_after(self._wake, pause)

    async def run_once(self, pause: float | None = None) -> float:
        """Applies what waits, until nothing does; returns the pause before the next run."""
        pause = self._poll_seconds if pause is None else pause
        try:
            while await self._apply()():
                pass
        except Exception as error:
            log.warning("could not apply the inbox's deferred changes (%s): retrying", error)
            return min(pause * 2, self._max_pause)
        return self._poll_seconds
