"""ListLeads: the team's leads, whoever created them, newest first, at most `limit` of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from application.commands import ListLeadsQuery
from application.leads.list_leads import ListLeads
from domain.errors import InvalidInput
from domain.leads import Lead

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[Lead]]


async def test_every_lead_newest_first(
    given_users: Users, new_lead: NewLead, list_leads: ListLeads
) -> None:
    await given_users("alice", "bob")
    first, second, third = [await new_lead(owner) for owner in ("alice", "bob", "alice")]

    assert await list_leads(ListLeadsQuery()) == [third, second, first]


async def test_limit_keeps_the_newest(
    given_users: Users, new_lead: NewLead, list_leads: ListLeads
) -> None:
    await given_users("alice")
    _, second, third = [await new_lead("alice", name) for name in ("A", "B", "C")]

    assert await list_leads(ListLeadsQuery(limit=2)) == [third, second]


async def test_no_leads_yet(list_leads: ListLeads) -> None:
    assert await list_leads(ListLeadsQuery()) == []


@pytest.mark.parametrize("limit", [1, 100])
async def test_limits_of_1_to_100_are_accepted(
    limit: int, given_users: Users, new_lead: NewLead, list_leads: ListLeads
) -> None:
    await given_users("alice")
    lead = await new_lead("alice")

    assert await list_leads(ListLeadsQuery(limit=limit)) == [lead]


@pytest.mark.parametrize("limit", [0, -1, 101])
async def test_a_limit_outside_1_to_100_is_invalid_input(limit: int, list_leads: ListLeads) -> None:
    with pytest.raises(InvalidInput) as caught:
        await list_leads(ListLeadsQuery(limit=limit))

    assert caught.value.field == "limit"
