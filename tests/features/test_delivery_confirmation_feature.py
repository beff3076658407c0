"""Steps of features/notifications/delivery_confirmation.feature: screens confirm what they
received, cumulatively."""

from __future__ import annotations

from feature_support import Herald, Outcome, phrase
from pytest_bdd import given, scenarios, then, when

scenarios("notifications/delivery_confirmation.feature")


@given(
    phrase(
        "{person:Person}'s screen has confirmed it received {_:Pronoun} notifications up to the"
        ' one about "{lead:Text}"'
    )
)
def _has_confirmed(herald: Herald, person: str, lead: str) -> None:
    herald.confirm_delivery(person, lead)
    assert herald.entry(person, lead).delivered_at is not None


@when(
    phrase(
        "{person:Person}'s screen confirms it received {_:Pronoun} notifications up to the one"
        ' about "{lead:Text}"'
    ),
    target_fixture="outcome",
)
def _confirms(herald: Herald, person: str, lead: str) -> Outcome:
    return herald.confirm_delivery(person, lead)


@then(phrase("{person:Person}'s notifications about {leads:Leads} are delivered"))
def _delivered(herald: Herald, person: str, leads: list[str]) -> None:
    for lead in leads:
        assert herald.entry(person, lead).delivered_at is not None, lead


@then(phrase("{person:Person}'s notifications about {leads:Leads} are not delivered yet"))
def _not_delivered(herald: Herald, person: str, leads: list[str]) -> None:
    for lead in leads:
        assert herald.entry(person, lead).delivered_at is None, lead


@then(phrase('{person:Person}\'s notification about "{lead:Text}" is not delivered yet'))
def _one_not_delivered(herald: Herald, person: str, lead: str) -> None:
    _not_delivered(herald, person, [lead])


@then(
    phrase(
        '{person:Person}\'s notification about "{lead:Text}" is still delivered since the first'
        " time"
    )
)
def _still_delivered(herald: Herald, person: str, lead: str) -> None:
    assert herald.entry(person, lead).delivered_at == herald.story.delivered_at[person, lead]
