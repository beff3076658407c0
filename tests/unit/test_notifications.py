"""Notifications: each recipient's read state, and what a lead_created notification says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.leads import Lead
from domain.notifications import InboxEntry, Notification, NotificationType, lead_created
from domain.users import User

CREATED = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
READ = CREATED + timedelta(minutes=5)
LATER = CREATED + timedelta(hours=1)


def a_notification() -> Notification:
    return Notification(
        id=UUID(int=1),
        type=NotificationType.LEAD_CREATED,
        title="New lead: Acme deal",
        message="Alice created the lead “Acme deal”",
        related_lead_id=UUID(int=2),
        actor_id="alice",
        created_at=CREATED,
    )


def a_lead(company: str | None = None) -> Lead:
    return Lead.create(
        UUID(int=2),
        name="Acme deal",
        email=None,
        company=company,
        score=0,
        owner_id="alice",
        now=CREATED,
    )


def test_a_delivered_entry_is_unread_and_dated_with_the_notification() -> None:
    entry = InboxEntry.deliver(a_notification(), "bob")

    assert entry == InboxEntry(a_notification(), "bob", read_at=None, updated_at=CREATED)
    assert entry.is_read is False


def test_mark_read_reads_it_now_and_says_so() -> None:
    entry = InboxEntry.deliver(a_notification(), "bob")

    assert entry.mark_read(READ) is True
    assert (entry.is_read, entry.read_at, entry.updated_at) == (True, READ, READ)


def test_mark_read_twice_changes_nothing_the_second_time() -> None:
    entry = InboxEntry.deliver(a_notification(), "bob")
    entry.mark_read(READ)

    assert entry.mark_read(LATER) is False
    assert (entry.read_at, entry.updated_at) == (READ, READ)


def test_one_recipient_reading_leaves_another_unread() -> None:
    notification = a_notification()
    bobs, carols = (
        InboxEntry.deliver(notification, "bob"),
        InboxEntry.deliver(notification, "carol"),
    )

    bobs.mark_read(READ)

    assert (bobs.is_read, carols.is_read) == (True, False)


def test_lead_created_points_at_the_lead_and_its_actor() -> None:
    lead = a_lead()

    notification = lead_created(UUID(int=9), lead, User.register("alice", "Alice", None, LATER))

    assert notification.id == UUID(int=9)
    assert notification.type is NotificationType.LEAD_CREATED
    assert notification.related_lead_id == lead.id
    assert notification.actor_id == "alice"
    assert notification.created_at == lead.created_at


@pytest.mark.parametrize(
    ("name", "named_as"),
    [("Alice Liddell", "Alice Liddell"), (None, "u-42")],
    ids=["by name", "by id when nameless"],
)
def test_lead_created_names_the_actor_and_the_lead(name: str | None, named_as: str) -> None:
    actor = User.register("u-42", name, None, CREATED)

    notification = lead_created(UUID(int=9), a_lead(), actor)

    assert "Acme deal" in notification.title
    assert named_as in notification.message
    assert "Acme deal" in notification.message


def test_lead_created_names_the_company_when_there_is_one() -> None:
    actor = User.register("alice", "Alice", None, CREATED)

    with_company = lead_created(UUID(int=9), a_lead(company="Umbrella Corp"), actor)
    without = lead_created(UUID(int=9), a_lead(company=None), actor)

    assert with_company.message == "Alice created the lead “Acme deal” at Umbrella Corp"
    assert without.message == "Alice created the lead “Acme deal”"
