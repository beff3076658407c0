"""GetPreferences: which types of notification the caller receives."""

from __future__ import annotations

from application.commands import GetPreferencesQuery
from application.ports import UnitOfWork
from domain.preferences import NotificationPreference, preferences


class GetPreferences:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, query: GetPreferencesQuery) -> list[NotificationPreference]:
        async with self._uow as uow:
            disabled = await uow.preferences.disabled_types(query.user_id)
            return preferences(disabled, await uow.preferences.email_off_types(query.user_id))
