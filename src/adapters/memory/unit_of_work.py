"""In-memory repositories and unit of work, transactional like the database ones."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from application.ports import InboxRepository, LeadRepository, UserRepository
from domain.leads import Lead
from domain.notifications import InboxEntry, Notification
from domain.users import User


@dataclass
class InMemoryState:
    users: dict[str, User] = field(default_factory=dict)
    leads: dict[UUID, Lead] = field(default_factory=dict)
    notifications: dict[UUID, Notification] = field(default_factory=dict)
    inboxes: dict[str, dict[UUID, InboxEntry]] = field(default_factory=dict)


class InMemoryStore:
    """The committed state, shared by every unit of work built on it."""

    def __init__(self) -> None:
        self.state = InMemoryState()
        # One transaction at a time: serializable, as the database would be at worst.
        self.lock = asyncio.Lock()


class InMemoryUserRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._users = state.users

    async def get(self, user_id: str) -> User | None:
        return copy.copy(self._users.get(user_id))

    async def add(self, user: User) -> None:
        self._users[user.id] = copy.copy(user)

    async def save(self, user: User) -> None:
        self._users[user.id] = copy.copy(user)

    async def all_ids(self) -> list[str]:
        return list(self._users)


class InMemoryLeadRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._leads = state.leads

    async def get(self, lead_id: UUID) -> Lead | None:
        return copy.copy(self._leads.get(lead_id))

    async def add(self, lead: Lead) -> None:
        self._leads[lead.id] = copy.copy(lead)


class InMemoryInboxRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._notifications = state.notifications
        self._inboxes = state.inboxes

    async def add(self, notification: Notification, recipients: Sequence[str]) -> None:
        self._notifications[notification.id] = notification
        for user_id in recipients:
            inbox = self._inboxes.setdefault(user_id, {})
            inbox[notification.id] = InboxEntry.deliver(notification, user_id)

    async def get(self, user_id: str, notification_id: UUID) -> InboxEntry | None:
        return copy.copy(self._inboxes.get(user_id, {}).get(notification_id))

    async def save(self, entry: InboxEntry) -> None:
        inbox = self._inboxes.get(entry.user_id, {})
        if entry.notification.id in inbox:
            inbox[entry.notification.id] = copy.copy(entry)

    async def newest(self, user_id: str, limit: int) -> list[InboxEntry]:
        entries = self._inboxes.get(user_id, {}).values()
        ordered = sorted(entries, key=_newest_first, reverse=True)
        return [copy.copy(entry) for entry in ordered[:limit]]

    async def unread_count(self, user_id: str) -> int:
        return sum(not entry.is_read for entry in self._inboxes.get(user_id, {}).values())

    async def unread_counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        return {user_id: await self.unread_count(user_id) for user_id in user_ids}

    async def mark_all_read(self, user_id: str, now: datetime) -> int:
        return sum(entry.mark_read(now) for entry in self._inboxes.get(user_id, {}).values())

    async def remove(self, user_id: str, notification_id: UUID) -> bool:
        return self._inboxes.get(user_id, {}).pop(notification_id, None) is not None


def _newest_first(entry: InboxEntry) -> tuple[datetime, UUID]:
    return entry.notification.created_at, entry.notification.id


class InMemoryUnitOfWork:
    """Works on a private copy of the state; `commit()` makes the copy the committed state."""

    users: UserRepository
    leads: LeadRepository
    inbox: InboxRepository

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._working: InMemoryState | None = None

    async def __aenter__(self) -> Self:
        await self._store.lock.acquire()
        self._working = copy.deepcopy(self._store.state)
        self.users = InMemoryUserRepository(self._working)
        self.leads = InMemoryLeadRepository(self._working)
        self.inbox = InMemoryInboxRepository(self._working)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._working = None
        self._store.lock.release()

    async def commit(self) -> None:
        if self._working is None:
            raise RuntimeError("commit() outside of the unit of work")
        self._store.state = self._working
        self._working = copy.deepcopy(self._working)
        self.users = InMemoryUserRepository(self._working)
        self.leads = InMemoryLeadRepository(self._working)
        self.inbox = InMemoryInboxRepository(self._working)
