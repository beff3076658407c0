"""One recipient's entry: read, seen, delivered and archived, and what it adds to the counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.notifications import (
    Badge,
    InboxEntry,
    Notification,
    NotificationGroup,
    NotificationType,
)

T0 = datetime(2025, 3, 14, 23, 59, tzinfo=UTC)
LEAD = UUID("00000000-0000-4000-8000-000000000001")


def note(
    kind: NotificationType = NotificationType.COMMENT_ADDED, **changes: object
) -> Notification:
    fields: dict[str, object] = {
        "id": UUID("00000000-0000-4000-8000-0000000000aa"),
        "type": kind,
        "title": "New comment on Umbrella",
        "message": "Alice commented",
        "related_lead_id": LEAD,
        "actor_id": "alice",
        "created_at": T0,
    }
    fields.update(changes)
    return Notification(**fields)  # type: ignore[arg-type]


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_reading_sees_and_unreading_keeps_it_seen() -> None:
    entry = InboxEntry.deliver(note(), "bob")
    assert entry.badge == Badge(1, 1)

    assert entry.mark_read(later(1))
    assert (entry.read_at, entry.seen_at, entry.updated_at) == (later(1), later(1), later(1))
    assert entry.badge == Badge(0, 0)

    assert entry.mark_unread(later(2))
    assert (entry.read_at, entry.seen_at) == (None, later(1))
    assert entry.badge == Badge(1, 0)
    assert not entry.mark_unread(later(3))


def test_seen_and_delivered_are_set_once() -> None:
    entry = InboxEntry.deliver(note(), "bob")
    assert entry.mark_seen(later(1))
    assert not entry.mark_seen(later(2))
    assert entry.confirm_delivered(later(1))
    assert not entry.confirm_delivered(later(2))
    entry.mark_read(later(3))
    assert (entry.seen_at, entry.delivered_at) == (later(1), later(1))


def test_archiving_leaves_read_and_seen_and_the_counts_as_they_were() -> None:
    entry = InboxEntry.deliver(note(), "bob")
    assert entry.archive(later(1))
    assert not entry.archive(later(2))  # the time of the latest archiving stays
    assert (entry.archived_at, entry.read_at, entry.seen_at) == (later(1), None, None)
    assert entry.badge == Badge(0, 0)

    assert entry.unarchive(later(3))
    assert not entry.unarchive(later(4))
    assert entry.archived_at is None
    assert entry.badge == Badge(1, 1)


def test_new_leads_group_by_actor_and_utc_day_the_others_by_type_and_lead() -> None:
    lead_created = NotificationType.LEAD_CREATED
    tonight = note(lead_created).group_key
    assert tonight == note(lead_created, id=UUID(int=2), related_lead_id=UUID(int=3)).group_key
    assert tonight != note(lead_created, created_at=later(1)).group_key  # the next day
    assert tonight != note(lead_created, actor_id="carol").group_key
    same_day_elsewhere = T0.astimezone(UTC).replace(hour=1)
    assert tonight == note(lead_created, created_at=same_day_elsewhere).group_key

    comments = note().group_key
    assert comments == note(id=UUID(int=2), actor_id="carol", created_at=later(60)).group_key
    assert comments != note(NotificationType.TASK_COMPLETED).group_key
    assert comments != note(related_lead_id=UUID(int=9)).group_key


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        (NotificationType.LEAD_CREATED, "4 new leads"),
        (NotificationType.TASK_COMPLETED, "4 tasks completed on Umbrella Corp"),
        (NotificationType.SCORE_UPDATED, "4 score changes on Umbrella Corp"),
        (NotificationType.COMMENT_ADDED, "4 new comments on Umbrella Corp"),
    ],
)
def test_a_group_says_how_many_and_a_group_of_one_its_title(
    kind: NotificationType, title: str
) -> None:
    latest = InboxEntry.deliver(note(kind), "bob")

    def group(count: int) -> NotificationGroup:
        return NotificationGroup(
            latest.notification.group_key, count, count, ("alice",), 1, latest, T0, "Umbrella Corp"
        )

    assert group(4).title == title
    assert group(1).title == latest.notification.title
    assert group(4).related_lead_id == (None if kind is NotificationType.LEAD_CREATED else LEAD)
