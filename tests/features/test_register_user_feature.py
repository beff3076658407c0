"""Steps of features/users/register_user.feature: signing in registers a user."""

from __future__ import annotations

from feature_support import TEAM, Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

from application.commands import RegisterUserCommand
from domain.errors import InvalidInput
from domain.users import MAX_USER_ID_LENGTH

scenarios("users/register_user.feature")

BAD_USER_IDS = {
    "no user id": "",
    "a user id of 256 characters": "u" * (MAX_USER_ID_LENGTH + 1),
}


def long_name(length: int) -> str:
    """A name whose every position can be told apart from the next one's."""
    return "".join(chr(ord("a") + index % 26) for index in range(length))


@when(
    phrase('{person:Person} signs in as "{name:Text}" with the email "{email:Text}"'),
    target_fixture="outcome",
)
def _signs_in_as(herald: Herald, person: str, name: str, email: str) -> Outcome:
    return herald.sign_in(person, name, email)


@when(
    phrase("{person:Person} signs in with a name of {length:Number} characters"),
    target_fixture="outcome",
)
def _signs_in_with_long_name(herald: Herald, person: str, length: int) -> Outcome:
    outcome = herald.sign_in(person, long_name(length), None)
    outcome.asked = long_name(length)
    return outcome


@when(phrase("someone tries to sign in with {bad_user_id}"), target_fixture="outcome")
def _signs_in_without_id(herald: Herald, bad_user_id: str) -> Outcome:
    command = RegisterUserCommand(BAD_USER_IDS[bad_user_id], name="Someone")
    return herald.act(None, herald.container.register_user()(command), may_be_refused=True)


@then(phrase('{person:Person} is registered as "{name:Text}" with the email "{email:Text}"'))
def _registered_as(herald: Herald, outcome: Outcome, person: str, name: str, email: str) -> None:
    assert (outcome.value.name, outcome.value.email) == (name, email)
    stored = herald.registered(person)
    assert stored is not None
    assert (stored.id, stored.name, stored.email) == (herald.user_id(person), name, email)


@then(phrase("{person:Person}'s registration is unchanged since {_:Pronoun} first sign-in"))
def _registration_unchanged(herald: Herald, outcome: Outcome, person: str) -> None:
    first = herald.story.registrations[person]
    assert outcome.value == first
    assert herald.registered(person) == first


@then(
    phrase("{person:Person} is registered under the first {length:Number} characters of that name")
)
def _registered_under_prefix(herald: Herald, outcome: Outcome, person: str, length: int) -> None:
    assert len(outcome.asked) > length
    stored = herald.registered(person)
    assert stored is not None
    assert stored.name == outcome.asked[:length]


@then("the sign-in is refused")
def _sign_in_refused(outcome: Outcome) -> None:
    assert outcome.refused_with(InvalidInput).field == "sub"


@then("nobody is registered")
def _nobody_registered(herald: Herald) -> None:
    assert herald.registered_ids() == []


@then(phrase("{person:Person}, who never signed in, has no notification"))
def _never_signed_in(herald: Herald, person: str) -> None:
    assert herald.user_id(person) not in herald.registered_ids()
    assert herald.inbox(person) == []
    assert herald.news(person) == []


@then(
    phrase(
        '{person:Person}\'s notification about "{lead:Text}"'
        " names {actor:Person} by {_:Pronoun} user id"
    )
)
def _named_by_id(herald: Herald, person: str, lead: str, actor: str) -> None:
    assert TEAM[actor] == herald.user_id(actor)
    message = herald.entry(person, lead).notification.message
    assert message == f"{herald.user_id(actor)} created the lead “{lead}”"
