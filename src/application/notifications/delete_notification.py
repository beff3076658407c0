"""DeleteNotification: the caller removes a notification from their own inbox."""

from __future__ import annotations

from application.commands import DeleteNotificationCommand
from application.ports import UnitOfWork
from application.retries import retried
from domain.errors import NotificationNotFound
from domain.events import InboxEvent, NotificationDeleted, UnreadCountsChanged
from domain.ids import parse_id


class DeleteNotification:
    """The entry is read locked: of several requests deleting it at once, one deletes it and
    sends the events; the others then find it gone: `NotificationNotFound`."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @retried
    async def __call__(self, command: DeleteNotificationCommand) -> bool:
        notification_id = parse_id(command.notification_id)
        async with self._uow as uow:
            entry = await uow.inbox.get_for_update(command.user_id, notification_id)
            if entry is None or not await uow.inbox.remove(command.user_id, notification_id):
                raise NotificationNotFound(notification_id)
            events: list[InboxEvent] = [NotificationDeleted(command.user_id, notification_id)]
            if entry.badge != (0, 0):
                await uow.events.take_turn()
                badges = await uow.inbox.badges([command.user_id])
                events.append(UnreadCountsChanged.of(badges))
            await uow.events.add(events)
            await uow.commit()
        return True
