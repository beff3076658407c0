"""RelayEvents: publish committed events from the outbox, in commit order, at least once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

from application.ports import NotificationPublisher, UnitOfWork
from domain.events import StoredEvent

BATCH_SIZE = 500


class RelayEvents:
    """Publishes every committed event that is not yet published; returns how many it did.

    The batch stays claimed until it is marked published, so two relays never publish the same
    events at once; a crash between publishing and marking publishes them again later. A run
    goes on while the mark finds events waiting (those committed while it published included),
    so it ends with a unit of work that published, not with one that found nothing.
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        publisher: NotificationPublisher,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._uow, self._publisher, self._batch_size = uow, publisher, batch_size
        # How many committed events waited when the last run ended, as its last mark read them
        # (0 after a run that found nothing); None before a run, when another relay held the
        # events, or when the run failed before its first mark.
        self.waiting: int | None = None

    async def __call__(self) -> int:
        published, self.waiting = 0, None
        while True:
            async with self._uow() as uow:
                batch = await uow.events.claim_unpublished(self._batch_size)
                if not batch:
                    self.waiting = None if batch is None else 0
                    return published
                await self._publisher.publish(batch)
                waiting = await uow.events.mark_published(batch[-1].id)
                await uow.commit()
            published += len(batch)
            self.waiting = waiting
            if not waiting:
                return published

    async def backlog(self) -> int:
        """How many committed events still wait to be published."""
        async with self._uow() as uow:
            return await uow.events.backlog()


class InlineRelay:
    """Publishes at once, before the use case returns: for tests and the in-memory container."""

    def __init__(self, relay: RelayEvents) -> None:
        self._relay = relay

    async def committed(self, events: Sequence[StoredEvent]) -> None:
        await self._relay()


class InOrder:
    """A publisher for a process that is the outbox's only one: it publishes the events its own
    units of work commit as they commit, without waiting for the relay to read them back, and
    the relay's batches less what it has already published; every event once, in id order.

    Ids follow the order of commits, and a commit's events arrive here when it has ended: an
    event is published as soon as every event before it has been. One that arrives before those
    waits for them: for the commit before it to end, or for the relay to publish what it reads
    of the outbox (the events of another process, such as `herald purge`; what failed to be
    published at commit; everything before this process's first relay run). The relay still
    marks every event published, off the path to the clients; after a crash, what was not
    marked is published again (at least once, as before).
    """

    def __init__(self, publisher: NotificationPublisher) -> None:
        self._publisher = publisher
        # Every event up to it has been published; None until the relay's first batch tells.
        self.through: int | None = None
        self._early: dict[int, StoredEvent] = {}  # committed here, waiting for those before
        self._lock = asyncio.Lock()  # one publication at a time, so that each keeps its turn

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        """The relay's batch: what was not published yet, then what waited for it."""
        async with self._lock:
            through = self.through
            fresh = [stored for stored in events if through is None or stored.id > through]
            if fresh:
                await self._publisher.publish(fresh)
            if events:
                self.through = max(events[-1].id, through or 0)
            # The batch is out, and the relay marks it whatever follows: what waited for it and
            # fails to go now is not marked, and the next run (its commit woke the relay)
            # publishes it, or fails.
            with contextlib.suppress(Exception):
                await self._publish_early()

    async def committed(self, events: Sequence[StoredEvent]) -> None:
        """A commit of this process: its events, published at once if their turn has come."""
        async with self._lock:
            for stored in events:
                if self.through is None or stored.id > self.through:
                    self._early[stored.id] = stored
            await self._publish_early()

    async def _publish_early(self) -> None:
        through = self.through
        if through is None or not self._early:
            return
        for stale in [event_id for event_id in self._early if event_id <= through]:
            del self._early[stale]
        due: list[StoredEvent] = []
        while (stored := self._early.pop(through + 1, None)) is not None:
            due.append(stored)
            through = stored.id
        if due:
            await self._publisher.publish(due)
            self.through = through
