"""RelayEvents: publish committed events from the outbox, in commit order, at least once."""

from __future__ import annotations

from collections.abc import Callable

from application.ports import NotificationPublisher, UnitOfWork

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

    async def committed(self) -> None:
        await self._relay()
