"""In-memory repositories and unit of work, transactional like the database ones."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from adapters.system import SystemClock
from application.ports import (
    Clock,
    CommentRepository,
    DueEmailRepository,
    EventHorizon,
    EventLog,
    EventRelay,
    InboxPosition,
    InboxRepository,
    LeadRepository,
    PreferenceRepository,
    PurgedBatch,
    TaskRepository,
    UserRepository,
)
from domain.comments import Comment
from domain.events import InboxEvent, NotificationCreated, StoredEvent, UnreadCountsChanged
from domain.leads import Lead
from domain.notifications import Badge, Badges, InboxEntry, Notification, NotificationType
from domain.tasks import Task
from domain.users import User


@dataclass
class DueEmail:
    due_at: datetime
    claimed_until: datetime | None = None


@dataclass
class InMemoryState:
    users: dict[str, User] = field(default_factory=dict)
    leads: dict[UUID, Lead] = field(default_factory=dict)
    tasks: dict[UUID, Task] = field(default_factory=dict)
    comments: dict[UUID, Comment] = field(default_factory=dict)
    disabled: dict[str, set[NotificationType]] = field(default_factory=dict)
    email_off: dict[str, set[NotificationType]] = field(default_factory=dict)
    # notification → when its recipients' emails fall due, until their rows are written
    scheduled_emails: dict[UUID, datetime] = field(default_factory=dict)
    # (user, notification) → [due at, claimed until]
    due_emails: dict[tuple[str, UUID], DueEmail] = field(default_factory=dict)
    notifications: dict[UUID, Notification] = field(default_factory=dict)
    # The id of each notification's `notification:created` event: what deliveries go by.
    notification_event_ids: dict[UUID, int] = field(default_factory=dict)
    inboxes: dict[str, dict[UUID, InboxEntry]] = field(default_factory=dict)
    events: list[StoredEvent] = field(default_factory=list)
    # When each event was written: what retention goes by.
    event_times: dict[int, datetime] = field(default_factory=dict)
    last_event_id: int = 0
    published_through: int = 0
    purged_through: int = 0


class InMemoryStore:
    """The committed state, shared by every unit of work built on it.

    `clock` stamps the events at commit, as the database's adapter does; tests pass theirs.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.state = InMemoryState()
        self.clock: Clock = clock or SystemClock()
        # One transaction at a time: serializable, as the database would be at worst.
        self.lock = asyncio.Lock()


class InMemoryUserRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._users = state.users

    async def get(self, user_id: str) -> User | None:
        return copy.copy(self._users.get(user_id))

    async def add(self, user: User) -> None:
        registered = self._users.get(user.id)
        if registered is None:
            self._users[user.id] = copy.copy(user)
        else:  # as the database's upsert: the first registration's time stays
            registered.name, registered.email = user.name, user.email
            registered.updated_at = user.updated_at

    async def save(self, user: User) -> None:
        self._users[user.id] = copy.copy(user)

    async def all_ids(self) -> list[str]:
        return list(self._users)


class InMemoryLeadRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._leads = state.leads

    async def get(self, lead_id: UUID) -> Lead | None:
        return copy.copy(self._leads.get(lead_id))

    async def get_for_update(self, lead_id: UUID) -> Lead | None:
        return await self.get(lead_id)  # units of work run one at a time: already exclusive

    async def add(self, lead: Lead) -> None:
        self._leads[lead.id] = copy.copy(lead)

    async def save(self, lead: Lead) -> None:
        if lead.id in self._leads:
            self._leads[lead.id] = copy.copy(lead)

    async def newest(self, limit: int) -> list[Lead]:
        ordered = sorted(
            self._leads.values(), key=lambda lead: (lead.created_at, lead.id), reverse=True
        )
        return [copy.copy(lead) for lead in ordered[:limit]]


class InMemoryTaskRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._tasks = state.tasks

    async def get(self, task_id: UUID) -> Task | None:
        return copy.copy(self._tasks.get(task_id))

    async def get_for_update(self, task_id: UUID) -> Task | None:
        return await self.get(task_id)  # units of work run one at a time: already exclusive

    async def add(self, task: Task) -> None:
        self._tasks[task.id] = copy.copy(task)

    async def save(self, task: Task) -> None:
        if task.id in self._tasks:
            self._tasks[task.id] = copy.copy(task)


class InMemoryCommentRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._comments = state.comments

    async def add(self, comment: Comment) -> None:
        self._comments[comment.id] = comment

    async def author_ids(self, lead_id: UUID) -> set[str]:
        return {c.author_id for c in self._comments.values() if c.lead_id == lead_id}


class InMemoryPreferenceRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._disabled, self._email_off = state.disabled, state.email_off

    async def disabled_types(self, user_id: str) -> set[NotificationType]:
        return set(self._disabled.get(user_id, ()))

    async def save(self, user_id: str, kind: NotificationType, enabled: bool) -> None:
        disabled = self._disabled.setdefault(user_id, set())
        if enabled:
            disabled.discard(kind)
        else:
            disabled.add(kind)

    async def muted_user_ids(self, kind: NotificationType) -> set[str]:
        return {user_id for user_id, types in self._disabled.items() if kind in types}

    async def email_off_types(self, user_id: str) -> set[NotificationType]:
        return set(self._email_off.get(user_id, ()))

    async def save_email(self, user_id: str, kind: NotificationType, email: bool) -> None:
        email_off = self._email_off.setdefault(user_id, set())
        if email:
            email_off.discard(kind)
        else:
            email_off.add(kind)


class InMemoryInboxRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._notifications = state.notifications
        self._inboxes = state.inboxes
        self._due_emails = state.due_emails
        self._scheduled_emails = state.scheduled_emails
        self._event_ids = state.notification_event_ids

    async def add(self, notification: Notification, recipients: Sequence[str]) -> None:
        self._notifications[notification.id] = notification
        for user_id in recipients:
            inbox = self._inboxes.setdefault(user_id, {})
            inbox[notification.id] = InboxEntry.deliver(notification, user_id)

    async def get(self, user_id: str, notification_id: UUID) -> InboxEntry | None:
        return copy.copy(self._inboxes.get(user_id, {}).get(notification_id))

    async def get_for_update(self, user_id: str, notification_id: UUID) -> InboxEntry | None:
        return await self.get(user_id, notification_id)  # units of work run one at a time

    async def save(self, entry: InboxEntry) -> None:
        inbox = self._inboxes.get(entry.user_id, {})
        if entry.notification.id in inbox:
            inbox[entry.notification.id] = copy.copy(entry)

    async def newest(self, user_id: str, limit: int) -> list[InboxEntry]:
        return await self.page(user_id, limit=limit)

    async def page(
        self,
        user_id: str,
        *,
        limit: int,
        before: InboxPosition | None = None,
        unread_only: bool = False,
        types: Sequence[NotificationType] | None = None,
        related_lead_id: UUID | None = None,
        archived: bool = False,
    ) -> list[InboxEntry]:
        entries = [
            entry
            for entry in self.selected(user_id, unread_only, types, related_lead_id, archived)
            if before is None or _newest_first(entry) < before
        ]
        ordered = sorted(entries, key=_newest_first, reverse=True)
        return [copy.copy(entry) for entry in ordered[:limit]]

    def selected(
        self,
        user_id: str,
        unread_only: bool = False,
        types: Sequence[NotificationType] | None = None,
        related_lead_id: UUID | None = None,
        archived: bool = False,
    ) -> list[InboxEntry]:
        """The user's entries a feed filter selects, in no order (the store's own, not copies)."""
        return [
            entry
            for entry in self._inboxes.get(user_id, {}).values()
            if entry.is_archived == archived
            and not (unread_only and entry.is_read)
            and (types is None or entry.notification.type in types)
            and (related_lead_id is None or entry.notification.related_lead_id == related_lead_id)
        ]

    async def unread_count(self, user_id: str) -> int:
        return sum(not entry.is_read for entry in self.selected(user_id))

    async def badges(self, user_ids: Sequence[str]) -> Badges:
        unread, unseen = {}, {}
        for user_id in user_ids:
            inbox = self.selected(user_id)
            unread[user_id] = sum(not entry.is_read for entry in inbox)
            unseen[user_id] = sum(entry.seen_at is None for entry in inbox)
        return Badges(unread, unseen)

    async def mark_all_read(self, user_id: str, now: datetime) -> int:
        return sum(entry.mark_read(now) for entry in self.selected(user_id))

    async def mark_all_seen(self, user_id: str, now: datetime) -> int:
        return sum(entry.mark_seen(now) for entry in self.selected(user_id))

    async def mark_group_read(self, user_id: str, group_key: str, now: datetime) -> int | None:
        members = [e for e in self.selected(user_id) if e.notification.group_key == group_key]
        if not members:
            return None
        return sum(entry.mark_read(now) for entry in members)

    async def confirm_delivered(self, through: Mapping[str, int], now: datetime) -> int:
        return sum(
            entry.confirm_delivered(now)
            for user_id, through_event_id in through.items()
            for entry in self._inboxes.get(user_id, {}).values()
            if (event_id := self._event_ids.get(entry.notification.id)) is not None
            and event_id <= through_event_id
        )

    async def confirm_delivered_uncounted(self, through: Mapping[str, int], now: datetime) -> None:
        await self.confirm_delivered(through, now)

    async def remove(self, user_id: str, notification_id: UUID) -> bool:
        return self._inboxes.get(user_id, {}).pop(notification_id, None) is not None

    async def purge_before(self, cutoff: datetime, limit: int, entries: int) -> PurgedBatch:
        doomed = self._oldest(cutoff, limit)
        held = sorted(
            (notification_id, user_id)
            for user_id, inbox in self._inboxes.items()
            for notification_id in doomed & inbox.keys()
        )
        losing = set()
        for notification_id, user_id in held[:entries]:
            if self._inboxes[user_id].pop(notification_id).badge != Badge(0, 0):
                losing.add(user_id)
        # Those of the batch but the last, whose entries the bound may have cut.
        gone = doomed
        if len(held) >= entries:
            cut = held[entries - 1][0]
            left = {notification_id for notification_id, _ in held[entries:]}
            gone = {n for n in doomed if n < cut or (n == cut and cut not in left)}
        for notification_id in gone:
            del self._notifications[notification_id]
            self._event_ids.pop(notification_id, None)
        for key in [key for key in self._due_emails if key[1] in gone]:
            del self._due_emails[key]
        for notification_id in gone & self._scheduled_emails.keys():
            del self._scheduled_emails[notification_id]
        return PurgedBatch(
            notifications=len(gone),
            entries=min(len(held), entries),
            losing=frozenset(losing),
            full=len(doomed) == limit or len(held) >= entries,
        )

    async def users_with_deferred_changes(self, limit: int) -> list[str]:
        return []  # every change is applied at once

    async def apply_deferred(self, user_id: str) -> bool:
        return False

    def _oldest(self, cutoff: datetime, limit: int) -> set[UUID]:
        old = sorted(
            (n.created_at, n.id) for n in self._notifications.values() if n.created_at < cutoff
        )
        return {notification_id for _, notification_id in old[:limit]}


def _newest_first(entry: InboxEntry) -> tuple[datetime, UUID]:
    return entry.notification.created_at, entry.notification.id


class InMemoryEventLog:
    def __init__(self, state: InMemoryState, clock: Clock, inbox: InMemoryInboxRepository) -> None:
        self._state, self._clock, self._inbox = state, clock, inbox
        self.pending: list[InboxEvent] = []
        # The counts events to read at commit: where each goes among the pending, and its users.
        self._counts_of: list[tuple[int, Sequence[str]]] = []

    async def add(self, events: Sequence[InboxEvent]) -> None:
        self.pending.extend(events)

    async def add_counts(self, user_ids: Sequence[str]) -> None:
        if user_ids:
            self._counts_of.append((len(self.pending), tuple(user_ids)))

    async def count(self) -> None:
        """At commit, first: each counts event made of the counts as they are now."""
        for offset, user_ids in reversed(self._counts_of):
            badges = await self._inbox.badges(user_ids)
            self.pending.insert(offset, UnreadCountsChanged.of(badges))
        self._counts_of = []

    async def take_turn(self) -> None:
        """Units of work take turns already: each holds the store's lock from start to end."""

    def assign_ids(self) -> list[StoredEvent]:
        """At commit: give the pending events their ids; returns them."""
        now = self._clock.now()
        written: list[StoredEvent] = []
        for event in self.pending:
            self._state.last_event_id += 1
            written.append(StoredEvent(self._state.last_event_id, event))
            self._state.events.append(written[-1])
            self._state.event_times[self._state.last_event_id] = now
            if isinstance(event, NotificationCreated):
                notification_id = event.notification.id
                self._state.notification_event_ids[notification_id] = self._state.last_event_id
        self.pending = []
        return written

    async def claim_unpublished(self, limit: int) -> list[StoredEvent] | None:
        # Units of work run one at a time here, so no other relay can hold the events.
        state = self._state
        return [e for e in state.events if e.id > state.published_through][:limit]

    async def mark_published(self, through_id: int) -> int:
        self._state.published_through = max(self._state.published_through, through_id)
        return await self.backlog()

    async def history(self, user_id: str, after_id: int, limit: int) -> list[StoredEvent]:
        mine = (e for e in self._state.events if e.id > after_id and user_id in e.event.audience)
        return list(itertools.islice(mine, limit))

    async def horizon(self) -> EventHorizon:
        return EventHorizon(self._state.purged_through, self._state.last_event_id)

    async def backlog(self) -> int:
        return self._state.last_event_id - self._state.published_through

    async def purge_before(self, cutoff: datetime, limit: int) -> int:
        state = self._state
        old = sorted(
            (written, stored.id)
            for stored in state.events
            if stored.id <= state.published_through
            and (written := state.event_times.get(stored.id)) is not None
            and written < cutoff
        )
        doomed = {event_id for _, event_id in old[:limit]}
        if not doomed:
            return 0
        state.events = [stored for stored in state.events if stored.id not in doomed]
        for event_id in doomed:
            del state.event_times[event_id]
        state.purged_through = max(state.purged_through, *doomed)
        return len(doomed)


class InMemoryDueEmailRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._state = state
        self._rows = state.due_emails
        self._scheduled = state.scheduled_emails

    async def schedule(self, notification_id: UUID, due_at: datetime) -> None:
        self._scheduled[notification_id] = due_at

    async def write_scheduled(self, limit: int) -> int:
        state = self._state
        taken = sorted(self._scheduled.items(), key=lambda item: (item[1], item[0]))[:limit]
        for notification_id, due_at in taken:
            del self._scheduled[notification_id]
            notification = state.notifications.get(notification_id)
            if notification is None:
                continue
            for user_id, entries in state.inboxes.items():
                user = state.users.get(user_id)
                if (
                    notification_id in entries
                    and user is not None
                    and user.email
                    and notification.type not in state.email_off.get(user_id, set())
                ):
                    self._rows[user_id, notification_id] = DueEmail(due_at)
        return len(taken)

    async def claim(self, now: datetime, until: datetime, users: int) -> dict[str, list[UUID]]:
        oldest: dict[str, tuple[datetime, UUID, DueEmail]] = {}
        for (user_id, notification_id), row in self._rows.items():
            if user_id not in oldest or (row.due_at, notification_id) < oldest[user_id][:2]:
                oldest[user_id] = (row.due_at, notification_id, row)
        heads = sorted(
            (due_at, user_id)
            for user_id, (due_at, _, row) in oldest.items()
            if due_at <= now and _unclaimed(row, now)
        )
        claimed: dict[str, list[UUID]] = {}
        for _, user_id in heads[:users]:
            for (owner, notification_id), row in self._rows.items():
                if owner == user_id and _unclaimed(row, now):
                    row.claimed_until = until
                    claimed.setdefault(user_id, []).append(notification_id)
        return claimed

    async def renew(self, user_id: str, ours: datetime, until: datetime) -> dict[UUID, datetime]:
        renewed = {}
        for (owner, notification_id), row in self._rows.items():
            if owner == user_id and row.claimed_until == ours:
                row.claimed_until = until
                renewed[notification_id] = row.due_at
        return renewed

    async def settle(self, user_id: str, notification_ids: Sequence[UUID]) -> None:
        for notification_id in notification_ids:
            self._rows.pop((user_id, notification_id), None)

    async def release(self, user_id: str, notification_ids: Sequence[UUID]) -> None:
        for notification_id in notification_ids:
            if (row := self._rows.get((user_id, notification_id))) is not None:
                row.claimed_until = None


def _unclaimed(row: DueEmail, now: datetime) -> bool:
    return row.claimed_until is None or row.claimed_until <= now


class InMemoryUnitOfWork:
    """Works on a private copy of the state; `commit()` makes the copy the committed state."""

    users: UserRepository
    leads: LeadRepository
    tasks: TaskRepository
    comments: CommentRepository
    preferences: PreferenceRepository
    inbox: InboxRepository
    events: EventLog
    emails: DueEmailRepository

    def __init__(self, store: InMemoryStore, relay: EventRelay | None = None) -> None:
        self._store, self._relay = store, relay
        self._working: InMemoryState | None = None
        self._committed: list[StoredEvent] = []  # the events committed, for the relay

    async def __aenter__(self) -> Self:
        await self._store.lock.acquire()
        self._open(copy.deepcopy(self._store.state))
        return self

    def _open(self, working: InMemoryState) -> None:
        self._working = working
        self.users = InMemoryUserRepository(working)
        self.leads = InMemoryLeadRepository(working)
        self.tasks = InMemoryTaskRepository(working)
        self.comments = InMemoryCommentRepository(working)
        self.preferences = InMemoryPreferenceRepository(working)
        self.inbox = InMemoryInboxRepository(working)
        self.events = self._event_log = InMemoryEventLog(working, self._store.clock, self.inbox)
        self.emails = InMemoryDueEmailRepository(working)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._working = None
        self._store.lock.release()
        # Only now, with the transaction over, may the relay open one of its own.
        committed, self._committed = self._committed, []
        if committed and self._relay is not None:
            await self._relay.committed(committed)

    async def commit(self) -> None:
        if self._working is None:
            raise RuntimeError("commit() outside of the unit of work")
        await self._event_log.count()
        self._committed.extend(self._event_log.assign_ids())
        self._store.state = self._working
        self._open(copy.deepcopy(self._working))
