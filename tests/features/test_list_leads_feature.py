"""Steps of features/leads/list_leads.feature: the team's leads, newest first."""

from __future__ import annotations

from feature_support import TEAM, Herald, Outcome, phrase
from pytest_bdd import given, scenarios, then, when

from domain.leads import Lead

scenarios("leads/list_leads.feature")


def leads_seen(outcome: Outcome, person: str) -> list[Lead]:
    assert outcome.who == person, f"{person} did not list the leads; {outcome.who} did"
    assert outcome.error is None, outcome.error
    leads: list[Lead] = outcome.value
    return leads


@given(phrase("{person:Person} has created {count:Number} more leads"))
def _has_created_more(herald: Herald, person: str, count: int) -> None:
    for number in range(1, count + 1):
        assert herald.create_lead(person, name=f"Lead {number}").value.name == f"Lead {number}"


@when(phrase("{person:Person} lists the leads"), target_fixture="outcome")
def _lists(herald: Herald, person: str) -> Outcome:
    return herald.list_leads(person)


@when(phrase("{person:Person} lists at most {size:Number} leads"), target_fixture="outcome")
def _lists_at_most(herald: Herald, person: str, size: int) -> Outcome:
    outcome = herald.list_leads(person, size)
    assert outcome.error is None, outcome.error
    return outcome


@when(phrase("{person:Person} tries to list at most {size:Number} leads"), target_fixture="outcome")
def _tries_to_list(herald: Herald, person: str, size: int) -> Outcome:
    return herald.list_leads(person, size)


@then(phrase("{person:Person} sees the leads {leads:Leads}, in that order"))
def _sees_leads(herald: Herald, outcome: Outcome, person: str, leads: list[str]) -> None:
    seen = leads_seen(outcome, person)
    assert [lead.name for lead in seen] == leads
    assert seen == [herald.story.leads[name] for name in leads]


@then(phrase("{person:Person} sees these leads, newest first:"))
def _sees_table(herald: Herald, outcome: Outcome, person: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert header == ["lead", "score", "owner"], header
    names = {user_id: name for name, user_id in TEAM.items()}
    seen = [
        [lead.name, str(lead.score), names.get(lead.owner_id or "", "?")]
        for lead in leads_seen(outcome, person)
    ]
    assert seen == rows


@then(phrase("{person:Person} sees the {count:Number} newest leads, newest first"))
def _sees_newest(herald: Herald, outcome: Outcome, person: str, count: int) -> None:
    every = sorted(herald.story.leads.values(), key=lambda lead: lead.created_at, reverse=True)
    assert len(every) > count
    assert leads_seen(outcome, person) == every[:count]
