"""Steps of features/leads/update_lead_score.feature: scoring a lead tells its owner."""

from __future__ import annotations

from uuid import uuid4

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

from domain.errors import InvalidInput

scenarios("leads/update_lead_score.feature")


@when(
    phrase('{person:Person} tries to change the score of "{lead:Text}" to {score:Number}'),
    target_fixture="outcome",
)
def _tries_to_score(herald: Herald, person: str, lead: str, score: int) -> Outcome:
    return herald.update_score(person, herald.lead_ref(lead), score, may_be_refused=True)


@when(
    phrase(
        "{person:Person} tries to change the score of a lead that does not exist to {score:Number}"
    ),
    target_fixture="outcome",
)
def _tries_to_score_missing_lead(herald: Herald, person: str, score: int) -> Outcome:
    return herald.update_score(person, str(uuid4()), score, may_be_refused=True)


@then("the score is refused")
def _score_refused(outcome: Outcome) -> None:
    assert outcome.refused_with(InvalidInput).field == "score"
