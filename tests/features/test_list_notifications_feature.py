"""Steps of features/notifications/list_notifications.feature: the inbox, newest first."""

from __future__ import annotations

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

from application.commands import ListNotificationsQuery
from domain.notifications import InboxEntry

scenarios("notifications/list_notifications.feature")


def open_inbox(herald: Herald, person: str, limit: int | None = None) -> Outcome:
    user_id = herald.user_id(person)
    query = (
        ListNotificationsQuery(user_id) if limit is None else ListNotificationsQuery(user_id, limit)
    )
    use_case = herald.container.list_notifications()
    return herald.act(person, use_case(query), may_be_refused=limit is not None)


def inbox_seen(outcome: Outcome, herald: Herald, person: str) -> list[InboxEntry]:
    assert outcome.who == person, f"{person} did not open an inbox; {outcome.who} did"
    assert outcome.error is None, outcome.error
    entries: list[InboxEntry] = outcome.value
    assert all(entry.user_id == herald.user_id(person) for entry in entries)
    return entries


@when(phrase("{person:Person} opens {_:Pronoun} inbox"), target_fixture="outcome")
def _opens_inbox(herald: Herald, person: str) -> Outcome:
    return open_inbox(herald, person)


@when(
    phrase("{person:Person} opens {_:Pronoun} inbox showing at most {size:Number}"),
    target_fixture="outcome",
)
def _opens_inbox_limited(herald: Herald, person: str, size: int) -> Outcome:
    outcome = open_inbox(herald, person, size)
    assert outcome.error is None, outcome.error
    return outcome


@when(
    phrase("{person:Person} tries to open {_:Pronoun} inbox showing at most {size:Number}"),
    target_fixture="outcome",
)
def _tries_to_open_inbox(herald: Herald, person: str, size: int) -> Outcome:
    return open_inbox(herald, person, size)


@then(phrase("{person:Person} sees, newest first:"))
def _sees_table(herald: Herald, outcome: Outcome, person: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert header == ["title", "message", "state"], header
    seen = [
        [
            entry.notification.title,
            entry.notification.message,
            "read" if entry.is_read else "unread",
        ]
        for entry in inbox_seen(outcome, herald, person)
    ]
    assert seen == rows


@then(phrase("{person:Person} sees only the notifications about {leads:Leads}, newest first"))
def _sees_leads(herald: Herald, outcome: Outcome, person: str, leads: list[str]) -> None:
    entries = inbox_seen(outcome, herald, person)
    assert herald.leads_in(entries) == leads
    times = [entry.notification.created_at for entry in entries]
    assert times == sorted(times, reverse=True)


@then(phrase("{person:Person} sees an empty inbox"))
def _sees_empty_inbox(herald: Herald, outcome: Outcome, person: str) -> None:
    assert inbox_seen(outcome, herald, person) == []
