"""Steps of features/notifications/mark_as_read.feature: reading one notification."""

from __future__ import annotations

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

scenarios("notifications/mark_as_read.feature")


@when(
    phrase('{person:Person} tries to read the notification about "{lead:Text}"'),
    target_fixture="outcome",
)
def _tries_to_read(herald: Herald, person: str, lead: str) -> Outcome:
    return herald.mark_as_read(person, str(herald.notification_id(lead)), may_be_refused=True)


@when(
    phrase("{person:Person} tries to read a notification by a malformed reference"),
    target_fixture="outcome",
)
def _tries_to_read_malformed(herald: Herald, person: str) -> Outcome:
    return herald.mark_as_read(person, "not-a-reference", may_be_refused=True)


@then(
    phrase(
        '{person:Person} is told at once that the notification about "{lead:Text}" is read,'
        " with {count:Number} unread"
    )
)
def _told_read(herald: Herald, outcome: Outcome, person: str, lead: str, count: int) -> None:
    notification_id = herald.notification_id(lead)
    assert outcome.value.notification.id == notification_id
    assert herald.news(person) == [("read", notification_id), ("unread", count)]


@then(
    phrase(
        'by the time {person:Person} was told, the notification about "{lead:Text}"'
        " was already saved as read in {owner:Person}'s inbox"
    )
)
def _saved_read_when_told(herald: Herald, person: str, lead: str, owner: str) -> None:
    assert person in herald.told()
    seen = herald.publisher.seen[herald.user_id(owner)]
    entries = {entry.notification.id: entry for entry in seen.entries}
    assert entries[herald.notification_id(lead)].is_read
    assert seen.unread == dict(herald.news(owner))["unread"]
