"""Steps of features/notifications/mark_all_as_read.feature: reading all at once."""

from __future__ import annotations

from feature_support import Herald, phrase
from pytest_bdd import scenarios, then

scenarios("notifications/mark_all_as_read.feature")


@then(phrase("every notification in {person:Person}'s inbox is read"))
def _all_read(herald: Herald, person: str) -> None:
    inbox = herald.inbox(person)
    assert inbox
    assert all(entry.is_read for entry in inbox)


@then(
    phrase(
        "{person:Person} is told at once that {count:Number} notifications became read,"
        " with {unread:Number} unread"
    )
)
def _told_all_read(herald: Herald, person: str, count: int, unread: int) -> None:
    assert herald.news(person) == [("all read", count), ("unread", unread)]


@then(
    phrase(
        "by the time {person:Person} was told, every notification in {owner:Person}'s inbox"
        " was already saved as read"
    )
)
def _saved_all_read_when_told(herald: Herald, person: str, owner: str) -> None:
    assert person in herald.told()
    seen = herald.publisher.seen[herald.user_id(owner)]
    assert seen.entries
    assert all(entry.is_read for entry in seen.entries)
    assert seen.unread == 0
