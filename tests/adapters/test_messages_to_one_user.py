"""What a client catching up is sent of each event of its history: exactly what the live
delivery addresses to its user, found without the other recipients' work (a broadcast's
counts are looked up for that user, not grouped for all of them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from adapters.socketio.publisher import messages_for, messages_to
from domain.events import (
    InboxEvent,
    NotificationCreated,
    NotificationDeleted,
    NotificationsBulkUpdated,
    StoredEvent,
    UnreadCountsChanged,
)
from domain.notifications import Notification, NotificationType

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
NOTIFICATION = Notification(
    id=uuid.uuid4(),
    type=NotificationType.LEAD_CREATED,
    title="New lead: Umbrella",
    message="Alice created the lead “Umbrella”",
    related_lead_id=uuid.uuid4(),
    actor_id="alice",
    created_at=NOW,
)
EVENTS: list[InboxEvent] = [
    NotificationCreated(NOTIFICATION, ("bob", "carol")),
    # Carol's unseen count missing: an event stored before seen existed.
    UnreadCountsChanged({"bob": 3, "carol": 1, "erin": 3}, unseen={"bob": 2, "erin": 2}),
    NotificationsBulkUpdated("bob", 4, group_key="g"),
    NotificationDeleted("carol", NOTIFICATION.id),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: type(event).__name__)
@pytest.mark.parametrize("user_id", ["bob", "carol", "dave"])
def test_a_user_gets_what_the_live_delivery_addresses_to_them(
    event: InboxEvent, user_id: str
) -> None:
    stored = StoredEvent(41, event)
    addressed = [
        (message.event, message.payload)
        for message in messages_for(stored)
        if user_id in message.user_ids
    ]

    assert list(messages_to(stored, user_id)) == addressed


def test_a_broadcasts_counts_are_the_users_own_with_the_events_id() -> None:
    stored = StoredEvent(41, EVENTS[1])

    assert list(messages_to(stored, "carol")) == [
        ("notifications:unread-count", {"count": 1, "unseen": 1, "eventId": 41})
    ]
    assert list(messages_to(stored, "dave")) == []
