"""Due emails, written in the transaction of the notification they are about (an outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import msgspec

from application.ports import UnitOfWork
from domain.emails import due_at, email_recipients
from domain.notifications import Notification


class EmailSchedule(msgspec.Struct, frozen=True):
    """The email channel is on: a notification still unseen `delay` after it was created goes
    to its recipient by email."""

    delay: timedelta

    async def add(self, uow: UnitOfWork, notification: Notification, told: Sequence[str]) -> None:
        """Note in this unit of work when each recipient who may be emailed it is due."""
        email_off = await uow.preferences.email_off_user_ids(notification.type)
        due = email_recipients(told, email_off)
        if due:
            # Only those with an address get a row: looked up as the rows are written, so the
            # recipients' ids go to the database once and none come back (bench/findings.md).
            # Two round trips always, where the lookup first took one when nobody had an
            # address, and three otherwise.
            await uow.emails.add(notification.id, due, due_at(notification, self.delay))
