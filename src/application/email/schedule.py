"""Due emails, scheduled in the transaction of the notification they are about (an outbox)."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from application.ports import UnitOfWork
from domain.emails import due_at
from domain.notifications import Notification


class EmailSchedule(msgspec.Struct, frozen=True):
    """The email channel is on: a notification still unseen `delay` after it was created goes
    to its recipient by email."""

    delay: timedelta

    async def add(self, uow: UnitOfWork, notification: Notification) -> None:
        """Note in this unit of work that the notification's recipients may be emailed it once
        it is due. One row, whatever the audience: each recipient's own row, for those with an
        address and email on, is written after the answer, by the email scheduler's next round
        (`SendDueEmails`), where a lead told to 10,000 users took about 55 ms of the
        request's time (bench/findings.md)."""
        await uow.emails.schedule(notification.id, due_at(notification, self.delay))
