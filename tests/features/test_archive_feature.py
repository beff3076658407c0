"""Steps of features/notifications/archive.feature: putting notifications away and back."""

from __future__ import annotations

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

from domain.notifications import InboxCounts

scenarios("notifications/archive.feature")


@when(
    phrase('{person:Person} unarchives {_:Pronoun} notification about "{lead:Text}"'),
    target_fixture="outcome",
)
def _unarchives(herald: Herald, person: str, lead: str) -> Outcome:
    return herald.unarchive(person, str(herald.notification_id(lead)))


@when(
    phrase('{person:Person} tries to archive the notification about "{lead:Text}"'),
    target_fixture="outcome",
)
def _tries_to_archive(herald: Herald, person: str, lead: str) -> Outcome:
    return herald.archive(person, str(herald.notification_id(lead)), may_be_refused=True)


@when(phrase("{person:Person} opens {_:Pronoun} archived notifications"), target_fixture="outcome")
def _opens_archive(herald: Herald, person: str) -> Outcome:
    return Outcome(value=herald.archived(person), who=person)


@then(phrase("{person:Person}'s archive holds only the notifications about {leads:Leads}"))
def _archive_holds(herald: Herald, person: str, leads: list[str]) -> None:
    archived = herald.archived(person)
    assert herald.leads_in(archived) == leads
    assert all(entry.archived_at is not None for entry in archived)


@then(phrase("{person:Person}'s archive is empty"))
def _archive_empty(herald: Herald, person: str) -> None:
    assert herald.archived(person) == []


@then(
    phrase(
        "{person:Person}'s inbox counts {unread:Number} unread, {unseen:Number} unseen,"
        " {total:Number} in all"
    )
)
def _counts(herald: Herald, person: str, unread: int, unseen: int, total: int) -> None:
    assert herald.counts(person) == InboxCounts(unread, unseen, total)
    assert len(herald.inbox(person)) == total


def _told_archived(herald: Herald, person: str, lead: str) -> None:
    [entry] = herald.updates_told(person)
    assert entry.notification.id == herald.notification_id(lead)
    assert entry.archived_at is not None


@then(
    phrase(
        '{person:Person} is told at once that the notification about "{lead:Text}" is archived,'
        " with {unread:Number} unread and {unseen:Number} unseen"
    )
)
def _told_archived_with_counts(
    herald: Herald, person: str, lead: str, unread: int, unseen: int
) -> None:
    _told_archived(herald, person, lead)
    assert herald.badges_told(person) == [(unread, unseen)]


@then(
    phrase(
        '{person:Person} is told at once that the notification about "{lead:Text}" is archived,'
        " and nothing of {_:Pronoun} counts"
    )
)
def _told_archived_alone(herald: Herald, person: str, lead: str) -> None:
    _told_archived(herald, person, lead)
    assert herald.badges_told(person) == []
