"""Steps of features/notifications/mark_as_unread.feature: keeping one to come back to."""

from __future__ import annotations

from feature_support import Herald, Outcome, phrase
from pytest_bdd import given, scenarios, then, when

from domain.notifications import InboxEntry

scenarios("notifications/mark_as_unread.feature")


@given(phrase('{person:Person} has marked {_:Pronoun} notification about "{lead:Text}" as unread'))
def _has_marked_unread(herald: Herald, person: str, lead: str) -> None:
    entry: InboxEntry = herald.mark_as_unread(person, str(herald.notification_id(lead))).value
    assert entry.read_at is None


@when(
    phrase('{person:Person} marks {_:Pronoun} notification about "{lead:Text}" as unread'),
    target_fixture="outcome",
)
def _marks_unread(herald: Herald, person: str, lead: str) -> Outcome:
    return herald.mark_as_unread(person, str(herald.notification_id(lead)))


@when(
    phrase('{person:Person} tries to mark the notification about "{lead:Text}" as unread'),
    target_fixture="outcome",
)
def _tries_to_mark_unread(herald: Herald, person: str, lead: str) -> Outcome:
    notification_id = str(herald.notification_id(lead))
    return herald.mark_as_unread(person, notification_id, may_be_refused=True)


@then(
    phrase(
        '{person:Person} is told at once that the notification about "{lead:Text}" is unread'
        " again, with {count:Number} unread"
    )
)
def _told_unread_again(herald: Herald, person: str, lead: str, count: int) -> None:
    notification_id = herald.notification_id(lead)
    assert herald.news(person) == [("unread again", notification_id), ("unread", count)]
    seen = herald.publisher.seen[herald.user_id(person)]
    assert seen.unread == count
