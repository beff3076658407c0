"""Steps of features/leads/update_lead_score.feature: scoring a lead tells its owner."""

from __future__ import annotations

from uuid import uuid4

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

from application.commands import UpdateLeadScoreCommand
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


@when(
    phrase(
        "{first:Person} and {second:Person} change the score of"
        ' "{lead:Text}" to {score:Number} at the same moment'
    ),
    target_fixture="outcome",
)
def _score_together(herald: Herald, first: str, second: str, lead: str, score: int) -> Outcome:
    lead_id = str(herald.story.leads[lead].id)
    return herald.together(
        *(
            herald.container.update_lead_score()(
                UpdateLeadScoreCommand(herald.user_id(person), lead_id, score)
            )
            for person in (first, second)
        )
    )


@then("the score is refused")
def _score_refused(outcome: Outcome) -> None:
    assert outcome.refused_with(InvalidInput).field == "score"
