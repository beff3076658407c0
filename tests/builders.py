"""Domain objects built alike by many tests, in one place (a test that needs other texts or
kinds, like the event log's escaping, keeps a builder of its own)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from domain.notifications import Notification, NotificationType


def a_notification(at: datetime, related_lead_id: UUID | None = None) -> Notification:
    """A new lead's notification by alice, created `at`."""
    return Notification(
        id=uuid4(),
        type=NotificationType.LEAD_CREATED,
        title="New lead: Umbrella",
        message="Alice created the lead “Umbrella” at Umbrella Corp",
        related_lead_id=related_lead_id,
        actor_id="alice",
        created_at=at,
    )
