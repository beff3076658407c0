"""Steps of features/notifications/unread_count.feature: the unread count."""

from __future__ import annotations

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

from application.commands import GetUnreadCountQuery

scenarios("notifications/unread_count.feature")


@when(phrase("{person:Person} checks {_:Pronoun} unread count"), target_fixture="outcome")
def _checks_unread_count(herald: Herald, person: str) -> Outcome:
    query = GetUnreadCountQuery(herald.user_id(person))
    return herald.act(person, herald.container.get_unread_count()(query))


@then(phrase("{person:Person}'s unread count is {count:Number}"))
def _unread_count_is(herald: Herald, outcome: Outcome, person: str, count: int) -> None:
    assert outcome.who == person, f"{person} did not check; {outcome.who} did"
    assert outcome.value == count
    assert outcome.value == sum(not entry.is_read for entry in herald.inbox(person))
