"""SetPreference: the caller turns a type of notification off, or on again, and its email."""

from __future__ import annotations

from application.commands import SetPreferenceCommand
from application.ports import UnitOfWork
from application.retries import retried
from domain.preferences import NotificationPreference


class SetPreference:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @retried
    async def __call__(self, command: SetPreferenceCommand) -> NotificationPreference:
        async with self._uow as uow:
            await uow.preferences.save(command.user_id, command.type, command.enabled)
            if command.email is not None:
                await uow.preferences.save_email(command.user_id, command.type, command.email)
            email = command.type not in await uow.preferences.email_off_types(command.user_id)
            await uow.commit()
        return NotificationPreference(command.type, command.enabled, email)
