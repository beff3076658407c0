"""Steps of features/preferences/notification_preferences.feature: muting a kind, and back."""

from __future__ import annotations

from feature_support import KINDS, Herald, Outcome, phrase
from pytest_bdd import given, scenarios, then, when

from application.commands import GetPreferencesQuery
from domain.notifications import NotificationType
from domain.preferences import NotificationPreference

scenarios("preferences/notification_preferences.feature")

NAMES = {kind: name for name, kind in KINDS.items()}
RECEIVED = {True: "yes", False: "no"}


@when(
    phrase("{person:Person} looks at {_:Pronoun} notification preferences"),
    target_fixture="outcome",
)
def _looks_at_preferences(herald: Herald, person: str) -> Outcome:
    query = GetPreferencesQuery(herald.user_id(person))
    return herald.act(person, herald.container.get_preferences()(query))


@when(phrase("{person:Person} turns off {kind:Kind}"), target_fixture="outcome")
def _turns_off(herald: Herald, person: str, kind: NotificationType) -> Outcome:
    outcome = herald.set_preference(person, kind, enabled=False)
    assert outcome.value == NotificationPreference(kind, enabled=False)
    return outcome


@when(phrase("{person:Person} turns {kind:Kind} back on"), target_fixture="outcome")
def _turns_on(herald: Herald, person: str, kind: NotificationType) -> Outcome:
    outcome = herald.set_preference(person, kind, enabled=True)
    assert outcome.value == NotificationPreference(kind, enabled=True)
    return outcome


@given(phrase("{person:Person} has turned off {kind:Kind}"))
def _has_turned_off(herald: Herald, person: str, kind: NotificationType) -> None:
    _turns_off(herald, person, kind)


@given(phrase("{person:Person} has turned {kind:Kind} back on"))
def _has_turned_on(herald: Herald, person: str, kind: NotificationType) -> None:
    _turns_on(herald, person, kind)


@given(phrase("{person:Person} has turned off every kind of notification but {kind:Kind}"))
def _has_turned_off_all_but(herald: Herald, person: str, kind: NotificationType) -> None:
    for other in NotificationType:
        if other is not kind:
            _turns_off(herald, person, other)


@then(phrase("{person:Person}'s preferences read:"))
def _preferences_read(
    herald: Herald, outcome: Outcome, person: str, datatable: list[list[str]]
) -> None:
    header, *rows = datatable
    assert header == ["kind of notification", "received"], header
    seen = herald.preferences(person)
    if outcome.who == person and isinstance(outcome.value, list):
        assert outcome.value == seen  # what looking at them gave back
    assert [[NAMES[p.type], RECEIVED[p.enabled]] for p in seen] == rows


@then(phrase("{person:Person} receives every kind of notification"))
def _receives_everything(herald: Herald, person: str) -> None:
    assert herald.preferences(person) == [
        NotificationPreference(kind, enabled=True) for kind in NotificationType
    ]
