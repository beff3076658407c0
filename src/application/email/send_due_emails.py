"""SendDueEmails: one round of the email channel: claim what fell due, send, settle."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from uuid import UUID

import msgspec

from application.ports import Clock, EmailRefused, EmailSender, EmailUnavailable, UnitOfWork
from domain.emails import Digest, digest

# How long a claim holds: far longer than a send may take (the sender's timeouts bound it), so
# that only a process that died leaves rows for another to take up.
CLAIM_FOR = timedelta(minutes=5)
USERS_PER_ROUND = 20


class Refusal(msgspec.Struct, frozen=True):
    user_id: str
    reason: str


class EmailRound(msgspec.Struct, frozen=True):
    sent: int = 0
    refused: tuple[Refusal, ...] = ()
    skipped: int = 0  # users whose due notifications no longer waited (read, deleted …)
    more: bool = False  # the round was full: more may be due already


class SendDueEmails:
    """Claims the users whose oldest waiting notification fell due, and sends each one email
    with every notification of theirs that still waits (`domain.emails.digest`).

    Rows are deleted only after the mail server took the email (or refused it for good): a
    crash in between sends that one email again, nothing else can. When the server cannot be
    reached, the claims are given back and EmailUnavailable is raised for the caller to back
    off; nothing is lost.
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

    async def __call__(self) -> EmailRound:
        now = self._clock.now()
        async with self._uow() as uow:
            claimed = await uow.emails.claim(now, now + CLAIM_FOR, self._users_per_round)
            await uow.commit()
        sent, skipped, refused = 0, 0, []
        pending = list(claimed.items())
        while pending:
            user_id, notification_ids = pending[0]
            email = await self._compose(user_id, notification_ids)
            if email is None:
                skipped += 1
            else:
                try:
                    await self._sender.send(email)
                    sent += 1
                except EmailRefused as error:
                    refused.append(Refusal(user_id, str(error)))
                except EmailUnavailable:
                    await self._release(pending)
                    raise
            async with self._uow() as uow:
                await uow.emails.settle(user_id, notification_ids)
                await uow.commit()
            pending.pop(0)
        full = len(claimed) == self._users_per_round
        return EmailRound(sent, tuple(refused), skipped, more=full)

    async def _compose(self, user_id: str, notification_ids: Sequence[UUID]) -> Digest | None:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            entries = [await uow.inbox.get(user_id, n) for n in notification_ids]
            email_off = await uow.preferences.email_off_types(user_id)
            email_off |= await uow.preferences.disabled_types(user_id)
        return digest(user, entries, email_off)

    async def _release(self, pending: Sequence[tuple[str, Sequence[UUID]]]) -> None:
        async with self._uow() as uow:
            for user_id, notification_ids in pending:
                await uow.emails.release(user_id, notification_ids)
            await uow.commit()
