"""Steps of features/leads/get_lead.feature: any teammate reads any lead."""

from __future__ import annotations

from uuid import uuid4

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

from application.commands import GetLeadQuery

scenarios("leads/get_lead.feature")


def read_lead(herald: Herald, person: str, lead_id: str) -> Outcome:
    # Leads are the team's: the query names no reader, as the GraphQL resolver names none.
    use_case = herald.container.get_lead()
    return herald.act(person, use_case(GetLeadQuery(lead_id)), may_be_refused=True)


@when(phrase('{person:Person} reads the lead "{lead:Text}"'), target_fixture="outcome")
def _reads_lead(herald: Herald, person: str, lead: str) -> Outcome:
    return read_lead(herald, person, str(herald.story.leads[lead].id))


@when(phrase("{person:Person} looks for a lead that does not exist"), target_fixture="outcome")
def _looks_for_missing_lead(herald: Herald, person: str) -> Outcome:
    return read_lead(herald, person, str(uuid4()))


@when(phrase("{person:Person} looks for a lead by a malformed reference"), target_fixture="outcome")
def _looks_for_malformed_lead(herald: Herald, person: str) -> Outcome:
    return read_lead(herald, person, "not-a-reference")


@then(
    phrase(
        '{person:Person} sees the lead "{lead:Text}" at the company "{company:Text}"'
        ' with the email "{email:Text}" and a score of {score:Number}, owned by {owner:Person}'
    )
)
def _sees_lead(
    herald: Herald,
    outcome: Outcome,
    person: str,
    lead: str,
    company: str,
    email: str,
    score: int,
    owner: str,
) -> None:
    assert outcome.who == person
    seen = outcome.value
    assert seen == herald.story.leads[lead]
    assert (seen.name, seen.company, seen.email, seen.score) == (lead, company, email, score)
    assert seen.owner_id == herald.user_id(owner)
