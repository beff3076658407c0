"""MarkAsRead: the caller reads one of their notifications."""

from __future__ import annotations

from application.commands import MarkAsReadCommand
from application.ports import Clock, UnitOfWork
from application.retries import retried
from domain.errors import NotificationNotFound
from domain.events import NotificationUpdated, UnreadCountsChanged
from domain.ids import parse_id
from domain.notifications import InboxEntry


class MarkAsRead:
    """The entry is read locked: of several requests reading it at once, one marks it read and
    sends the events; the others then find it read and answer it unchanged."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    @retried
    async def __call__(self, command: MarkAsReadCommand) -> InboxEntry:
        notification_id = parse_id(command.notification_id)
        async with self._uow as uow:
            entry = await uow.inbox.get_for_update(command.user_id, notification_id)
            if entry is None:
                raise NotificationNotFound(notification_id)
            if not entry.mark_read(self._clock.now()):
                return entry
            await uow.inbox.save(entry)
            await uow.events.take_turn()
            count = await uow.inbox.unread_count(command.user_id)
            await uow.events.add(
                [NotificationUpdated(entry), UnreadCountsChanged({command.user_id: count})]
            )
            await uow.commit()
        return entry
