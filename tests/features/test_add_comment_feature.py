"""Steps of features/comments/add_comment.feature: a comment tells those who follow the lead."""

from __future__ import annotations

from uuid import uuid4

from feature_support import Herald, Outcome, phrase
from pytest_bdd import given, scenarios, then, when

from domain.comments import Comment
from domain.errors import InvalidInput

scenarios("comments/add_comment.feature")


def letters(length: int) -> str:
    """A text whose every position can be told apart from the next one's."""
    return "".join(chr(ord("a") + index % 26) for index in range(length))


# The features' words for comments at the limits of the contract's rules, and just past them.
COMMENTS = {
    "a comment of 1 character": "k",
    "a comment of 140 characters": letters(140),
    "a comment of 5,000 characters": letters(5_000),
    "an empty comment": "",
    "a comment of only spaces": "   ",
    "a comment of 5,001 characters": letters(5_001),
}

# How much of a comment its notification quotes.
QUOTES = {
    "the whole comment": lambda body: body,
    "only its first 139 characters, and an ellipsis": lambda body: body[:139] + "…",
}


@when(
    phrase('{person:Person} comments on "{lead:Text}" with {case}'),
    target_fixture="outcome",
)
def _comments_with(herald: Herald, person: str, lead: str, case: str) -> Outcome:
    outcome = herald.add_comment(person, herald.lead_ref(lead), COMMENTS[case])
    outcome.asked = case
    return outcome


@when(
    phrase('{person:Person} tries to comment on "{lead:Text}" with {case}'),
    target_fixture="outcome",
)
def _tries_to_comment(herald: Herald, person: str, lead: str, case: str) -> Outcome:
    return herald.add_comment(person, herald.lead_ref(lead), COMMENTS[case], may_be_refused=True)


@given(phrase('{person:Person} has tried to comment on "{lead:Text}" with {case}'))
def _has_tried_to_comment(herald: Herald, person: str, lead: str, case: str) -> None:
    _tries_to_comment(herald, person, lead, case).refused_with(InvalidInput)


@when(
    phrase('{person:Person} tries to comment "{body:Text}" on a lead that does not exist'),
    target_fixture="outcome",
)
def _tries_to_comment_on_missing_lead(herald: Herald, person: str, body: str) -> Outcome:
    return herald.add_comment(person, str(uuid4()), body, may_be_refused=True)


@then(phrase("the comment is saved with {case}"))
def _comment_saved(herald: Herald, outcome: Outcome, case: str) -> None:
    assert case == outcome.asked
    comment: Comment = outcome.value
    assert comment.body == COMMENTS[case]
    assert comment.author_id == herald.user_id(outcome.who or "")


@then(phrase('{person:Person} is among those who commented on "{lead:Text}"'))
def _among_commenters(herald: Herald, person: str, lead: str) -> None:
    assert herald.user_id(person) in herald.commenters(lead)


@then(phrase('{person:Person} is not among those who commented on "{lead:Text}"'))
def _not_among_commenters(herald: Herald, person: str, lead: str) -> None:
    assert herald.user_id(person) not in herald.commenters(lead)


@then(
    phrase(
        "{person:Person} is told at once of a new notification quoting {quote},"
        " with {count:Number} unread"
    )
)
def _told_quoting(herald: Herald, outcome: Outcome, person: str, quote: str, count: int) -> None:
    comment: Comment = outcome.value
    lead = next(name for name, lead in herald.story.leads.items() if lead.id == comment.lead_id)
    [notification] = herald.notifications_told(person)
    quoted = QUOTES[quote](comment.body)
    assert notification.message == f"{outcome.who} commented on {lead}: “{quoted}”"
    assert herald.news(person) == [("new", notification.id), ("unread", count)]


@then("the comment is refused")
def _comment_refused(outcome: Outcome) -> None:
    assert outcome.refused_with(InvalidInput).field == "body"
