"""Preferences: each user may turn a type of notification off, and on again, and choose whether
it may also come by email."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from domain.notifications import NotificationType


@dataclass(frozen=True, slots=True)
class NotificationPreference:
    type: NotificationType
    enabled: bool
    email: bool = True  # sent by email too when unseen for a while (see domain.emails)


def preferences(
    disabled: Set[NotificationType], email_off: Set[NotificationType] = frozenset()
) -> list[NotificationPreference]:
    """One preference per type, in the order the types are declared; enabled and emailed unless
    turned off."""
    return [
        NotificationPreference(kind, kind not in disabled, kind not in email_off)
        for kind in NotificationType
    ]
