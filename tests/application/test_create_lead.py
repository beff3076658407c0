"""CreateLead: the lead is stored, and every other registered user gets an unread notification."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from adapters.memory import RecordingPublisher
from application.commands import CreateLeadCommand, SetPreferenceCommand
from application.leads.create_lead import CreateLead
from application.preferences.set_preference import SetPreference
from domain.errors import InvalidInput, UserNotFound
from domain.events import NotificationCreated, UnreadCountsChanged
from domain.leads import Lead
from domain.notifications import InboxEntry, NotificationType

if TYPE_CHECKING:
    from conftest import FixedClock, SequentialIds, StoreReader

Users = Callable[..., Awaitable[None]]


async def test_the_lead_is_stored_owned_by_its_creator(
    given_users: Users, create_lead: CreateLead, clock: FixedClock, read: StoreReader
) -> None:
    await given_users("alice")
    command = CreateLeadCommand(
        actor_id="alice", name=" Acme deal ", email="buyer@acme.example", company="Acme", score=40
    )

    lead = await create_lead(command)

    now = clock.now()
    assert lead == Lead(lead.id, "Acme deal", "buyer@acme.example", "Acme", 40, "alice", now, now)
    assert await read.lead(lead.id) == lead


async def test_every_other_user_gets_one_unread_notification(
    given_users: Users,
    create_lead: CreateLead,
    clock: FixedClock,
    ids: SequentialIds,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")

    lead = await create_lead(CreateLeadCommand(actor_id="alice", name="Acme deal"))

    bobs, carols = await read.inbox("bob"), await read.inbox("carol")
    assert len(bobs) == len(carols) == 1
    notification = bobs[0].notification
    assert carols[0].notification == notification
    assert notification.id in ids.issued
    assert notification.id != lead.id
    assert notification.type is NotificationType.LEAD_CREATED
    assert (notification.related_lead_id, notification.actor_id) == (lead.id, "alice")
    assert notification.created_at == clock.now()
    assert "Alice" in notification.message
    assert "Acme deal" in notification.message
    assert bobs == [InboxEntry.deliver(notification, "bob")]
    assert carols == [InboxEntry.deliver(notification, "carol")]
    assert await read.inbox("alice") == []


async def test_the_recipients_and_their_unread_counts_are_published(
    given_users: Users,
    given_lead: Callable[..., Awaitable[UUID]],
    create_lead: CreateLead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    await given_lead("carol")  # bob already has one unread; carol, its actor, has none

    await create_lead(CreateLeadCommand(actor_id="alice", name="Acme deal"))

    notification = (await read.inbox("bob"))[0].notification
    assert publisher.published == [
        NotificationCreated(notification, ("bob", "carol")),
        UnreadCountsChanged({"bob": 2, "carol": 1}, {"bob": 2, "carol": 1}),
    ]


async def test_users_who_muted_new_leads_are_not_told(
    given_users: Users,
    set_preference: SetPreference,
    create_lead: CreateLead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol", "dave")
    await set_preference(SetPreferenceCommand("carol", NotificationType.LEAD_CREATED, False))
    await set_preference(SetPreferenceCommand("dave", NotificationType.SCORE_UPDATED, False))

    await create_lead(CreateLeadCommand(actor_id="alice", name="Acme deal"))

    assert await read.inbox("carol") == []
    [bobs] = await read.inbox("bob")
    assert [entry.notification for entry in await read.inbox("dave")] == [bobs.notification]
    assert publisher.published == [
        NotificationCreated(bobs.notification, ("bob", "dave")),
        UnreadCountsChanged({"bob": 1, "dave": 1}, {"bob": 1, "dave": 1}),
    ]


async def test_a_lone_user_creating_a_lead_tells_no_one(
    given_users: Users, create_lead: CreateLead, publisher: RecordingPublisher, read: StoreReader
) -> None:
    await given_users("alice")

    lead = await create_lead(CreateLeadCommand(actor_id="alice", name="Acme deal"))

    assert await read.lead(lead.id) == lead
    assert await read.inbox("alice") == []
    assert publisher.published == []


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("name", {"name": "   "}),
        ("name", {"name": "n" * 201}),
        ("company", {"company": "c" * 201}),
        ("email", {"email": "not-an-email"}),
        ("score", {"score": 101}),
        ("score", {"score": -1}),
    ],
    ids=["blank name", "long name", "long company", "bad email", "score 101", "score -1"],
)
async def test_an_invalid_lead_stores_nothing_and_tells_no_one(
    field: str,
    overrides: dict[str, Any],
    given_users: Users,
    create_lead: CreateLead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    before = read.snapshot()

    with pytest.raises(InvalidInput) as caught:
        await create_lead(CreateLeadCommand(**{"actor_id": "alice", "name": "Acme", **overrides}))

    assert caught.value.field == field
    assert read.snapshot() == before
    assert publisher.published == []


async def test_an_unregistered_actor_cannot_create_a_lead(
    given_users: Users, create_lead: CreateLead, publisher: RecordingPublisher, read: StoreReader
) -> None:
    await given_users("alice", "bob")
    before = read.snapshot()

    with pytest.raises(UserNotFound):
        await create_lead(CreateLeadCommand(actor_id="mallory", name="Acme deal"))

    assert read.snapshot() == before
    assert publisher.published == []
