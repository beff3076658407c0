"""Steps of features/notifications/receipts.feature: who got, saw and read what, on a lead."""

from __future__ import annotations

from feature_support import Herald, Outcome, phrase
from pytest_bdd import given, scenarios, then, when

from application.commands import LeadNotificationsQuery
from domain.notifications import SentNotification

scenarios("notifications/receipts.feature")

YES_NO = {"yes": True, "no": False}


@given(
    phrase(
        "{person:Person}'s screen has confirmed it received {_:Pronoun} notification"
        ' about "{lead:Text}"'
    )
)
def _has_confirmed_one(herald: Herald, person: str, lead: str) -> None:
    assert herald.confirm_delivery(person, lead).value == 1


@when(
    phrase('{person:Person} looks at what the team was told about "{lead:Text}"'),
    target_fixture="outcome",
)
def _looks_at_lead(herald: Herald, person: str, lead: str) -> Outcome:
    query = LeadNotificationsQuery(herald.lead_ref(lead))
    return herald.act(person, herald.container.lead_notifications()(query))


def _sent(outcome: Outcome, title: str) -> SentNotification:
    found = [sent for sent in outcome.value if sent.notification.title == title]
    assert len(found) == 1, [sent.notification.title for sent in outcome.value]
    return found[0]


@then(
    phrase(
        '"{title:Text}" went to {recipients:Number} people: {delivered:Number} got it,'
        " {seen:Number} saw it, {read:Number} read it"
    )
)
def _went_to(
    outcome: Outcome, title: str, recipients: int, delivered: int, seen: int, read: int
) -> None:
    sent = _sent(outcome, title)
    assert (sent.recipients, sent.delivered, sent.seen, sent.read) == (
        recipients,
        delivered,
        seen,
        read,
    )


@then(phrase('the receipts of "{title:Text}" are, by user id:'))
def _receipts_are(herald: Herald, outcome: Outcome, title: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert header == ["person", "got it", "saw it", "read it"], header
    receipts = herald.receipts(_sent(outcome, title).notification.id)
    assert [
        (
            receipt.user_id,
            receipt.name,
            receipt.delivered_at is not None,
            receipt.seen_at is not None,
            receipt.read_at is not None,
        )
        for receipt in receipts
    ] == [
        (herald.user_id(person), person, YES_NO[got], YES_NO[saw], YES_NO[read])
        for person, got, saw, read in rows
    ]
    assert [receipt.user_id for receipt in receipts] == sorted(r.user_id for r in receipts)


@then(phrase("the team was told, newest first, {titles:Leads}"))
def _team_was_told(outcome: Outcome, titles: list[str]) -> None:
    assert [sent.notification.title for sent in outcome.value] == titles
