"""Unsubscribe: the one click of an email's link turns email off for every type."""

from __future__ import annotations

from application.commands import UnsubscribeCommand
from application.ports import UnitOfWork
from application.retries import retried
from domain.notifications import NotificationType


class Unsubscribe:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @retried
    async def __call__(self, command: UnsubscribeCommand) -> None:
        async with self._uow as uow:
            for kind in NotificationType:
                await uow.preferences.save_email(command.user_id, kind, False)
            await uow.commit()
