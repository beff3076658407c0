"""Email: when a notification falls due, which notifications still wait, and what one email
gathers. No server here: the decision alone, tested without one."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.notifications import InboxEntry, Notification, NotificationType
from domain.users import User


def is_waiting(entry: InboxEntry | None) -> bool:
    """Whether the recipient has still not taken notice of this entry: it is in their inbox
    (not deleted), not archived, and neither seen nor read (read implies seen)."""
    return (
        entry is not None
        and entry.seen_at is None
        and entry.read_at is None
        and (entry.archived_at is None)
    )


def due_at(notification: Notification, delay: timedelta) -> datetime:
    """When an unseen notification goes by email: `delay` after it was created."""
    return notification.created_at + delay


@dataclass(frozen=True, slots=True)
class Digest:
    """One email to one user: every notification of theirs that waited, newest first."""

    user_id: str
    name: str | None
    address: str
    notifications: tuple[Notification, ...]

    @property
    def subject(self) -> str:
        if len(self.notifications) == 1:
            return self.notifications[0].title
        return f"{len(self.notifications)} new notifications"


def digest(
    user: User | None, entries: Iterable[InboxEntry | None], email_off: Set[NotificationType]
) -> Digest | None:
    """What to email `user` of these due entries, now: those still waiting, of a type they
    receive by email; None when that is nothing, or when they have no email address."""
    if user is None or not user.email:
        return None
    waiting = [
        entry.notification
        for entry in entries
        if entry is not None and is_waiting(entry) and entry.notification.type not in email_off
    ]
    if not waiting:
        return None
    newest_first = sorted(waiting, key=lambda n: (n.created_at, n.id), reverse=True)
    return Digest(user.id, user.name, user.email, tuple(newest_first))
