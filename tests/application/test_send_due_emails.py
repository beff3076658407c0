"""SendDueEmails and Unsubscribe on the in-memory adapters: one email per user per round with
everything still waiting, nothing for what was read or deleted, nothing lost when the mail
server is away, and a permanent refusal not retried."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork, RecordingEmailSender
from application.commands import (
    CreateLeadCommand,
    DeleteNotificationCommand,
    GetPreferencesQuery,
    MarkAsReadCommand,
    RegisterUserCommand,
    SetPreferenceCommand,
    UnsubscribeCommand,
)
from application.email.schedule import EmailSchedule
from application.email.send_due_emails import (
    DEFER_FOR,
    SCHEDULED_PER_ROUND,
    EmailRound,
    EmailRoundCutShort,
    Refusal,
    SendDueEmails,
)
from application.email.unsubscribe import Unsubscribe
from application.leads.create_lead import CreateLead
from application.notifications.delete_notification import DeleteNotification
from application.notifications.mark_as_read import MarkAsRead
from application.ports import EmailUnavailable
from application.preferences.get_preferences import GetPreferences
from application.preferences.set_preference import SetPreference
from application.users.register_user import RegisterUser
from domain.emails import Digest
from domain.notifications import NotificationType

if TYPE_CHECKING:
    from conftest import FixedClock, SequentialIds

DELAY = timedelta(minutes=10)


class Channel:
    """The team (Alice acts; Bob and Carol have addresses, Dave has none) and the email
    channel's use cases on one in-memory store."""

    def __init__(self, store: InMemoryStore, clock: FixedClock, ids: SequentialIds) -> None:
        self.store, self.clock = store, clock
        self.sender = RecordingEmailSender()
        uow = lambda: InMemoryUnitOfWork(store)  # noqa: E731
        self.create_lead = CreateLead(uow(), clock, ids, EmailSchedule(DELAY))
        self.send_due = SendDueEmails(uow, self.sender, clock, users_per_round=10)
        self.mark_as_read = MarkAsRead(uow(), clock)
        self.delete = DeleteNotification(uow())
        self.set_preference = SetPreference(uow())
        self.get_preferences = GetPreferences(uow())
        self.unsubscribe = Unsubscribe(uow())
        self.register = RegisterUser(uow(), clock)

    async def team(self) -> None:
        for user_id, email in [
            ("alice", "alice@example.com"),
            ("bob", "bob@example.com"),
            ("carol", "carol@example.com"),
            ("dave", None),
        ]:
            await self.register(RegisterUserCommand(user_id, user_id.title(), email))

    async def lead(self, name: str) -> str:
        await self.create_lead(CreateLeadCommand("alice", name))
        self.clock.advance(seconds=1)
        (notification,) = [
            n for n in self.store.state.notifications.values() if n.title == f"New lead: {name}"
        ]
        return str(notification.id)

    def emailed(self) -> dict[str, list[str]]:
        return {
            digest.address: [n.title for n in digest.notifications] for digest in self.sender.sent
        }


@pytest.fixture
async def channel(store: InMemoryStore, clock: FixedClock, ids: SequentialIds) -> Channel:
    channel = Channel(store, clock, ids)
    await channel.team()
    return channel


async def test_nothing_goes_before_the_delay(channel: Channel) -> None:
    await channel.lead("Umbrella")
    channel.clock.advance(seconds=DELAY.total_seconds() - 2)

    assert await channel.send_due() == EmailRound()
    assert channel.sender.sent == []


async def test_a_round_writes_the_scheduled_rows_first_and_goes_on_while_more_are_scheduled(
    channel: Channel,
) -> None:
    leads = [await channel.lead(f"Lead {number}") for number in range(SCHEDULED_PER_ROUND + 1)]
    store = channel.store  # each commit replaces its state
    # The leads' transactions scheduled their notifications, one row each.
    assert (len(store.state.scheduled_emails), store.state.due_emails) == (len(leads), {})

    assert await channel.send_due() == EmailRound(more=True)  # a full batch written
    assert len(store.state.scheduled_emails) == 1
    assert await channel.send_due() == EmailRound()

    assert store.state.scheduled_emails == {}
    assert sorted(store.state.due_emails) == sorted(
        (user_id, UUID(lead)) for lead in leads for user_id in ("bob", "carol")
    )


async def test_one_email_per_user_with_everything_still_waiting_newest_first(
    channel: Channel,
) -> None:
    await channel.lead("Umbrella")
    await channel.lead("Globex")
    channel.clock.advance(minutes=10)

    assert await channel.send_due() == EmailRound(sent=2)

    assert channel.emailed() == {
        "bob@example.com": ["New lead: Globex", "New lead: Umbrella"],
        "carol@example.com": ["New lead: Globex", "New lead: Umbrella"],
    }
    assert channel.sender.sent[0].subject == "2 new notifications"
    # Each notification goes once: the next round has nothing left.
    assert await channel.send_due() == EmailRound()


async def test_what_was_read_or_deleted_is_not_emailed(channel: Channel) -> None:
    umbrella = await channel.lead("Umbrella")
    globex = await channel.lead("Globex")
    await channel.mark_as_read(MarkAsReadCommand("bob", umbrella))
    await channel.mark_as_read(MarkAsReadCommand("bob", globex))
    await channel.delete(DeleteNotificationCommand("carol", globex))
    channel.clock.advance(minutes=10)

    assert await channel.send_due() == EmailRound(sent=1, skipped=1)

    assert channel.emailed() == {"carol@example.com": ["New lead: Umbrella"]}
    assert channel.sender.sent[0].subject == "New lead: Umbrella"


async def test_a_read_notification_falling_due_sends_nothing_newer_before_its_time(
    channel: Channel,
) -> None:
    umbrella = await channel.lead("Umbrella")
    await channel.mark_as_read(MarkAsReadCommand("bob", umbrella))
    channel.clock.advance(seconds=DELAY.total_seconds() - 6)
    await channel.lead("Globex")
    channel.clock.advance(seconds=6)  # Umbrella fell due; Globex is 6 s old

    # Carol's Umbrella still waits: Globex goes with it. Bob's waits for its own time.
    assert await channel.send_due() == EmailRound(sent=1, skipped=1)
    assert channel.emailed() == {"carol@example.com": ["New lead: Globex", "New lead: Umbrella"]}

    channel.clock.advance(seconds=DELAY.total_seconds() - 8)
    assert await channel.send_due() == EmailRound()
    channel.clock.advance(seconds=2)
    assert await channel.send_due() == EmailRound(sent=1)
    assert channel.emailed()["bob@example.com"] == ["New lead: Globex"]
    assert await channel.send_due() == EmailRound()


async def test_email_off_for_a_type_or_a_type_off_sends_nothing_of_it(channel: Channel) -> None:
    kind = NotificationType.LEAD_CREATED
    await channel.set_preference(SetPreferenceCommand("bob", kind, enabled=True, email=False))
    await channel.lead("Umbrella")
    # Turned off after the notification came: by the time it is due, it is not wanted.
    await channel.set_preference(SetPreferenceCommand("carol", kind, enabled=False))
    channel.clock.advance(minutes=10)

    assert await channel.send_due() == EmailRound(skipped=1)
    assert channel.sender.sent == []


async def test_the_server_away_loses_nothing_and_sends_once_back(channel: Channel) -> None:
    await channel.lead("Umbrella")
    channel.clock.advance(minutes=10)
    channel.sender.unavailable = True

    with pytest.raises(EmailUnavailable):
        await channel.send_due()
    with pytest.raises(EmailUnavailable):
        await channel.send_due()  # the claims were given back: tried again at once

    channel.sender.unavailable = False
    assert await channel.send_due() == EmailRound(sent=2)
    assert await channel.send_due() == EmailRound()
    assert sorted(channel.emailed()) == ["bob@example.com", "carol@example.com"]


class GoneAfterOne(RecordingEmailSender):
    """The mail server takes one email, then no longer answers."""

    async def send(self, digest: Digest) -> None:
        await super().send(digest)
        self.unavailable = True


async def test_a_round_cut_short_by_the_server_tells_what_it_sent_before(
    channel: Channel, store: InMemoryStore
) -> None:
    await channel.lead("Umbrella")
    channel.clock.advance(minutes=10)
    sender = GoneAfterOne()
    send_due = SendDueEmails(lambda: InMemoryUnitOfWork(store), sender, channel.clock)

    with pytest.raises(EmailRoundCutShort) as cut_short:
        await send_due()

    assert cut_short.value.done == EmailRound(sent=1)
    assert len(sender.sent) == 1
    sender.unavailable = False
    assert await send_due() == EmailRound(sent=1)  # the other one, given back, goes now
    assert sorted(digest.address for digest in sender.sent) == [
        "bob@example.com",
        "carol@example.com",
    ]


async def test_a_permanent_refusal_is_not_retried_and_others_go(channel: Channel) -> None:
    await channel.lead("Umbrella")
    channel.clock.advance(minutes=10)
    channel.sender.refused.add("bob@example.com")

    result = await channel.send_due()

    assert result == EmailRound(
        sent=1, refused=(Refusal("bob", "550 no such mailbox: bob@example.com"),)
    )
    channel.sender.refused.clear()
    assert await channel.send_due() == EmailRound()
    assert list(channel.emailed()) == ["carol@example.com"]


async def test_unsubscribing_turns_email_off_for_every_type_and_nothing_else(
    channel: Channel,
) -> None:
    kind = NotificationType.SCORE_UPDATED
    await channel.set_preference(SetPreferenceCommand("bob", kind, enabled=False))
    await channel.lead("Umbrella")

    await channel.unsubscribe(UnsubscribeCommand("bob"))

    prefs = await channel.get_preferences(GetPreferencesQuery("bob"))
    assert [(p.enabled, p.email) for p in prefs] == [(p.type is not kind, False) for p in prefs]
    channel.clock.advance(minutes=10)
    await channel.send_due()
    assert list(channel.emailed()) == ["carol@example.com"]


async def test_setting_a_preference_without_email_keeps_email_as_it_was(
    channel: Channel,
) -> None:
    kind = NotificationType.COMMENT_ADDED
    off = await channel.set_preference(SetPreferenceCommand("bob", kind, True, email=False))
    kept = await channel.set_preference(SetPreferenceCommand("bob", kind, False))

    assert (off.enabled, off.email) == (True, False)
    assert (kept.enabled, kept.email) == (False, False)


async def test_without_the_email_channel_nothing_is_due(
    store: InMemoryStore, clock: FixedClock, ids: SequentialIds
) -> None:
    channel = Channel(store, clock, ids)
    await channel.team()
    channel.create_lead = CreateLead(InMemoryUnitOfWork(store), clock, ids)

    await channel.lead("Umbrella")

    assert store.state.due_emails == {}


async def test_a_recipient_put_off_for_now_waits_alone_and_others_go(channel: Channel) -> None:
    await channel.lead("Umbrella")
    channel.clock.advance(minutes=10)
    channel.sender.deferred.add("bob@example.com")

    # No backoff for everyone: the round goes on with Carol, and Bob alone is put off.
    assert await channel.send_due() == EmailRound(
        sent=1, deferred=(Refusal("bob", "452 mailbox full: bob@example.com"),)
    )
    channel.sender.deferred.clear()
    await channel.lead("Globex")  # Bob's rows are not claimed again every round meanwhile
    channel.clock.advance(seconds=DEFER_FOR.total_seconds() - 2)
    assert await channel.send_due() == EmailRound()

    channel.clock.advance(seconds=1)
    assert await channel.send_due() == EmailRound(sent=1)
    assert channel.emailed() == {
        "carol@example.com": ["New lead: Umbrella"],
        "bob@example.com": ["New lead: Globex", "New lead: Umbrella"],  # with his newer one
    }


class SlowSender(RecordingEmailSender):
    """Each send takes four minutes; during the second, another process runs a round."""

    def __init__(self, clock: FixedClock, other_round: SendDueEmails) -> None:
        super().__init__()
        self._clock, self._other_round = clock, other_round

    async def send(self, digest: Digest) -> None:
        self._clock.advance(minutes=4)
        if len(self.sent) == 1:
            await self._other_round()
        await super().send(digest)


async def test_a_round_that_outlasts_its_claim_sends_nothing_twice(
    store: InMemoryStore, clock: FixedClock, ids: SequentialIds
) -> None:
    channel = Channel(store, clock, ids)
    await channel.team()
    await channel.register(RegisterUserCommand("erin", "Erin", "erin@example.com"))
    await channel.lead("Umbrella")
    clock.advance(minutes=10)
    uow = lambda: InMemoryUnitOfWork(store)  # noqa: E731
    other = RecordingEmailSender()
    slow = SlowSender(clock, SendDueEmails(uow, other, clock))

    # Three sends of four minutes: the round outlasts the first claim of five.
    await SendDueEmails(uow, slow, clock)()

    addresses = [d.address for d in slow.sent + other.sent]
    assert sorted(addresses) == ["bob@example.com", "carol@example.com", "erin@example.com"]


async def test_a_round_told_to_stop_gives_back_the_users_not_begun(channel: Channel) -> None:
    await channel.lead("Umbrella")
    channel.clock.advance(minutes=10)
    asked: list[bool] = []

    def keep_going() -> bool:  # shutdown comes while the first user is sent
        asked.append(len(asked) == 0)
        return asked[-1]

    assert await channel.send_due(keep_going) == EmailRound(sent=1)
    assert list(channel.emailed()) == ["bob@example.com"]

    # Carol's claim was given back: the next round (after a restart) takes her at once.
    assert await channel.send_due() == EmailRound(sent=1)
    assert list(channel.emailed()) == ["bob@example.com", "carol@example.com"]


class TurnSpy(InMemoryUnitOfWork):
    """Notes when the unit of work takes its turn of events (as it commits, or before) and
    when it schedules emails."""

    calls: list[str]

    async def __aenter__(self) -> TurnSpy:
        entered = await super().__aenter__()
        self.calls = []
        take_turn, schedule = self.events.take_turn, self.emails.schedule

        async def spied_turn() -> None:
            self.calls.append("take_turn")
            await take_turn()

        async def spied_schedule(*args: Any) -> None:
            self.calls.append("emails")
            await schedule(*args)

        self.events.take_turn = spied_turn  # type: ignore[method-assign]
        self.emails.schedule = spied_schedule  # type: ignore[method-assign]
        return entered

    async def commit(self) -> None:
        self.calls.append("commit")
        await super().commit()


async def test_emails_are_scheduled_before_the_turn_of_events(
    channel: Channel, clock: FixedClock, ids: SequentialIds
) -> None:
    spy = TurnSpy(channel.store)

    await CreateLead(spy, clock, ids, EmailSchedule(DELAY))(CreateLeadCommand("alice", "Acme"))

    # Every writer waits while one holds its turn: the emails' round trip comes before it,
    # which is taken as the unit of work commits.
    assert spy.calls == ["emails", "commit"]
