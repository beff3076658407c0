"""Steps of features/notifications/delete_notification.feature: deleting a notification."""

from __future__ import annotations

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

scenarios("notifications/delete_notification.feature")


@when(
    phrase('{person:Person} tries to delete the notification about "{lead:Text}"'),
    target_fixture="outcome",
)
def _tries_to_delete(herald: Herald, person: str, lead: str) -> Outcome:
    return herald.delete(person, str(herald.notification_id(lead)), may_be_refused=True)


@when(
    phrase("{person:Person} tries to delete a notification by a malformed reference"),
    target_fixture="outcome",
)
def _tries_to_delete_malformed(herald: Herald, person: str) -> Outcome:
    return herald.delete(person, "not-a-reference", may_be_refused=True)


@then(
    phrase(
        '{person:Person} is told at once that the notification about "{lead:Text}" is gone,'
        " with {count:Number} unread"
    )
)
def _told_gone(herald: Herald, outcome: Outcome, person: str, lead: str, count: int) -> None:
    assert outcome.value is True
    assert herald.news(person) == [("deleted", herald.notification_id(lead)), ("unread", count)]


@then(
    phrase('{person:Person} is told at once only that the notification about "{lead:Text}" is gone')
)
def _told_only_gone(herald: Herald, outcome: Outcome, person: str, lead: str) -> None:
    assert outcome.value is True
    assert herald.news(person) == [("deleted", herald.notification_id(lead))]


@then(
    phrase(
        'by the time {person:Person} was told, the notification about "{lead:Text}"'
        " was already gone from {owner:Person}'s inbox"
    )
)
def _gone_when_told(herald: Herald, person: str, lead: str, owner: str) -> None:
    assert person in herald.told()
    seen = herald.publisher.seen[herald.user_id(owner)]
    assert herald.notification_id(lead) not in {entry.notification.id for entry in seen.entries}
    assert seen.unread == dict(herald.news(owner))["unread"]
