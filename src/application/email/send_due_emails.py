"""SendDueEmails: one round of the email channel: claim what fell due, send, settle."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from application.ports import (
    Clock,
    EmailDeferred,
    EmailRefused,
    EmailSender,
    EmailUnavailable,
    UnitOfWork,
)
from domain.emails import Digest, digest

# How long a claim holds: far longer than one send may take (the sender's timeouts bound it).
# A round renews a user's claim just before their send, so a round of many users never outlives
# it; only a process that died leaves rows for another to take up.
CLAIM_FOR = timedelta(minutes=5)
# How long a recipient the server put off for now (full mailbox, greylisting) waits for a retry:
# the contract's longest backoff between tries.
DEFER_FOR = timedelta(seconds=30)
USERS_PER_ROUND = 20
# Scheduled notifications whose recipients' rows a round writes, in one unit of work (a lead told
# to 10,000 users with addresses is 10,000 rows, about 50 ms of PostgreSQL's time).
SCHEDULED_PER_ROUND = 5


class Refusal(msgspec.Struct, frozen=True):
    user_id: str
    reason: str


class EmailRound(msgspec.Struct, frozen=True):
    sent: int = 0
    refused: tuple[Refusal, ...] = ()
    skipped: int = 0  # users whose due notifications no longer waited (read, deleted …)
    more: bool = False  # the round was full: more may be due already
    deferred: tuple[Refusal, ...] = ()  # put off for now by the server: tried again later


class EmailRoundCutShort(EmailUnavailable):
    """The mail server could not be reached during a round: what the round had done before
    (`done`: the emails sent, refused or put off by then, kept for the metrics)."""

    def __init__(self, cause: EmailUnavailable, done: EmailRound) -> None:
        super().__init__(str(cause))
        self.done = done


class SendDueEmails:
    """Writes the rows of the notifications scheduled since the last round (each recipient who
    may be emailed, `DueEmailRepository.write_scheduled`), then claims the users whose oldest
    row fell due, and sends each one whose notifications that fell due still wait one email
    with every notification of theirs that waits (`domain.emails.digest`).

    Rows are deleted only after the mail server took the email (or refused it for good): a
    crash in between sends that one email again, nothing else can. Each user's claim is renewed
    just before their send, and a user whose claim lapsed (another process took them) is left
    to that process. A recipient the server puts off for now waits DEFER_FOR, alone. When the
    server cannot be reached, the claims are given back and EmailRoundCutShort (an
    EmailUnavailable) is raised for the caller to back off; nothing is lost.
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        sender: EmailSender,
        clock: Clock,
        users_per_round: int = USERS_PER_ROUND,
    ) -> None:
        self._uow, self._sender, self._clock = uow, sender, clock
        self._users_per_round = users_per_round

    async def __call__(self, keep_going: Callable[[], bool] = lambda: True) -> EmailRound:
        """One round; once `keep_going()` turns false (shutdown), the users not begun yet are
        given back and the round ends."""
        async with self._uow() as uow:
            written = await uow.emails.write_scheduled(SCHEDULED_PER_ROUND)
            await uow.commit()
        now = self._clock.now()
        ours = now + CLAIM_FOR
        async with self._uow() as uow:
            claimed = await uow.emails.claim(now, ours, self._users_per_round)
            await uow.commit()
        sent, skipped, refused, deferred = 0, 0, [], []
        pending = list(claimed)
        while pending:
            if not keep_going():
                await self._release((user, claimed[user]) for user in pending)
                break
            user_id = pending[0]
            held = self._clock.now() + CLAIM_FOR
            rows = await self._renew(user_id, ours, held)
            email, done = await self._compose(user_id, rows, now) if rows else (None, [])
            later = [n for n in rows if n not in done]  # not due yet: given back
            if rows and email is None:
                skipped += 1
            elif email is not None:
                try:
                    await self._sender.send(email)
                    sent += 1
                except EmailRefused as error:
                    refused.append(Refusal(user_id, str(error)))
                except EmailDeferred as error:
                    deferred.append(Refusal(user_id, str(error)))
                    await self._renew(user_id, held, self._clock.now() + DEFER_FOR)
                    done, later = [], []
                except EmailUnavailable as error:
                    rest = [(user, claimed[user]) for user in pending[1:]]
                    await self._release([(user_id, list(rows)), *rest])
                    so_far = EmailRound(sent, tuple(refused), skipped, deferred=tuple(deferred))
                    raise EmailRoundCutShort(error, so_far) from error
            if done or later:
                async with self._uow() as uow:
                    await uow.emails.settle(user_id, done)
                    await uow.emails.release(user_id, later)
                    await uow.commit()
            pending.pop(0)
        full = len(claimed) == self._users_per_round or written == SCHEDULED_PER_ROUND
        return EmailRound(sent, tuple(refused), skipped, more=full, deferred=tuple(deferred))

    async def _renew(self, user_id: str, ours: datetime, until: datetime) -> dict[UUID, datetime]:
        async with self._uow() as uow:
            renewed = await uow.emails.renew(user_id, ours, until)
            await uow.commit()
        return renewed

    async def _compose(
        self, user_id: str, rows: Mapping[UUID, datetime], now: datetime
    ) -> tuple[Digest | None, list[UUID]]:
        """The email to send the user now, and the rows it is done with.

        It goes when a notification that fell due still waits, with every one of theirs that
        waits, newer ones too. When none that fell due waits (read, seen, archived, deleted),
        nothing goes: those rows are done with, and the others wait for their own time.
        """
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            entries = {n: await uow.inbox.get(user_id, n) for n in rows}
            email_off = await uow.preferences.email_off_types(user_id)
            email_off |= await uow.preferences.disabled_types(user_id)
        fell_due = [n for n, due_at in rows.items() if due_at <= now]
        if digest(user, [entries[n] for n in fell_due], email_off) is None:
            return None, fell_due
        return digest(user, entries.values(), email_off), list(rows)

    async def _release(self, claims: Iterable[tuple[str, Sequence[UUID]]]) -> None:
        async with self._uow() as uow:
            for user_id, notification_ids in claims:
                await uow.emails.release(user_id, notification_ids)
            await uow.commit()
