"""UpdateLeadScore: a teammate scores a lead anew, and its owner, unless the scorer, is told."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from adapters.memory import RecordingPublisher
from application.commands import AssignLeadCommand, UpdateLeadScoreCommand
from application.leads.assign_lead import AssignLead
from application.leads.update_lead_score import UpdateLeadScore
from domain.errors import DomainError, InvalidInput, LeadNotFound, UserNotFound
from domain.events import NotificationCreated, UnreadCountsChanged
from domain.leads import Lead
from domain.notifications import InboxEntry, NotificationType

if TYPE_CHECKING:
    from conftest import FixedClock, SequentialIds, StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[Lead]]


async def test_the_score_is_stored_and_the_owner_told(
    given_users: Users,
    new_lead: NewLead,
    update_lead_score: UpdateLeadScore,
    publisher: RecordingPublisher,
    clock: FixedClock,
    ids: SequentialIds,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    lead = await new_lead("alice", score=40)  # bob and carol each have one unread already
    carols = await read.inbox("carol")
    now = clock.advance(minutes=5)

    scored = await update_lead_score(UpdateLeadScoreCommand("bob", str(lead.id), 75))

    assert scored == replace(lead, score=75, updated_at=now)
    assert await read.lead(lead.id) == scored
    [entry] = await read.inbox("alice")
    notification = entry.notification
    assert entry == InboxEntry.deliver(notification, "alice")
    assert notification.id in ids.issued
    assert notification.id != lead.id
    assert notification.type is NotificationType.SCORE_UPDATED
    assert (notification.related_lead_id, notification.actor_id) == (lead.id, "bob")
    assert notification.created_at == now
    assert notification.message == "Bob changed the score of Acme Corp from 40 to 75"
    assert await read.inbox("carol") == carols
    assert publisher.published == [
        NotificationCreated(notification, ("alice",)),
        UnreadCountsChanged({"alice": 1}, {"alice": 1}),
    ]


async def test_the_current_owner_is_told_not_the_creator(
    given_users: Users,
    new_lead: NewLead,
    assign_lead: AssignLead,
    update_lead_score: UpdateLeadScore,
    publisher: RecordingPublisher,
) -> None:
    await given_users("alice", "bob", "carol")
    lead = await new_lead("alice")
    await assign_lead(AssignLeadCommand("alice", str(lead.id), owner_id="carol"))

    await update_lead_score(UpdateLeadScoreCommand("bob", str(lead.id), 10))

    created = publisher.published[0]
    assert isinstance(created, NotificationCreated)
    assert created.recipients == ("carol",)


async def test_an_owner_scoring_their_own_lead_tells_no_one(
    given_users: Users,
    new_lead: NewLead,
    update_lead_score: UpdateLeadScore,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    lead = await new_lead("alice")
    bobs = await read.inbox("bob")

    scored = await update_lead_score(UpdateLeadScoreCommand("alice", str(lead.id), 90))

    assert await read.lead(lead.id) == scored
    assert scored.score == 90
    assert (await read.inbox("alice"), await read.inbox("bob")) == ([], bobs)
    assert publisher.published == []


async def test_the_same_score_again_changes_nothing_and_tells_no_one(
    given_users: Users,
    new_lead: NewLead,
    update_lead_score: UpdateLeadScore,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    lead = await new_lead("alice", score=40)
    before = read.snapshot()
    clock.advance(minutes=5)

    assert await update_lead_score(UpdateLeadScoreCommand("bob", str(lead.id), 40)) == lead
    assert read.snapshot() == before
    assert publisher.published == []


@pytest.mark.parametrize(
    ("actor_id", "lead_id", "score", "error", "field"),
    [
        ("bob", None, 101, InvalidInput, "score"),
        ("bob", None, -1, InvalidInput, "score"),
        ("bob", "lead-1", 50, InvalidInput, "id"),
        ("bob", "6f1c2a7e-4b0d-4c8e-9a53-2d1f0e7b9c44", 50, LeadNotFound, None),
        ("mallory", None, 50, UserNotFound, None),
    ],
    ids=["score 101", "score -1", "malformed id", "unknown lead", "unregistered actor"],
)
async def test_a_bad_update_stores_nothing_and_tells_no_one(
    actor_id: str,
    lead_id: str | None,
    score: int,
    error: type[DomainError],
    field: str | None,
    given_users: Users,
    new_lead: NewLead,
    update_lead_score: UpdateLeadScore,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    lead = await new_lead("alice", score=40)
    lead_id = str(lead.id) if lead_id is None else lead_id  # None: the real one
    before = read.snapshot()

    with pytest.raises(error) as caught:
        await update_lead_score(UpdateLeadScoreCommand(actor_id, lead_id, score))

    assert getattr(caught.value, "field", None) == field
    assert read.snapshot() == before
    assert publisher.published == []
