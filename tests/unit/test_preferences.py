"""Preferences: one per type of notification, enabled unless the user turned it off."""

from __future__ import annotations

import pytest

from domain.notifications import NotificationType
from domain.preferences import NotificationPreference, preferences


def test_every_type_is_enabled_by_default_in_the_declared_order() -> None:
    assert preferences(set()) == [
        NotificationPreference(NotificationType.LEAD_CREATED, True),
        NotificationPreference(NotificationType.TASK_COMPLETED, True),
        NotificationPreference(NotificationType.SCORE_UPDATED, True),
        NotificationPreference(NotificationType.COMMENT_ADDED, True),
    ]


@pytest.mark.parametrize(
    "disabled",
    [
        {NotificationType.SCORE_UPDATED},
        {NotificationType.LEAD_CREATED, NotificationType.COMMENT_ADDED},
        set(NotificationType),
    ],
    ids=["one", "two", "all"],
)
def test_turned_off_types_are_disabled_and_the_rest_enabled(
    disabled: set[NotificationType],
) -> None:
    listed = preferences(disabled)

    assert [preference.type for preference in listed] == list(NotificationType)
    assert {preference.type for preference in listed if not preference.enabled} == disabled
