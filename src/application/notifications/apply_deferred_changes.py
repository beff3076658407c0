"""ApplyDeferredChanges: write to the entries what a bulk change answered before writing."""

from __future__ import annotations

from collections.abc import Callable

from application.ports import UnitOfWork

# Users a run takes on: each is a unit of work of its own; what is left waits for the next run.
USERS_PER_RUN = 100


class ApplyDeferredChanges:
    """The inbox may answer `markAllAsRead` with one row written, every read counting it, and
    leave its entries to be written afterwards (PostgreSQL's read marks). This writes them,
    user by user, each under that user's lock, so that reads go back to the entries alone.
    Returns how many users' changes were applied."""

    def __init__(self, uow: Callable[[], UnitOfWork], users_per_run: int = USERS_PER_RUN) -> None:
        self._uow, self._users_per_run = uow, users_per_run

    async def __call__(self) -> int:
        async with self._uow() as uow:
            waiting = await uow.inbox.users_with_deferred_changes(self._users_per_run)
        applied = 0
        for user_id in waiting:
            async with self._uow() as uow:
                if await uow.inbox.apply_deferred(user_id):
                    applied += 1
                await uow.commit()
        return applied
