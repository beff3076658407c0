"""Steps of features/leads/create_lead.feature: creating a lead notifies the team."""

from __future__ import annotations

from typing import Any

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

from application.commands import GetLeadQuery
from domain.errors import InvalidInput, LeadNotFound, UserNotFound
from domain.leads import Lead

scenarios("leads/create_lead.feature")

# The features' words for leads at the limits of the contract's rules, and just past them.
LEAD_CASES: dict[str, dict[str, Any]] = {
    "a name of 1 character": {"name": "U"},
    "a name of 200 characters": {"name": "U" * 200},
    "a company name of 200 characters": {"company": "C" * 200},
    "an email of 254 characters": {"email": "a" * 242 + "@example.com"},
    "a score of 0": {"score": 0},
    "a score of 100": {"score": 100},
    "an empty name": {"name": ""},
    "a name of only spaces": {"name": "   "},
    "a name of 201 characters": {"name": "U" * 201},
    "a company name of 201 characters": {"company": "C" * 201},
    "an email without an at sign": {"email": "ceo.umbrella.example"},
    "an email with two at signs": {"email": "ceo@umbrella@example"},
    "an email of 255 characters": {"email": "a" * 243 + "@example.com"},
    "a score of 101": {"score": 101},
    "a negative score": {"score": -1},
}


def lead_fields(case: str) -> dict[str, Any]:
    return {"name": "Umbrella Corp", **LEAD_CASES[case]}


def saved_lead(herald: Herald, lead_id: object) -> Lead:
    return herald.run(herald.container.get_lead()(GetLeadQuery(str(lead_id))))


@when(
    phrase('{person:Person} creates the lead "{lead:Text}" at the company "{company:Text}"'),
    target_fixture="outcome",
)
def _creates_lead_at(herald: Herald, person: str, lead: str, company: str) -> Outcome:
    return herald.create_lead(person, name=lead, company=company)


@when(
    phrase(
        '{person:Person} creates the lead "{lead:Text}" at the company "{company:Text}"'
        ' with the email "{email:Text}" and a score of {score:Number}'
    ),
    target_fixture="outcome",
)
def _creates_full_lead(
    herald: Herald, person: str, lead: str, company: str, email: str, score: int
) -> Outcome:
    return herald.create_lead(person, name=lead, company=company, email=email, score=score)


@when(phrase("{person:Person} creates a lead with {case}"), target_fixture="outcome")
def _creates_edge_lead(herald: Herald, person: str, case: str) -> Outcome:
    outcome = herald.create_lead(person, **lead_fields(case))
    outcome.asked = case
    return outcome


@when(phrase("{person:Person} tries to create a lead with {case}"), target_fixture="outcome")
def _tries_to_create_lead(herald: Herald, person: str, case: str) -> Outcome:
    return herald.create_lead(person, may_be_refused=True, **lead_fields(case))


@when(
    phrase('{person:Person}, who never signed in, tries to create the lead "{lead:Text}"'),
    target_fixture="outcome",
)
def _stranger_creates_lead(herald: Herald, person: str, lead: str) -> Outcome:
    assert herald.user_id(person) not in herald.registered_ids()
    return herald.create_lead(person, may_be_refused=True, name=lead)


@then(
    phrase(
        'the lead "{lead:Text}" is saved at the company "{company:Text}"'
        ' with the email "{email:Text}" and a score of {score:Number}'
    )
)
def _lead_saved(herald: Herald, lead: str, company: str, email: str, score: int) -> None:
    saved = saved_lead(herald, herald.story.leads[lead].id)
    assert (saved.name, saved.company, saved.email, saved.score) == (lead, company, email, score)


@then(phrase("the lead is saved with {case}"))
def _lead_saved_with(herald: Herald, outcome: Outcome, case: str) -> None:
    assert case == outcome.asked
    saved = saved_lead(herald, outcome.value.id)
    assert saved == outcome.value
    for name, value in LEAD_CASES[case].items():
        assert getattr(saved, name) == value


@then(
    phrase(
        "{person:Person} is told at once of a new notification about that lead,"
        " with {count:Number} unread"
    )
)
def _told_of_that_lead(herald: Herald, outcome: Outcome, person: str, count: int) -> None:
    notification_id = herald.notification_id(outcome.value.name)
    assert herald.news(person) == [("new", notification_id), ("unread", count)]


@then(phrase("the lead is refused for its {part}"))
def _lead_refused_for(outcome: Outcome, part: str) -> None:
    assert outcome.refused_with(InvalidInput).field == part


@then(phrase("the lead is refused because {person:Person} is unknown"))
def _lead_refused_unknown(herald: Herald, outcome: Outcome, person: str) -> None:
    assert outcome.refused_with(UserNotFound).object_id == herald.user_id(person)


@then("no lead is saved")
def _no_lead_saved(herald: Herald, outcome: Outcome) -> None:
    for new_id in outcome.new_ids:
        try:
            found = saved_lead(herald, new_id)
        except LeadNotFound:
            continue
        raise AssertionError(f"a refused lead was saved: {found!r}")
