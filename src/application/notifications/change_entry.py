"""One of the caller's notifications changes state: read, unread, archived or back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, Protocol

from application.ports import Clock, UnitOfWork
from application.retries import retried
from domain.errors import NotificationNotFound
from domain.events import NotificationUpdated
from domain.ids import parse_id
from domain.notifications import InboxEntry


class EntryCommand(Protocol):
    @property
    def user_id(self) -> str: ...

    @property
    def notification_id(self) -> str: ...


class ChangeEntry:
    """The entry is read locked: of several requests changing it at once, one changes it and
    sends the events (`notification:updated`, and the new counts when they moved); the others
    then find it changed and answer it as it is."""

    change: ClassVar[Callable[[InboxEntry, datetime], bool]]

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    @retried
    async def __call__(self, command: EntryCommand) -> InboxEntry:
        notification_id = parse_id(command.notification_id)
        async with self._uow as uow:
            entry = await uow.inbox.get_for_update(command.user_id, notification_id)
            if entry is None:
                raise NotificationNotFound(notification_id)
            counted = entry.badge
            if not type(self).change(entry, self._clock.now()):
                return entry
            await uow.inbox.save(entry)
            await uow.events.add([NotificationUpdated(entry)])
            if entry.badge != counted:
                await uow.events.add_counts([command.user_id])
            await uow.commit()
        return entry
