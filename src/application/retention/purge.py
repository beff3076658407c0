"""PurgeOlderThan: delete notifications and outbox events older than the retention period."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import msgspec

from application.commands import PurgeOlderThanCommand
from application.ports import Clock, UnitOfWork
from domain.errors import InvalidInput

# Rows per transaction: each batch commits on its own, so no lock is held for long. A batch
# of notifications holds at most `BATCH_ENTRIES` of their entries: one notification may have
# been sent to every registered user (a new lead), and 5,000 of those are millions of entries
# (100 notifications of 5,000 entries took one transaction of 20 s: bench/findings.md).
BATCH_SIZE = 5_000
BATCH_ENTRIES = 10_000
# Reconnecting clients are promised at least a day of history.
MIN_DAYS = 1


class PurgeResult(msgspec.Struct, frozen=True):
    notifications: int = 0
    entries: int = 0  # the users' inbox entries that went with those notifications
    events: int = 0

    def __add__(self, other: PurgeResult) -> PurgeResult:
        return PurgeResult(
            notifications=self.notifications + other.notifications,
            entries=self.entries + other.entries,
            events=self.events + other.events,
        )


def check_retention_days(days: int) -> int:
    if days < MIN_DAYS:
        raise InvalidInput("days", f"must be at least {MIN_DAYS}: a day of history is kept")
    return days


# What one batch deleted, and whether it was full (more may be left).
_Batch = tuple[PurgeResult, bool]


class PurgeOlderThan:
    """Deletes, batch by batch, the notifications created more than `days` ago with every
    recipient's entry for them (read or not), and the published events written before then.

    The "purged" position follows the events deleted, so that a client whose last event is
    older is told to resync. Each batch is a unit of work of its own: a purge that fails midway
    keeps what it did, and the next one carries on.
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        batch_size: int = BATCH_SIZE,
        batch_entries: int = BATCH_ENTRIES,
    ) -> None:
        for name, size in (("batch_size", batch_size), ("batch_entries", batch_entries)):
            if size < 1:
                raise ValueError(f"{name} must be at least 1, not {size}")
        self._uow, self._clock = uow, clock
        self._batch_size, self._batch_entries = batch_size, batch_entries

    async def __call__(self, command: PurgeOlderThanCommand) -> PurgeResult:
        days = check_retention_days(command.days)
        try:
            cutoff = self._clock.now() - timedelta(days=days)
        except OverflowError:  # before the year 1: nothing is that old
            return PurgeResult()
        inbox = await self._in_batches(lambda uow: self._purge_notifications(uow, cutoff))
        return inbox + await self._in_batches(lambda uow: self._purge_events(uow, cutoff))

    async def _purge_notifications(self, uow: UnitOfWork, cutoff: datetime) -> _Batch:
        """One batch; the users whose counts it changed are told their new ones."""
        batch = await uow.inbox.purge_before(cutoff, self._batch_size, self._batch_entries)
        await uow.events.add_counts(sorted(batch.losing))  # none lost, no event
        return PurgeResult(notifications=batch.notifications, entries=batch.entries), batch.full

    async def _purge_events(self, uow: UnitOfWork, cutoff: datetime) -> _Batch:
        deleted = await uow.events.purge_before(cutoff, self._batch_size)
        return PurgeResult(events=deleted), deleted == self._batch_size

    async def _in_batches(self, purge: Callable[[UnitOfWork], Awaitable[_Batch]]) -> PurgeResult:
        """Batch after batch, each a unit of work of its own, until one is not full: what they
        deleted together."""
        total = PurgeResult()
        while True:
            async with self._uow() as uow:
                deleted, full = await purge(uow)
                await uow.commit()
            total += deleted
            if not full:
                return total
