"""The replay index's upkeep in the background of `herald serve` (PostgreSQL only)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from adapters.sqlalchemy.upkeep import UpkeepNotAllowed
from entrypoints.background import BackgroundLoop

log = logging.getLogger("herald.delivery")

EVERY_SECONDS = 2.0
MAX_PAUSE_SECONDS = 30.0


class ReplayIndexUpkeepLoop(BackgroundLoop):
    """Merges the replay index's pending list (`ReplayIndexUpkeep`) once events were published
    (`published()`, as the relay tells it), at most every `every` seconds: each merge is of the
    events since the last, and an outbox write meets a full list only where more than about
    4 MB of recipients (a hundred events to 1,000 users) came within a period.

    A failed merge (the database away) is logged and tried again after a growing pause. Where the
    database's user may not merge the index (it does not own it), the loop ends with a warning:
    PostgreSQL's autovacuum, or the write that fills the list, merges it then. Every process may
    run one: a merge that finds another under way waits for it, then finds little left."""

    task_name = "herald-replay-index-upkeep"
    stop_grace = 2.0  # a merge under way is let finish: cut off, its connection would be lost

    def __init__(
        self,
        merge: Callable[[], Awaitable[int]],
        every: float = EVERY_SECONDS,
        max_pause: float = MAX_PAUSE_SECONDS,
    ) -> None:
        self._merge, self._every, self._max_pause = merge, every, max_pause
        self._wake = asyncio.Event()

    def published(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        pause = self._every
        while True:
            await self._wake.wait()
            self._wake.clear()  # what is published from now on is merged by the next run
            self._working = True
            try:
                await self._merge()
            except UpkeepNotAllowed as error:
                log.warning(
                    "the replay index's pending list is left to PostgreSQL to merge: %s", error
                )
                return
            except Exception as error:
                pause = min(pause * 2, self._max_pause)
                self._wake.set()  # tried again after the pause
                log.warning("could not merge the replay index's pending list (%s): retrying", error)
            else:
                pause = self._every
            finally:
                self._working = False
            if self.stopping:  # stop() waits for the merge that was under way, not for more
                return
            await asyncio.sleep(pause)
