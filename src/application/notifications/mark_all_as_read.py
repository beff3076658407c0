"""MarkAllAsRead: the caller reads every notification in their inbox at once."""

from __future__ import annotations

from application.commands import MarkAllAsReadCommand
from application.ports import Clock, UnitOfWork
from application.retries import retried
from domain.events import NotificationsBulkUpdated


class MarkAllAsRead:
    """Every entry outside the archive read at once: each by one request only, which counts
    and reports it; a request that finds nothing unread left answers 0 and sends nothing. A
    store may answer before writing every entry (`InboxRepository.apply_deferred`)."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    @retried
    async def __call__(self, command: MarkAllAsReadCommand) -> int:
        async with self._uow as uow:
            count = await uow.inbox.mark_all_read(command.user_id, self._clock.now())
            if not count:
                return 0
            # Read as it commits rather than assumed 0: a notification may arrive meanwhile.
            await uow.events.add(
                [NotificationsBulkUpdated(command.user_id, count, "markAllAsRead")]
            )
            await uow.events.add_counts([command.user_id])
            await uow.commit()
        return count
