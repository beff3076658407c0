"""Steps of features/notifications/seen.feature: opening the bell sees what is new."""

from __future__ import annotations

from feature_support import Herald, phrase
from pytest_bdd import scenarios, then

scenarios("notifications/seen.feature")


@then(
    phrase(
        "{person:Person} is told at once that {count:Number} notifications became seen,"
        " with {unread:Number} unread and {unseen:Number} unseen"
    )
)
def _told_all_seen(herald: Herald, person: str, count: int, unread: int, unseen: int) -> None:
    assert herald.news(person) == [("all seen", count), ("unread", unread)]
    assert herald.badges_told(person) == [(unread, unseen)]
    # By then the change was saved: a screen told to refresh finds everything seen.
    told = herald.publisher.seen[herald.user_id(person)]
    assert told.entries
    assert all(entry.seen_at is not None for entry in told.entries)
