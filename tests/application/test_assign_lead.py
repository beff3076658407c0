"""AssignLead: any teammate hands a lead to a registered owner; no one is notified of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from adapters.memory import RecordingPublisher
from application.commands import AssignLeadCommand
from application.leads.assign_lead import AssignLead
from domain.errors import DomainError, InvalidInput, LeadNotFound, UserNotFound
from domain.leads import Lead

if TYPE_CHECKING:
    from conftest import FixedClock, StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[Lead]]

UNKNOWN = "6f1c2a7e-4b0d-4c8e-9a53-2d1f0e7b9c44"


async def test_assigning_moves_the_ownership_and_tells_no_one(
    given_users: Users,
    new_lead: NewLead,
    assign_lead: AssignLead,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    lead = await new_lead("alice")
    inboxes = {user_id: await read.inbox(user_id) for user_id in ("alice", "bob", "carol")}
    now = clock.advance(minutes=5)

    assigned = await assign_lead(AssignLeadCommand("carol", str(lead.id), owner_id="bob"))

    assert assigned == replace(lead, owner_id="bob", updated_at=now)
    assert await read.lead(lead.id) == assigned
    assert {user_id: await read.inbox(user_id) for user_id in inboxes} == inboxes
    assert publisher.published == []


async def test_assigning_to_the_current_owner_changes_nothing(
    given_users: Users,
    new_lead: NewLead,
    assign_lead: AssignLead,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    lead = await new_lead("alice")
    before = read.snapshot()
    clock.advance(minutes=5)

    assert await assign_lead(AssignLeadCommand("bob", str(lead.id), owner_id="alice")) == lead
    assert read.snapshot() == before


@pytest.mark.parametrize(
    ("lead_id", "owner_id", "error"),
    [
        (UNKNOWN, "bob", LeadNotFound),
        (None, "mallory", UserNotFound),
        (None, "", UserNotFound),
        ("lead-1", "bob", InvalidInput),
        (UNKNOWN.upper(), "bob", InvalidInput),
    ],
    ids=["unknown lead", "unregistered owner", "empty owner", "malformed id", "uppercase id"],
)
async def test_a_bad_assignment_changes_nothing(
    lead_id: str | None,
    owner_id: str,
    error: type[DomainError],
    given_users: Users,
    new_lead: NewLead,
    assign_lead: AssignLead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    lead = await new_lead("alice")
    lead_id = str(lead.id) if lead_id is None else lead_id  # None: the real one
    before = read.snapshot()

    with pytest.raises(error) as caught:
        await assign_lead(AssignLeadCommand("alice", lead_id, owner_id))

    if isinstance(caught.value, InvalidInput):
        assert caught.value.field == "id"
    assert read.snapshot() == before
    assert publisher.published == []
