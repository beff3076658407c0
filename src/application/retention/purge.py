"""PurgeOlderThan: delete notifications and outbox events older than the retention period."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import msgspec

from application.commands import PurgeOlderThanCommand
from application.ports import Clock, UnitOfWork
from domain.errors import InvalidInput

# Rows per transaction: each batch commits on its own, so no lock is held for long.
BATCH_SIZE = 5_000
# Reconnecting clients are promised at least a day of history.
MIN_DAYS = 1


class PurgeResult(msgspec.Struct, frozen=True):
    notifications: int
    events: int


def check_retention_days(days: int) -> int:
    if days < MIN_DAYS:
        raise InvalidInput("days", f"must be at least {MIN_DAYS}: a day of history is kept")
    return days


class PurgeOlderThan:
    """Deletes, batch by batch, the notifications created more than `days` ago with every
    recipient's entry for them (read or not), and the published events written before then.

    The "purged" position follows the events deleted, so that a client whose last event is
    older is told to resync. Each batch is a unit of work of its own: a purge that fails midway
    keeps what it did, and the next one carries on.
    """

    def __init__(
        self, uow: Callable[[], UnitOfWork], clock: Clock, batch_size: int = BATCH_SIZE
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self._uow, self._clock, self._batch_size = uow, clock, batch_size

    async def __call__(self, command: PurgeOlderThanCommand) -> PurgeResult:
        days = check_retention_days(command.days)
        try:
            cutoff = self._clock.now() - timedelta(days=days)
        except OverflowError:  # before the year 1: nothing is that old
            return PurgeResult(notifications=0, events=0)
        limit = self._batch_size
        notifications = await self._in_batches(
            lambda uow: self._purge_notifications(uow, cutoff, limit)
        )
        events = await self._in_batches(lambda uow: uow.events.purge_before(cutoff, limit))
        return PurgeResult(notifications=notifications, events=events)

    @staticmethod
    async def _purge_notifications(uow: UnitOfWork, cutoff: datetime, limit: int) -> int:
        """One batch; the users who lose an unread notification are told their new count."""
        losing = await uow.inbox.unread_recipients_before(cutoff, limit)
        deleted = await uow.inbox.purge_before(cutoff, limit)
        await uow.events.add_counts(sorted(losing))  # none lost, no event
        return deleted

    async def _in_batches(self, purge: Callable[[UnitOfWork], Awaitable[int]]) -> int:
        total = 0
        while True:
            async with self._uow() as uow:
                deleted = await purge(uow)
                await uow.commit()
            total += deleted
            if deleted < self._batch_size:
                return total
