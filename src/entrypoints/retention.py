"""The daily purge of `herald serve`: retention applied in the background, never fatal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from application.commands import PurgeOlderThanCommand
from application.retention.purge import PurgeResult
from entrypoints.background import BackgroundLoop

log = logging.getLogger("herald.retention")

FIRST_RUN_AFTER_SECONDS = 60.0  # once start-up (and the first reconnections) have settled
EVERY_SECONDS = 24 * 60 * 60.0

Purge = Callable[[PurgeOlderThanCommand], Awaitable[PurgeResult]]  # PurgeOlderThan


class DailyPurge(BackgroundLoop):
    """Purges what is older than `days`, shortly after start and then every day.

    A failed run (the database away, a lock timeout) is logged and tried again at the next
    turn; it never stops the server. Every process may run one: the purges do not conflict,
    they only find less to delete.
    """

    task_name = "herald-daily-purge"

    def __init__(
        self,
        purge: Callable[[], Purge],
        days: int,
        first_run_after: float = FIRST_RUN_AFTER_SECONDS,
        every: float = EVERY_SECONDS,
    ) -> None:
        self._purge, self._days = purge, days
        self._first_run_after, self._every = first_run_after, every

    async def _run(self) -> None:
        await asyncio.sleep(self._first_run_after)
        while True:
            await self.run_once()
            await asyncio.sleep(self._every)

    async def run_once(self) -> None:
        try:
            result = await self._purge()(PurgeOlderThanCommand(self._days))
        except Exception as error:
            log.error("the daily purge failed; the next is in %.0f s", self._every, exc_info=error)
        else:
            log.info(
                "purged what is older than %d days: %d notifications, %d events; %d inbox "
                "entries went with the notifications",
                self._days,
                result.notifications,
                result.events,
                result.entries,
            )
