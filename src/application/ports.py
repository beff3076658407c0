"""Ports: what the use cases need from the outside world, owned by the core."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

import msgspec

from domain.comments import Comment
from domain.emails import Digest
from domain.events import InboxEvent, StoredEvent
from domain.leads import Lead
from domain.notifications import (
    Badges,
    InboxCounts,
    InboxEntry,
    Notification,
    NotificationGroup,
    NotificationType,
    Receipt,
    SentNotification,
)
from domain.tasks import Task
from domain.users import User


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class IdFactory(Protocol):
    def new_id(self) -> UUID: ...


# Concurrency. Two requests may run one use case on the same data at once (a double click,
# several tabs, several processes). A use case that reads an aggregate in order to change it
# reads it with `get_for_update`: on PostgreSQL the row stays locked until the unit of work
# ends, so a second writer waits, then reads the first one's change and answers "nothing
# changed" (SQLite and the in-memory store run one writing unit of work at a time). Rows that
# are only created, such as a user's first registration or a preference, are upserts. When
# the database still gives up a unit of work (a deadlock), the adapter raises
# `ConcurrentUpdate` and the use case runs again (`application.retries`); a lock waited on
# past the database's lock timeout raises `DatabaseBusy`.


class ConcurrentUpdate(Exception):
    """The database gave up this unit of work for a concurrent one (a deadlock or a
    serialization failure): nothing of it was kept, and running it again may succeed."""


class DatabaseBusy(Exception):
    """A lock, or a free connection to the database, was waited on past its timeout: nothing of
    the unit of work was kept."""


class UserRepository(Protocol):
    async def get(self, user_id: str) -> User | None: ...

    async def add(self, user: User) -> None:
        """Register the user; when a concurrent first sign-in registered them meanwhile,
        update that row's name, email and update time instead (one upsert)."""
        ...

    async def save(self, user: User) -> None: ...

    async def all_ids(self) -> list[str]:
        """Every registered user's id: the audience of broadcasts."""
        ...


class LeadRepository(Protocol):
    async def get(self, lead_id: UUID) -> Lead | None: ...

    async def get_for_update(self, lead_id: UUID) -> Lead | None:
        """The lead, locked until the unit of work ends (see Concurrency above)."""
        ...

    async def add(self, lead: Lead) -> None: ...

    async def save(self, lead: Lead) -> None:
        """Persist the lead's owner, score and update time."""
        ...

    async def newest(self, limit: int) -> list[Lead]: ...


class TaskRepository(Protocol):
    async def get(self, task_id: UUID) -> Task | None: ...

    async def get_for_update(self, task_id: UUID) -> Task | None:
        """The task, locked until the unit of work ends (see Concurrency above)."""
        ...

    async def add(self, task: Task) -> None: ...

    async def save(self, task: Task) -> None:
        """Persist the task's completion."""
        ...


class CommentRepository(Protocol):
    async def add(self, comment: Comment) -> None: ...

    async def author_ids(self, lead_id: UUID) -> set[str]:
        """Everyone who has commented on the lead so far."""
        ...


class PreferenceRepository(Protocol):
    async def disabled_types(self, user_id: str) -> set[NotificationType]: ...

    async def save(self, user_id: str, kind: NotificationType, enabled: bool) -> None: ...

    async def muted_user_ids(self, kind: NotificationType) -> set[str]:
        """Every user who turned this type off."""
        ...

    async def email_off_types(self, user_id: str) -> set[NotificationType]:
        """The types this user does not want by email."""
        ...

    async def save_email(self, user_id: str, kind: NotificationType, email: bool) -> None:
        """Set whether this type comes by email too, leaving `enabled` as it was."""
        ...


# Where an entry stands in its inbox: its notification's creation time, then its id.
InboxPosition = tuple[datetime, UUID]
# Where a group stands among a user's groups: its newest selected member's creation time, then
# its key (groups come newest first, then by key ascending).
GroupPosition = tuple[datetime, str]


class InboxRepository(Protocol):
    """Notifications and every recipient's entry for them."""

    async def add(self, notification: Notification, recipients: Sequence[str]) -> None:
        """Store the notification once and an unread, unseen entry for each recipient, in the
        notification's group (`Notification.group_key`)."""
        ...

    async def get(self, user_id: str, notification_id: UUID) -> InboxEntry | None:
        """The user's entry; None when it does not exist or is another user's."""
        ...

    async def get_for_update(self, user_id: str, notification_id: UUID) -> InboxEntry | None:
        """As `get`, with the entry locked until the unit of work ends (see Concurrency)."""
        ...

    async def save(self, entry: InboxEntry) -> None:
        """Persist the entry's read, seen, delivered and archived state and its update time."""
        ...

    async def newest(self, user_id: str, limit: int) -> list[InboxEntry]:
        """The user's entries, newest first."""
        ...

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
        """At most `limit` of the user's entries, newest first, that come after `before`.

        Newest first is by (created_at, notification id), both descending; `before` is the
        position of the last entry of the previous page, and only entries strictly older are
        given. `types`, when given, keeps the entries of those types (none, when it is empty).
        Archived entries are left out, unless `archived`: then only they are given.
        """
        ...

    async def unread_count(self, user_id: str) -> int:
        """Unread entries that are not archived."""
        ...

    async def badges(self, user_ids: Sequence[str]) -> Badges:
        """The unread and unseen counts (archived entries left out) of each of these users, in
        one query; every asked user gets one."""
        ...

    async def mark_all_read(self, user_id: str, now: datetime) -> int:
        """Read every unread entry of the user that is not archived (seeing it too, when it
        was not seen); returns how many became read."""
        ...

    async def mark_all_seen(self, user_id: str, now: datetime) -> int:
        """See every unseen entry of the user that is not archived; returns how many changed."""
        ...

    async def mark_group_read(self, user_id: str, group_key: str, now: datetime) -> int | None:
        """Read the unread entries of the group that are not archived (seeing them too);
        returns how many became read, or None when no entry of the user outside the archive
        is in that group."""
        ...

    async def confirm_delivered(self, through: Mapping[str, int], now: datetime) -> int:
        """Deliver, at `now`, each user's entries not yet delivered whose
        `notification:created` event has an id up to the user's number in `through` (user id
        → event id), and none of a notification committed later, whatever the number; returns
        how many, for all the users together."""
        ...

    async def confirm_delivered_uncounted(self, through: Mapping[str, int], now: datetime) -> None:
        """`confirm_delivered` without its count, for a flush of many sockets' confirmations
        whose count nobody reads: what the count would read is not read."""
        ...

    async def remove(self, user_id: str, notification_id: UUID) -> bool:
        """Take the entry out of the user's inbox; returns whether it was there."""
        ...

    async def purge_before(self, cutoff: datetime, limit: int, entries: int) -> PurgedBatch:
        """Delete the entries, read or not, of the at most `limit` oldest notifications
        created before `cutoff`, at most `entries` of them (the first by notification id, then
        user id), and those notifications up to the last entry's once none of their entries is
        left (the ones after it, by id, wait for a later batch). A notification sent to more
        users than `entries` goes in several batches."""
        ...

    async def users_with_deferred_changes(self, limit: int) -> list[str]:
        """At most `limit` users whose entries a committed change has yet to be applied to,
        the longest waiting first. A store may answer a bulk change (`mark_all_read`) before
        it has written every entry: every read and write sees the change meanwhile."""
        ...

    async def apply_deferred(self, user_id: str) -> bool:
        """Write the user's deferred change to their entries; returns whether one waited."""
        ...


class InboxSlice(msgspec.Struct, frozen=True):
    """Which of one user's entries a page holds, as `InboxRepository.page` chooses them: at most
    `limit`, newest first, strictly after `before`, filtered."""

    user_id: str
    limit: int
    before: InboxPosition | None = None
    unread_only: bool = False
    types: Sequence[NotificationType] | None = None
    related_lead_id: UUID | None = None
    archived: bool = False


class GroupSlice(msgspec.Struct, frozen=True):
    """Which of one user's groups a page holds: groups made of the entries the filter selects
    (as `InboxSlice` selects them), at most `limit`, ordered by their newest selected member's
    (created_at, key): created_at descending, key ascending, strictly after `after`."""

    user_id: str
    limit: int
    after: GroupPosition | None = None
    unread_only: bool = False
    types: Sequence[NotificationType] | None = None
    related_lead_id: UUID | None = None
    archived: bool = False


class InboxQueries(Protocol):
    """The read side of the inbox: committed state, answered without a unit of work.

    The same answers as `InboxRepository`'s reads, for callers that only look.
    """

    async def unread_count(self, user_id: str) -> int: ...

    async def counts(self, user_id: str) -> InboxCounts:
        """Unread, unseen and all of the user's entries, archived ones left out."""
        ...

    async def page(self, wanted: InboxSlice) -> list[InboxEntry]: ...

    async def groups(self, wanted: GroupSlice) -> list[NotificationGroup]:
        """The cost of a page grows with the groups it holds and their members, not with the
        size of the inbox."""
        ...

    async def sent_about(self, lead_id: UUID, limit: int) -> list[SentNotification]:
        """The notifications about the lead, newest first (by created_at, then id), with their
        recipients' counts; a notification nobody holds any more is left out."""
        ...

    async def receipts(self, notification_id: UUID, limit: int) -> list[Receipt]:
        """How each recipient who still holds the notification received it, by user id
        ascending; `name` is the user's registered name."""
        ...


class CursorCodec(Protocol):
    """Turns an inbox position into an opaque cursor that only its user can hand back."""

    def encode(self, user_id: str, position: InboxPosition) -> str: ...

    def decode(self, user_id: str, cursor: str) -> InboxPosition | None:
        """The position `encode` was given for this user; None for anything else."""
        ...

    def encode_group(self, user_id: str, position: GroupPosition) -> str: ...

    def decode_group(self, user_id: str, cursor: str) -> GroupPosition | None:
        """The position `encode_group` was given for this user; None for anything else (an
        inbox cursor included)."""
        ...


class EventLog(Protocol):
    """The outbox: events written in the transaction of the change that caused them, then kept
    for a while so that reconnecting clients can catch up."""

    async def add(self, events: Sequence[InboxEvent]) -> None:
        """Write the events in this unit of work; they get their ids when it commits. The id
        of a `NotificationCreated` is kept with its notification too: what delivery
        confirmations (`InboxRepository.confirm_delivered`) go by."""
        ...

    async def add_counts(self, user_ids: Sequence[str]) -> None:
        """Write, after the events added so far, an `UnreadCountsChanged` of these users with
        the counts this unit of work leaves them: read as it commits, under its turn, so that
        the last count event a user gets is always the current count. No users, no event."""
        ...

    async def take_turn(self) -> None:
        """From now until this unit of work ends, no other one commits events: what it reads
        next is as of its own place in the order of events. `add_counts` takes it as the unit
        of work commits, and writing events takes it at the latest then."""
        ...

    async def claim_unpublished(self, limit: int) -> list[StoredEvent] | None:
        """The oldest events not yet published, in id order, held by this unit of work until it
        ends; None when another relay holds them."""
        ...

    async def mark_published(self, through_id: int) -> int:
        """Everything up to `through_id` is published; returns how many committed events still
        wait after it, read once the mark is made (those committed since the claim included)."""
        ...

    async def history(self, user_id: str, after_id: int, limit: int) -> list[StoredEvent]:
        """The user's retained events with an id above `after_id`, in id order."""
        ...

    async def horizon(self) -> EventHorizon: ...

    async def backlog(self) -> int:
        """How many committed events wait to be published."""
        ...

    async def purge_before(self, cutoff: datetime, limit: int) -> int:
        """Delete at most `limit` of the oldest published events written before `cutoff`, and
        move the "purged" position up to the highest id deleted; returns how many.

        Events not yet published stay, however old: the relay has yet to send them.
        """
        ...


class PurgedBatch(msgspec.Struct, frozen=True):
    """What one batch of the inbox's purge deleted (`InboxRepository.purge_before`)."""

    notifications: int
    entries: int
    # Who lost an entry that counted as unread or unseen: their counts changed.
    losing: frozenset[str]
    # Whether it stopped at a bound (`limit` notifications, `entries` entries): more may be
    # left, for the next batch.
    full: bool


class EventHorizon(msgspec.Struct, frozen=True):
    """What the event log can replay: ids in (purged_through, last_id]."""

    purged_through: int
    last_id: int


class DueEmailRepository(Protocol):
    """Emails to come. A notification is scheduled with the change that made it, one row
    whatever its audience; `write_scheduled` then writes, in a unit of work of its own, a row
    per recipient, gone once sent (or once there was nothing to send)."""

    async def schedule(self, notification_id: UUID, due_at: datetime) -> None:
        """The notification's recipients may be emailed from `due_at` on: their rows are
        written by `write_scheduled`."""
        ...

    async def write_scheduled(self, limit: int) -> int:
        """For at most `limit` scheduled notifications, the oldest due first: a row due at the
        notification's time for each user who still has its entry, has an email address and
        has not turned email off for its type; those notifications are no longer scheduled.
        Returns how many it took. Two units of work never take the same notification."""
        ...

    async def claim(self, now: datetime, until: datetime, users: int) -> dict[str, list[UUID]]:
        """For at most `users` users whose oldest row is due at `now` and claimed by nobody,
        every row of theirs, claimed until `until`: by user, the notifications' ids.

        Two claims never hold rows of the same user at once (the oldest row is the user's
        token); a claim that was not settled by `until` (its process died) lapses.
        """
        ...

    async def renew(self, user_id: str, ours: datetime, until: datetime) -> dict[UUID, datetime]:
        """The rows of `user_id` still claimed until `ours` (this claim's), now claimed until
        `until`: each notification's id and when it falls due; none when the claim lapsed and
        another took them."""
        ...

    async def settle(self, user_id: str, notification_ids: Sequence[UUID]) -> None:
        """These rows are done with (sent, refused, or nothing to send): delete them."""
        ...

    async def release(self, user_id: str, notification_ids: Sequence[UUID]) -> None:
        """Give the claim up (sending failed): the rows may be claimed again at once."""
        ...


class UnitOfWork(Protocol):
    """One database transaction; rolls back on exit unless `commit()` was called."""

    users: UserRepository
    leads: LeadRepository
    tasks: TaskRepository
    comments: CommentRepository
    preferences: PreferenceRepository
    inbox: InboxRepository
    events: EventLog
    emails: DueEmailRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class NotificationPublisher(Protocol):
    """Tells connected clients about committed changes to their inboxes."""

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        """Send each event to its audience; raises when it could not be handed on."""
        ...


class EmailUnavailable(Exception):
    """The email could not be handed to the mail server now (down, slow, busy, 4xx): try again."""


class EmailDeferred(Exception):
    """The mail server put this recipient off for now (a 4xx for them: a full mailbox,
    greylisting): try them again later, and the others at once."""


class EmailRefused(Exception):
    """The mail server refused this email for good (a 5xx for its recipient): do not retry it."""


class EmailSender(Protocol):
    async def send(self, digest: Digest) -> None:
        """Hand the email to the mail server; raises EmailRefused, EmailDeferred or
        EmailUnavailable."""
        ...


class DeferredWork(Protocol):
    async def committed(self) -> None:
        """A commit left the inbox work to finish later (`InboxRepository.apply_deferred`):
        have it done soon."""
        ...


class EventRelay(Protocol):
    async def committed(self, events: Sequence[StoredEvent]) -> None:
        """These events were committed, in id order: have them published (now, or soon by a
        background relay)."""
        ...
