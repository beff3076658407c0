"""Preferences: each user may turn a type of notification off, and on again."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from domain.notifications import NotificationType


@dataclass(frozen=True, slots=True)
class NotificationPreference:
    type: NotificationType
    enabled: bool


def preferences(disabled: Set[NotificationType]) -> list[NotificationPreference]:
    """One preference per type, in the order the types are declared; enabled unless turned off."""
    return [NotificationPreference(kind, kind not in disabled) for kind in NotificationType]
