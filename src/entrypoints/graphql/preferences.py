"""GraphQL operations on the caller's notification preferences."""

from __future__ import annotations

import strawberry

from application.commands import GetPreferencesQuery, SetPreferenceCommand
from entrypoints.graphql.context import Info
from entrypoints.graphql.types import NotificationPreference, NotificationType


@strawberry.type
class PreferenceQueries:
    @strawberry.field(description="One entry per type of notification; enabled by default.")
    async def notification_preferences(self, info: Info) -> list[NotificationPreference]:
        query = GetPreferencesQuery(info.context.user_id)
        found = await info.context.container.get_preferences()(query)
        return [NotificationPreference.from_domain(preference) for preference in found]


@strawberry.type
class PreferenceMutations:
    @strawberry.mutation(
        description="Turn a type of notification off, or on again; `email`, when given, sets"
        " whether it also comes by email (left as it was when omitted)."
    )
    async def set_notification_preference(
        self,
        info: Info,
        type: NotificationType,
        enabled: bool,
        # UNSET, not None: the schema then shows no default, as the contract writes it.
        email: bool | None = strawberry.UNSET,
    ) -> NotificationPreference:
        email = None if email is strawberry.UNSET else email
        command = SetPreferenceCommand(info.context.user_id, type.to_domain(), enabled, email)
        preference = await info.context.container.set_preference()(command)
        return NotificationPreference.from_domain(preference)
