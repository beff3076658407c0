"""Steps of features/notifications/groups.feature: related notifications as one line."""

from __future__ import annotations

from feature_support import Herald, Outcome, phrase
from pytest_bdd import given, scenarios, then, when

from domain.events import NotificationsBulkUpdated
from domain.notifications import NotificationGroup, NotificationType

scenarios("notifications/groups.feature")


@given(phrase('{people:People} have commented on "{lead:Text}"'))
@given(phrase('{people:Person} has commented on "{lead:Text}"'))
def _have_commented(herald: Herald, people: list[str] | str, lead: str) -> None:
    for person in [people] if isinstance(people, str) else people:
        comment = herald.add_comment(person, herald.lead_ref(lead), f"{person} was here").value
        assert comment.author_id == herald.user_id(person)


@given(phrase('{person:Person} has read the group of {kind:Kind} on "{lead:Text}"'))
def _has_read_group(herald: Herald, person: str, kind: NotificationType, lead: str) -> None:
    assert herald.mark_group_as_read(person, herald.group_key(kind, lead)).value > 0


@given(
    phrase(
        "{person:Person} has archived every notification of the group of {kind:Kind}"
        ' on "{lead:Text}"'
    )
)
def _has_archived_group(herald: Herald, person: str, kind: NotificationType, lead: str) -> None:
    key = herald.group_key(kind, lead)
    members = [entry for entry in herald.inbox(person) if entry.notification.group_key == key]
    assert members
    for entry in members:
        herald.archive(person, str(entry.notification.id))


@when(
    phrase('{person:Person} reads the group of {kind:Kind} on "{lead:Text}"'),
    target_fixture="outcome",
)
def _reads_group(herald: Herald, person: str, kind: NotificationType, lead: str) -> Outcome:
    key = herald.group_key(kind, lead)
    outcome = herald.mark_group_as_read(person, key)
    outcome.asked = key
    return outcome


@when(
    phrase('{person:Person} tries to read the group of {kind:Kind} on "{lead:Text}"'),
    target_fixture="outcome",
)
def _tries_to_read_group(herald: Herald, person: str, kind: NotificationType, lead: str) -> Outcome:
    return herald.mark_group_as_read(person, herald.group_key(kind, lead), may_be_refused=True)


@when(phrase("{person:Person} looks at {_:Pronoun} inbox by group"), target_fixture="outcome")
def _looks_by_group(herald: Herald, person: str) -> Outcome:
    return Outcome(value=herald.groups(person), who=person)


def _groups_seen(outcome: Outcome, person: str) -> list[NotificationGroup]:
    assert outcome.who == person, f"{person} did not look; {outcome.who} did"
    groups: list[NotificationGroup] = outcome.value
    return groups


@then(phrase("{person:Person}'s groups are, newest first:"))
def _groups_are(outcome: Outcome, person: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert header == ["group", "notifications", "unread"], header
    groups = _groups_seen(outcome, person)
    assert [(g.title, str(g.count), str(g.unread_count)) for g in groups] == [
        (title.strip(), count, unread) for title, count, unread in rows
    ]
    # Newest first: by the newest member of each.
    assert [g.last_at for g in groups] == sorted((g.last_at for g in groups), reverse=True)


@then(
    phrase('the group "{title:Text}" names {people:People}, of {count:Number} people'),
)
def _group_names(
    herald: Herald, outcome: Outcome, title: str, people: list[str], count: int
) -> None:
    [group] = [g for g in outcome.value if g.title == title]
    assert list(group.actor_ids) == [herald.user_id(person) for person in people]
    assert group.actor_count == count


@then(
    phrase(
        "{person:Person} is told at once that {count:Number} notifications of the group became"
        " read, with {unread:Number} unread and {unseen:Number} unseen"
    )
)
def _told_group_read(
    herald: Herald, outcome: Outcome, person: str, count: int, unread: int, unseen: int
) -> None:
    assert herald.news(person) == [("group read", count), ("unread", unread)]
    assert herald.badges_told(person) == [(unread, unseen)]
    [bulk] = [e for e in herald.publisher.published if isinstance(e, NotificationsBulkUpdated)]
    assert bulk.group_key == outcome.asked
