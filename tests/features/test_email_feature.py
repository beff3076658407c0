"""Steps of features/email: who gets an email, when, and what it says; the channel's use
cases on the container, with a sender that keeps what it was given."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dependency_injector import providers
from feature_support import KINDS, Herald, TickingClock, phrase
from pytest_bdd import given, parsers, scenarios, then, when

from adapters.memory import RecordingEmailSender
from application.commands import SetPreferenceCommand, UnsubscribeCommand
from application.email.schedule import EmailSchedule
from domain.emails import Digest
from domain.notifications import NotificationType
from domain.preferences import NotificationPreference
from entrypoints.container import Container

scenarios("email/email_when_away.feature")

PUBLIC_URL = "http://127.0.0.1:3001"


@pytest.fixture
def sender() -> RecordingEmailSender:
    return RecordingEmailSender()


@given(phrase("email goes out for notifications unseen after {minutes:Number} minutes"))
def _email_on(container: Container, sender: RecordingEmailSender, minutes: int) -> None:
    container.email_schedule.override(providers.Object(EmailSchedule(timedelta(minutes=minutes))))
    container.email_sender.override(providers.Object(sender))


def _pass(herald: Herald, minutes: int) -> None:
    clock = herald.container.clock()
    assert isinstance(clock, TickingClock)
    clock.advance(timedelta(minutes=minutes))
    send_due_emails = herald.container.send_due_emails()
    while herald.run(send_due_emails()).more:
        pass


@when(phrase("{minutes:Number} minutes pass"))
def _minutes_pass(herald: Herald, minutes: int) -> None:
    _pass(herald, minutes)


@given(phrase("{minutes:Number} minutes have passed"))
def _minutes_passed(herald: Herald, sender: RecordingEmailSender, minutes: int) -> None:
    _pass(herald, minutes)
    sender.sent.clear()  # what went then is not what the scenario looks at


@given(phrase("{person:Person} has turned off email for {kind:Kind}"))
def _email_off(herald: Herald, person: str, kind: NotificationType) -> None:
    command = SetPreferenceCommand(herald.user_id(person), kind, enabled=True, email=False)
    herald.run(herald.container.set_preference()(command))


@given(phrase("{person:Person} has unsubscribed from these emails"))
def _unsubscribed(herald: Herald, person: str) -> None:
    herald.run(herald.container.unsubscribe()(UnsubscribeCommand(herald.user_id(person))))


def emails_to(herald: Herald, sender: RecordingEmailSender, person: str) -> list[Digest]:
    return [digest for digest in sender.sent if digest.user_id == herald.user_id(person)]


@then("nobody gets an email")
def _nobody(sender: RecordingEmailSender) -> None:
    assert sender.sent == []


@then(phrase("{person:Person} gets no email"))
def _no_email(herald: Herald, sender: RecordingEmailSender, person: str) -> None:
    assert emails_to(herald, sender, person) == []


@then(
    parsers.re(
        r'(?P<person>[A-Z][a-z]+) gets one email "(?P<subject>[^"]+)" listing (?P<titles>"[^"]+"'
        r'(?: and "[^"]+")*)'
    )
)
def _one_email(
    herald: Herald, sender: RecordingEmailSender, person: str, subject: str, titles: str
) -> None:
    (email,) = emails_to(herald, sender, person)
    assert email.subject == subject
    assert [n.title for n in email.notifications] == titles.strip('"').split('" and "')


def the_email(herald: Herald, sender: RecordingEmailSender, person: str) -> tuple[str, str]:
    """The text part and the unsubscribe link of the person's one email, as composed."""
    (digest,) = emails_to(herald, sender, person)
    message = herald.container.digest_composer().compose(digest, herald.container.clock().now())
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    return text.get_content(), message["List-Unsubscribe"]


@then(
    phrase(
        '{person:Person}\'s email opens with {_:Pronoun} name, tells "{message:Text}" and links'
        " to Herald"
    )
)
def _email_says(herald: Herald, sender: RecordingEmailSender, person: str, message: str) -> None:
    text, _ = the_email(herald, sender, person)
    assert text.startswith(f"Hello {person},")
    assert message in text
    assert f"Open Herald: {PUBLIC_URL}" in text


@then(phrase("{person:Person} can stop these emails in one click from {_:Pronoun} email"))
def _email_unsubscribes(herald: Herald, sender: RecordingEmailSender, person: str) -> None:
    text, link = the_email(herald, sender, person)
    token = link.removeprefix(f"<{PUBLIC_URL}/unsubscribe/").removesuffix(">")
    assert herald.container.unsubscribe_tokens().verify(token) == herald.user_id(person)
    assert f"Stop these emails: {PUBLIC_URL}/unsubscribe/{token}" in text


@then(phrase("{person:Person} still receives every kind of notification, none by email"))
def _receives_none_by_email(herald: Herald, person: str) -> None:
    assert herald.preferences(person) == [
        NotificationPreference(kind, enabled=True, email=False) for kind in KINDS.values()
    ]
