"""MarkAllAsSeen: the caller opened the bell; every notification outside the archive is seen."""

from __future__ import annotations

from application.commands import MarkAllAsSeenCommand
from application.ports import Clock, UnitOfWork
from application.retries import retried
from domain.events import NotificationsBulkUpdated


class MarkAllAsSeen:
    """As `MarkAllAsRead`: one conditional update, reported by the request that changed the
    entries; nothing is sent when nothing changed. A notification committed meanwhile is not
    in the update, stays unseen and counts in the badge sent back."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    @retried
    async def __call__(self, command: MarkAllAsSeenCommand) -> int:
        async with self._uow as uow:
            count = await uow.inbox.mark_all_seen(command.user_id, self._clock.now())
            if not count:
                return 0
            await uow.events.add(
                [NotificationsBulkUpdated(command.user_id, count, "markAllAsSeen")]
            )
            await uow.events.add_counts([command.user_id])
            await uow.commit()
        return count
