"""DeleteNotification: the caller removes a notification from their own inbox."""

from __future__ import annotations

from application.commands import DeleteNotificationCommand
from application.ports import UnitOfWork
from application.retries import retried
from domain.errors import NotificationNotFound
from domain.events import NotificationDeleted
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
            await uow.events.add([NotificationDeleted(command.user_id, notification_id)])
            if entry.badge != (0, 0):
                await uow.events.add_counts([command.user_id])
            await uow.commit()
        return True
