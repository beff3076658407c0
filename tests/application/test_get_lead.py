"""GetLead: any user reads any lead by its id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from application.commands import CreateLeadCommand, GetLeadQuery
from application.leads.create_lead import CreateLead
from application.leads.get_lead import GetLead
from domain.errors import InvalidInput, LeadNotFound


async def test_a_stored_lead_is_found_by_its_id(
    given_users: Callable[..., Awaitable[None]], create_lead: CreateLead, get_lead: GetLead
) -> None:
    await given_users("alice")
    lead = await create_lead(CreateLeadCommand(actor_id="alice", name="Acme", company="Acme"))

    assert await get_lead(GetLeadQuery(str(lead.id))) == lead


async def test_an_unknown_id_is_not_found(get_lead: GetLead) -> None:
    with pytest.raises(LeadNotFound):
        await get_lead(GetLeadQuery("6f1c2a7e-4b0d-4c8e-9a53-2d1f0e7b9c44"))


@pytest.mark.parametrize("lead_id", ["", "lead-1", "6F1C2A7E-4B0D-4C8E-9A53-2D1F0E7B9C44"])
async def test_a_malformed_id_is_invalid_input(get_lead: GetLead, lead_id: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await get_lead(GetLeadQuery(lead_id))

    assert caught.value.field == "id"
