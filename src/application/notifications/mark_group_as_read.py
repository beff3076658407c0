"""MarkGroupAsRead: the caller reads every notification of one group at once."""

from __future__ import annotations

from application.commands import MarkGroupAsReadCommand
from application.ports import Clock, UnitOfWork
from application.retries import retried
from domain.errors import GroupNotFound
from domain.events import NotificationsBulkUpdated
from domain.text import is_storable

# Longer than any key Herald makes: such a key names no group.
MAX_GROUP_KEY_LENGTH = 400


class MarkGroupAsRead:
    """A key that none of the caller's notifications outside the archive has is `GroupNotFound`
    (another user's groups look the same as none); a group already read answers 0 and sends
    nothing."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    @retried
    async def __call__(self, command: MarkGroupAsReadCommand) -> int:
        key = command.group_key
        # Nothing Herald stores is too long or holds what a database cannot store (a NUL, a
        # lone surrogate): such a key names no group, and is never sent to the database.
        if not key or len(key) > MAX_GROUP_KEY_LENGTH or not is_storable(key):
            raise GroupNotFound(key)
        async with self._uow as uow:
            count = await uow.inbox.mark_group_read(command.user_id, key, self._clock.now())
            if count is None:
                raise GroupNotFound(key)
            if not count:
                return 0
            await uow.events.add(
                [NotificationsBulkUpdated(command.user_id, count, "markGroupAsRead", key)]
            )
            await uow.events.add_counts([command.user_id])
            await uow.commit()
        return count
