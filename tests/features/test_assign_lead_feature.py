"""Steps of features/leads/assign_lead.feature: handing a lead to a teammate."""

from __future__ import annotations

from uuid import uuid4

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

from domain.errors import UserNotFound

scenarios("leads/assign_lead.feature")


@when(
    phrase(
        '{person:Person} tries to hand the lead "{lead:Text}" to {owner:Person},'
        " who never signed in"
    ),
    target_fixture="outcome",
)
def _tries_to_hand_to_stranger(herald: Herald, person: str, lead: str, owner: str) -> Outcome:
    assert herald.user_id(owner) not in herald.registered_ids()
    return herald.assign_lead(person, herald.lead_ref(lead), owner, may_be_refused=True)


@when(
    phrase("{person:Person} tries to hand a lead that does not exist to {owner:Person}"),
    target_fixture="outcome",
)
def _tries_to_hand_missing_lead(herald: Herald, person: str, owner: str) -> Outcome:
    return herald.assign_lead(person, str(uuid4()), owner, may_be_refused=True)


@then(phrase("the hand-over is refused because {person:Person} is unknown"))
def _hand_over_refused(herald: Herald, outcome: Outcome, person: str) -> None:
    assert outcome.refused_with(UserNotFound).object_id == herald.user_id(person)
