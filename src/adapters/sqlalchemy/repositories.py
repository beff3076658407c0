"""The repositories on SQLAlchemy Core: explicit SQL in, domain objects out."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import CursorResult, Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import Executable

from adapters.sqlalchemy import arrays
from adapters.sqlalchemy.engine import concurrency_errors
from adapters.sqlalchemy.queries import (
    ARCHIVED,
    COUNTED,
    IN_INBOX,
    READ,
    UNREAD,
    UNSEEN,
    counted,
    entry_of,
    event_id_of,
    marked,
    page_query,
    select_entries,
)
from adapters.sqlalchemy.tables import (
    UtcDateTime,
    comments,
    delivery_marks,
    delivery_positions,
    due_emails,
    inbox_broadcasts,
    inbox_counts,
    leads,
    notifications,
    outbox_events,
    outbox_state,
    read_marks,
    scheduled_emails,
    tasks,
    users,
)
from adapters.sqlalchemy.tables import notification_preferences as preferences
from adapters.sqlalchemy.tables import notification_recipients as inbox
from adapters.system import SystemClock
from application.ports import (
    Clock,
    EventHorizon,
    InboxPosition,
    InboxSlice,
    PurgedBatch,
)
from domain.comments import Comment
from domain.events import (
    InboxEvent,
    NotificationCreated,
    NotificationDeleted,
    NotificationsBulkUpdated,
    NotificationUpdated,
    StoredEvent,
    UnreadCountsChanged,
)
from domain.leads import Lead
from domain.notifications import Badges, InboxEntry, Notification, NotificationType
from domain.tasks import Task
from domain.users import User

# The same expressions as the partial indexes', so that the database can use those indexes.
_unread = UNREAD
_unseen = UNSEEN
_in_inbox = IN_INBOX
_muted = sa.not_(preferences.c.enabled)
_email_off = sa.not_(preferences.c.email)


def _locked(statement: sa.Select[Any], *, of: Any = None) -> sa.Select[Any]:
    """The rows read stay locked until the transaction ends: `FOR NO KEY UPDATE` on
    PostgreSQL, which leaves inserts that refer to them free; nothing on SQLite, whose
    transactions take the write lock up front (`BEGIN IMMEDIATE`)."""
    return statement.with_for_update(key_share=True, of=of)


def _entries_locked_in_order(
    where: sa.ColumnElement[bool], *columns: sa.ColumnElement[Any]
) -> sa.CTE:
    """PostgreSQL: the entries `where` holds, each locked in the order of its key. Two writers
    of many entries (marks, purges) then lock the ones they share in the same
    order and never wait on each other in a cycle; in the order a scan meets them, an entry
    that an update moved meanwhile can come first for one and last for the other."""
    return (
        _locked(
            sa.select(inbox.c.user_id, inbox.c.notification_id, *columns)
            .where(where)
            .order_by(inbox.c.notification_id, inbox.c.user_id),
            of=inbox,
        )
        .cte("target")
        .prefix_with("MATERIALIZED")
    )


def _of_target(target: sa.CTE, within: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """The entries of `target`, found among those `within` holds: a condition on the entries
    (or a semi-join over an array's rows) that an index answers, and that holds for every
    entry of the target. Joined by their key alone, the planner may read the whole inbox to
    hash it against a target it expects to be large (a 10,000-entry markAllAsRead read 1.3M
    entries for 650 ms)."""
    return sa.and_(
        within,
        inbox.c.user_id == target.c.user_id,
        inbox.c.notification_id == target.c.notification_id,
    )


class _Repository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _execute(
        self,
        statement: Executable,
        parameters: Sequence[dict[str, Any]] | dict[str, Any] | None = None,
    ) -> CursorResult[Any]:
        # The session's connection, in the session's current transaction.
        with concurrency_errors():
            connection = await self._session.connection()
            return await connection.execute(statement, parameters)

    @property
    def _on_postgresql(self) -> bool:
        return self._session.get_bind().dialect.name == "postgresql"

    def _among(
        self, column: sa.ColumnElement[str], values: Sequence[str]
    ) -> sa.ColumnElement[bool]:
        """`column` is one of `values`, given in one parameter: on PostgreSQL an array, on
        SQLite a JSON array (a parameter each is past the 999 that SQLite before 3.32 takes)."""
        if self._on_postgresql:
            return column == sa.any_(_string_array(values))
        return column.in_(_json_rows_of(values))


class SqlAlchemyUserRepository(_Repository):
    async def get(self, user_id: str) -> User | None:
        result = await self._execute(sa.select(users).where(users.c.id == user_id))
        row = result.one_or_none()
        return None if row is None else _user(row)

    async def add(self, user: User) -> None:
        insert = postgresql.insert if self._on_postgresql else sqlite.insert
        statement = insert(users).values(
            id=user.id,
            name=user.name,
            email=user.email,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )
        await self._execute(
            statement.on_conflict_do_update(
                index_elements=[users.c.id],
                set_={
                    users.c.name: statement.excluded.name,
                    users.c.email: statement.excluded.email,
                    users.c.updated_at: statement.excluded.updated_at,
                },
            )
        )

    async def save(self, user: User) -> None:
        await self._execute(
            sa.update(users)
            .where(users.c.id == user.id)
            .values(name=user.name, email=user.email, updated_at=user.updated_at)
        )

    async def all_ids(self) -> list[str]:
        if self._on_postgresql:
            # One row of one array: 10,000 rows would cost a Python row each. In code point
            # order, as Python sorts: the domain's sort of the recipients is then linear.
            in_order = aggregate_order_by(users.c.id, users.c.id.collate("C"))
            result = await self._execute(sa.select(sa.func.array_agg(in_order)))
            return list(result.scalar_one() or ())
        result = await self._execute(sa.select(users.c.id).order_by(users.c.id))
        return list(result.scalars())


class SqlAlchemyLeadRepository(_Repository):
    async def get(self, lead_id: UUID) -> Lead | None:
        result = await self._execute(sa.select(leads).where(leads.c.id == lead_id))
        row = result.one_or_none()
        return None if row is None else _lead(row)

    async def get_for_update(self, lead_id: UUID) -> Lead | None:
        result = await self._execute(_locked(sa.select(leads).where(leads.c.id == lead_id)))
        row = result.one_or_none()
        return None if row is None else _lead(row)

    async def add(self, lead: Lead) -> None:
        await self._execute(
            sa.insert(leads).values(
                id=lead.id,
                name=lead.name,
                email=lead.email,
                company=lead.company,
                score=lead.score,
                owner_id=lead.owner_id,
                created_at=lead.created_at,
                updated_at=lead.updated_at,
            )
        )

    async def save(self, lead: Lead) -> None:
        await self._execute(
            sa.update(leads)
            .where(leads.c.id == lead.id)
            .values(owner_id=lead.owner_id, score=lead.score, updated_at=lead.updated_at)
        )

    async def newest(self, limit: int) -> list[Lead]:
        result = await self._execute(
            sa.select(leads).order_by(leads.c.created_at.desc(), leads.c.id.desc()).limit(limit)
        )
        return [_lead(row) for row in result]


class SqlAlchemyTaskRepository(_Repository):
    async def get(self, task_id: UUID) -> Task | None:
        result = await self._execute(sa.select(tasks).where(tasks.c.id == task_id))
        row = result.one_or_none()
        return None if row is None else _task(row)

    async def get_for_update(self, task_id: UUID) -> Task | None:
        result = await self._execute(_locked(sa.select(tasks).where(tasks.c.id == task_id)))
        row = result.one_or_none()
        return None if row is None else _task(row)

    async def add(self, task: Task) -> None:
        await self._execute(
            sa.insert(tasks).values(
                id=task.id,
                lead_id=task.lead_id,
                title=task.title,
                assignee_id=task.assignee_id,
                created_by_id=task.created_by_id,
                completed_at=task.completed_at,
                created_at=task.created_at,
            )
        )

    async def save(self, task: Task) -> None:
        await self._execute(
            sa.update(tasks).where(tasks.c.id == task.id).values(completed_at=task.completed_at)
        )


class SqlAlchemyCommentRepository(_Repository):
    async def add(self, comment: Comment) -> None:
        await self._execute(
            sa.insert(comments).values(
                id=comment.id,
                lead_id=comment.lead_id,
                author_id=comment.author_id,
                body=comment.body,
                created_at=comment.created_at,
            )
        )

    async def author_ids(self, lead_id: UUID) -> set[str]:
        result = await self._execute(
            sa.select(comments.c.author_id).where(comments.c.lead_id == lead_id).distinct()
        )
        return set(result.scalars())


class SqlAlchemyPreferenceRepository(_Repository):
    async def disabled_types(self, user_id: str) -> set[NotificationType]:
        result = await self._execute(
            sa.select(preferences.c.type).where(preferences.c.user_id == user_id, _muted)
        )
        return {NotificationType(value) for value in result.scalars()}

    async def save(self, user_id: str, kind: NotificationType, enabled: bool) -> None:
        await self._set(user_id, kind, preferences.c.enabled, enabled)

    async def muted_user_ids(self, kind: NotificationType) -> set[str]:
        result = await self._execute(
            sa.select(preferences.c.user_id).where(preferences.c.type == kind.value, _muted)
        )
        return set(result.scalars())

    async def email_off_types(self, user_id: str) -> set[NotificationType]:
        result = await self._execute(
            sa.select(preferences.c.type).where(preferences.c.user_id == user_id, _email_off)
        )
        return {NotificationType(value) for value in result.scalars()}

    async def save_email(self, user_id: str, kind: NotificationType, email: bool) -> None:
        await self._set(user_id, kind, preferences.c.email, email)

    async def _set(
        self, user_id: str, kind: NotificationType, column: sa.Column[bool], value: bool
    ) -> None:
        """Set one switch of the user's preference for the type; the other keeps its value, or
        its default (on) for a first setting. One statement, so that two concurrent first
        settings cannot both try to insert."""
        insert = postgresql.insert if self._on_postgresql else sqlite.insert
        statement = insert(preferences).values(
            {
                preferences.c.user_id: user_id,
                preferences.c.type: kind.value,
                preferences.c.enabled: True,
                column: value,
                # The port gives no time: the database's clock stamps the change.
                preferences.c.updated_at: sa.func.now(),
            }
        )
        await self._execute(
            statement.on_conflict_do_update(
                index_elements=[preferences.c.user_id, preferences.c.type],
                set_={
                    column: statement.excluded[column.key],
                    preferences.c.updated_at: statement.excluded.updated_at,
                },
            )
        )


class _Counted(NamedTuple):
    """What an entry adds to its user's counts (archived entries add nothing), or a change of
    those counts."""

    unread: int
    unseen: int
    total: int

    def plus(self, other: _Counted) -> _Counted:
        return _Counted(
            self.unread + other.unread, self.unseen + other.unseen, self.total + other.total
        )

    def negated(self) -> _Counted:
        return _Counted(-self.unread, -self.unseen, -self.total)


_NOTHING = _Counted(0, 0, 0)


class _CountsByUser:
    """Users' unread and unseen counts as read back, one dict per count by user id: a
    broadcast reads back a thousand recipients' counts, and makes no object per user."""

    __slots__ = ("unread", "unseen")

    def __init__(self) -> None:
        self.unread: dict[str, int] = {}
        self.unseen: dict[str, int] = {}

    @classmethod
    def of_arrays(cls, row: Row[Any]) -> _CountsByUser:
        """Counts read back as one row of three arrays: user ids, unread, unseen."""
        user_ids, unread, unseen = tuple(row)
        counts = cls()
        counts.unread.update(zip(user_ids, unread, strict=True))
        counts.unseen.update(zip(user_ids, unseen, strict=True))
        return counts

    def update(self, newer: _CountsByUser) -> None:
        self.unread.update(newer.unread)
        self.unseen.update(newer.unseen)


def _counted(*, is_read: bool, seen: bool, archived: bool) -> _Counted:
    if archived:
        return _NOTHING
    return _Counted(int(not is_read), int(not seen), 1)


def _counted_entry(entry: InboxEntry) -> _Counted:
    """The entry's badge (the domain's rule), and whether it counts in the total."""
    return _Counted(*entry.badge, int(not entry.is_archived))


def _counted_row(row: Row[Any]) -> _Counted:
    return _counted(
        is_read=row.is_read, seen=row.seen_at is not None, archived=row.archived_at is not None
    )


# A count of what a delivery confirmation covered reads the events since the user's previous
# mark, each one's entry of the user looked up, when they are at most this many event ids; more
# (a client back after a long while), the user's own entries. Either way it reads what is
# fewer, roughly, and counts exactly.
COUNT_BY_EVENTS_UP_TO = 1_000

# A notification told to at least this many users, who are at least half of the users with
# counts, is counted as a broadcast (see `tables.inbox_counts`): a lead told to a thousand
# users changes one row of counts per user it is not told to, not one per recipient.
BROADCAST_FLOOR = 64


class SqlAlchemyInboxRepository(_Repository):
    """Each user's counts are kept in inbox_counts: the changes this unit of work makes to them
    add up here, and are written when read back (`badges`, `unread_count`) or at commit
    (`flush`), always while holding the outbox's turn (`take_turn`). Every writer of the counts
    then takes the same lock first: none waits on another's counts, and a count read under the
    turn is that of everything committed before."""

    def __init__(self, session: AsyncSession, take_turn: Callable[[], Awaitable[None]]) -> None:
        super().__init__(session)
        self._take_turn = take_turn
        self._changes: dict[str, _Counted] = {}
        self._broadcasts: list[Sequence[str]] = []  # the recipients of each, to count
        # What the entries read for update counted when read, by (user id, notification id).
        self._loaded: dict[tuple[str, UUID], _Counted] = {}
        self._owned: set[str] = set()  # the users whose lock this transaction holds
        self._marking: set[str] = set()  # and those it wrote a read mark for
        self.marked = False  # a read mark was written: one to apply once committed

    def _change(self, user_id: str, change: _Counted) -> None:
        self._change_all((user_id,), change)

    def _change_all(self, user_ids: Iterable[str], change: _Counted) -> None:
        """The same change for each of these users (a fan-out's: 10,000 of them at times)."""
        if change == _NOTHING:
            return
        changes = self._changes
        for user_id in user_ids:
            pending = changes.get(user_id)
            changes[user_id] = change if pending is None else pending.plus(change)

    async def flush(self) -> _CountsByUser:
        """Write the pending changes to the counts, under the turn; returns the new counts of
        the users changed (a broadcast changes the rows of those it did not reach, not their
        counts)."""
        changes = {
            user_id: change for user_id, change in self._changes.items() if change != _NOTHING
        }
        broadcasts, self._changes, self._broadcasts = self._broadcasts, {}, []
        counts = _CountsByUser()
        if not changes and not broadcasts:
            return counts
        await self._take_turn()
        for recipients in broadcasts:
            counts.update(await self._count_broadcast(recipients))
        if changes:  # after the broadcasts: these counts are the newest
            counts.update(await self._add_to_counts(changes))
        return counts

    async def _add_to_counts(self, changes: dict[str, _Counted]) -> _CountsByUser:
        """Each change added to its user's counts; a user without a row gets one, which has
        missed every broadcast so far."""
        user_ids = sorted(changes)  # rows locked in one order, whoever writes
        if self._on_postgresql:
            result = await self._execute(_add_to_counts_from_arrays(user_ids, changes))
            return _CountsByUser.of_arrays(result.one())
        sent = (await self._execute(sa.select(inbox_broadcasts.c.sent))).scalar_one()
        statement = sqlite.insert(inbox_counts)
        await self._execute(
            statement.on_conflict_do_update(
                index_elements=[inbox_counts.c.user_id],
                set_={
                    name: inbox_counts.c[name] + statement.excluded[name]
                    for name in _Counted._fields
                },
            ),
            [
                {"user_id": user_id, "broadcasts_missed": sent, **changes[user_id]._asdict()}
                for user_id in user_ids
            ],
        )
        return await self._stored_counts(user_ids)

    async def _count_broadcast(self, recipients: Sequence[str]) -> _CountsByUser:
        """One more broadcast, which every user with counts but these did not receive; each
        recipient without counts gets them, having received this one only. Returns the
        recipients' new counts."""
        if self._on_postgresql:
            result = await self._execute(_count_broadcast_to_array(recipients))
            return _CountsByUser.of_arrays(result.one())
        result = await self._execute(
            sa.update(inbox_broadcasts)
            .values(sent=inbox_broadcasts.c.sent + 1)
            .returning(inbox_broadcasts.c.sent)
        )
        sent = result.scalar_one()
        await self._execute(
            sqlite.insert(inbox_counts).on_conflict_do_nothing(),
            [
                {
                    "user_id": user_id,
                    **_NOTHING._asdict(),
                    "broadcasts_missed": sent - 1,
                }
                for user_id in recipients
            ],
        )
        await self._execute(
            sa.update(inbox_counts)
            .where(inbox_counts.c.user_id.not_in(_json_rows_of(recipients)))
            .values(broadcasts_missed=inbox_counts.c.broadcasts_missed + 1)
        )
        return await self._stored_counts(recipients)

    def take_broadcast_to(self, user_ids: Sequence[str]) -> Sequence[str] | None:
        """The pending broadcast, when it is all that waits to be counted and it is to exactly
        these users: handed over (no longer pending) to be counted by the statement that
        writes the events (`_write_events`). Else None, and nothing is taken."""
        if self._changes or len(self._broadcasts) != 1:
            return None
        recipients = self._broadcasts[0]
        if recipients is not user_ids and list(recipients) != list(user_ids):
            return None
        self._broadcasts = []
        return recipients

    def forget(self) -> None:
        """The transaction has ended: the entries read for update are no longer locked, nor
        are the users."""
        self._changes, self._broadcasts, self._loaded = {}, [], {}
        self._owned, self._marking = set(), set()

    async def _own(self, user_id: str) -> None:
        """PostgreSQL: the user's lock, held until the transaction ends, then their pending
        read mark applied to their entries (`tables.read_marks`). Every writer of a user's
        entries takes it first: no entry a mark covers changes before the mark is applied,
        and two writers of one user's entries never wait on each other's entries."""
        if not self._on_postgresql:
            return
        if user_id in self._owned and user_id not in self._marking:
            return  # applied when the lock was taken, and none written since
        await self._apply_mark(user_id)

    async def _lock_user(self, user_id: str) -> None:
        if user_id not in self._owned:
            await self._execute(sa.select(sa.func.pg_advisory_xact_lock(*_user_lock(user_id))))
            self._owned.add(user_id)

    async def _apply_mark(self, user_id: str) -> bool:
        """The user's pending read mark, if any, applied to the entries it covers and deleted,
        under the user's lock; the counts already went with it."""
        await self._lock_user(user_id)
        self._marking.discard(user_id)  # a mark this transaction wrote is applied as any other
        mark = (
            await self._execute(
                sa.delete(read_marks)
                .where(read_marks.c.user_id == user_id)
                .returning(read_marks.c.through, read_marks.c.read_at)
            )
        ).one_or_none()
        if mark is None:
            return False
        through, at = mark.through, mark.read_at
        covered = sa.and_(
            inbox.c.user_id == user_id,
            _unread,  # what `marked` holds too: the unread entries' index, in any plan
            marked(
                inbox,
                event_id=event_id_of(inbox),
                through=sa.literal(through, sa.BigInteger()),
                read_at=sa.literal(at, UtcDateTime()),
            ),
        )
        # Locked in key order, as every writer of many entries locks them (the purge).
        target = _entries_locked_in_order(covered)
        await self._execute(
            sa.update(inbox)
            .where(_of_target(target, sa.and_(inbox.c.user_id == user_id, _unread)))
            .values(
                is_read=True,
                read_at=at,
                seen_at=sa.func.coalesce(inbox.c.seen_at, at),
                updated_at=at,
            )
        )
        return True

    async def users_with_deferred_changes(self, limit: int) -> list[str]:
        if not self._on_postgresql:
            return []
        result = await self._execute(
            sa.select(read_marks.c.user_id).order_by(read_marks.c.read_at).limit(limit)
        )
        return list(result.scalars())

    async def apply_deferred(self, user_id: str) -> bool:
        """PostgreSQL: the user's pending mark applied, unless another transaction holds the
        user's lock (a writer, which applies it first, or another process's run) or the mark
        (a purge, until it commits): left to it, or to the next run, never waited for."""
        if not self._on_postgresql:
            return False
        free = sa.func.pg_try_advisory_xact_lock(*_user_lock(user_id))
        if not (await self._execute(sa.select(free))).scalar_one():
            return False
        self._owned.add(user_id)
        mark = sa.select(read_marks.c.user_id).where(read_marks.c.user_id == user_id)
        if (await self._execute(mark.with_for_update(skip_locked=True))).first() is None:
            return False
        return await self._apply_mark(user_id)

    async def _stored_counts(self, user_ids: Sequence[str]) -> _CountsByUser:
        result = await self._execute(
            sa.select(inbox_counts.c.user_id, counted("unread"), counted("unseen"))
            .select_from(COUNTED)
            .where(self._among(inbox_counts.c.user_id, user_ids))
        )
        counts = _CountsByUser()
        for row in result:
            counts.unread[row.user_id], counts.unseen[row.user_id] = row.unread, row.unseen
        return counts

    async def _counts(self, user_ids: Sequence[str]) -> _CountsByUser:
        counts = await self.flush()
        others = [user_id for user_id in user_ids if user_id not in counts.unread]
        if others:
            counts.update(await self._stored_counts(others))
        return counts

    async def add(self, notification: Notification, recipients: Sequence[str]) -> None:
        if not recipients:
            await self._execute(_insert_notification(notification))
            return
        told_many = len(recipients) >= BROADCAST_FLOOR
        if self._on_postgresql:
            written = _notification_written(notification, recipients, count_users=told_many)
            with_counts = (await self._execute(written)).scalar_one()
        else:
            await self._execute(_insert_notification(notification))
            rows = [
                {
                    "notification_id": notification.id,
                    "user_id": user_id,
                    "is_read": False,
                    "read_at": None,
                    "created_at": notification.created_at,
                    "updated_at": notification.created_at,
                    "group_key": notification.group_key,
                    "actor_id": notification.actor_id,
                }
                for user_id in recipients
            ]
            await self._execute(sa.insert(inbox), rows)  # one executemany
            with_counts = await self._users_with_counts() if told_many else 0
        if told_many and with_counts <= 2 * len(recipients):
            self._broadcasts.append(recipients)
        else:
            self._change_all(recipients, _Counted(1, 1, 1))

    async def _users_with_counts(self) -> int:
        """How many users have a row of counts: a notification told to at least half of them
        (and to at least `BROADCAST_FLOOR`) is counted as a broadcast, a choice of cost alone
        (the counts are exact either way)."""
        result = await self._execute(sa.select(sa.func.count()).select_from(inbox_counts))
        return int(result.scalar_one())

    async def get(self, user_id: str, notification_id: UUID) -> InboxEntry | None:
        return await self._entry(user_id, notification_id, for_update=False)

    async def get_for_update(self, user_id: str, notification_id: UUID) -> InboxEntry | None:
        await self._own(user_id)
        entry = await self._entry(user_id, notification_id, for_update=True)
        if entry is not None:  # locked: what it counts stays so until it is saved
            self._loaded[user_id, notification_id] = _counted_entry(entry)
        return entry

    async def _entry(
        self, user_id: str, notification_id: UUID, *, for_update: bool
    ) -> InboxEntry | None:
        statement = select_entries().where(
            inbox.c.user_id == user_id, inbox.c.notification_id == notification_id
        )
        # Only the entry is locked: the notification is shared by every recipient.
        result = await self._execute(_locked(statement, of=inbox) if for_update else statement)
        row = result.one_or_none()
        return None if row is None else entry_of(row)

    async def save(self, entry: InboxEntry) -> None:
        key = (entry.user_id, entry.notification.id)
        this_entry = sa.and_(
            inbox.c.user_id == entry.user_id, inbox.c.notification_id == entry.notification.id
        )
        await self._own(entry.user_id)
        before = self._loaded.get(key)
        if before is None:  # not read for update: what it counts now, locked
            result = await self._execute(
                _locked(
                    sa.select(inbox.c.is_read, inbox.c.seen_at, inbox.c.archived_at).where(
                        this_entry
                    )
                )
            )
            row = result.one_or_none()
            if row is None:
                return  # nothing to save
            before = _counted_row(row)
        await self._execute(
            sa.update(inbox)
            .where(this_entry)
            .values(
                is_read=entry.is_read,
                read_at=entry.read_at,
                seen_at=entry.seen_at,
                delivered_at=entry.delivered_at,
                archived_at=entry.archived_at,
                updated_at=entry.updated_at,
            )
        )
        self._loaded[key] = after = _counted_entry(entry)
        self._change(entry.user_id, after.plus(before.negated()))

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
        wanted = InboxSlice(user_id, limit, before, unread_only, types, related_lead_id, archived)
        statement, parameters = page_query(wanted, on_postgresql=self._on_postgresql)
        result = await self._execute(statement, parameters)
        return [entry_of(row) for row in result]

    async def unread_count(self, user_id: str) -> int:
        counts = await self._counts([user_id])
        return counts.unread.get(user_id, 0)

    async def badges(self, user_ids: Sequence[str]) -> Badges:
        if not user_ids and not self._changes and not self._broadcasts:
            return Badges({}, {})
        counts = await self._counts(user_ids)
        # A user without counts has had nothing yet.
        return Badges(
            {user_id: counts.unread.get(user_id, 0) for user_id in user_ids},
            {user_id: counts.unseen.get(user_id, 0) for user_id in user_ids},
        )

    async def mark_all_read(self, user_id: str, now: datetime) -> int:
        if not self._on_postgresql:
            return await self._read(inbox.c.user_id == user_id, user_id, now)
        # PostgreSQL: a mark, applied to the entries once committed (`tables.read_marks`).
        # Not while a purge deletes entries that it would count (the purge's lock): then the
        # entries are read at once, as elsewhere, rather than waiting for the purge. Then the
        # user's lock, their pending mark applied; then the turn, under which the counts are
        # those of every entry committed, all of them up to the event id given out last.
        free = sa.func.pg_try_advisory_xact_lock_shared(*_PURGE_LOCK)
        if not (await self._execute(sa.select(free))).scalar_one():
            await self._own(user_id)
            return await self._read(inbox.c.user_id == user_id, user_id, now)
        await self._own(user_id)
        await self._take_turn()
        counts = await self._counts([user_id])
        unread, unseen = counts.unread.get(user_id, 0), counts.unseen.get(user_id, 0)
        if unread == 0:  # nor unseen: read implies seen
            return 0
        assigned = sa.select(outbox_state.c.position).where(outbox_state.c.name == "assigned")
        await self._execute(
            sa.insert(read_marks).from_select(
                ["user_id", "through", "read_at"],
                sa.select(
                    sa.literal(user_id, read_marks.c.user_id.type),
                    assigned.scalar_subquery(),
                    sa.literal(now, UtcDateTime()),
                ),
            )
        )
        self._change(user_id, _Counted(-unread, -unseen, 0))
        self._marking.add(user_id)
        self.marked = True
        return unread

    async def _read(self, scope: sa.ColumnElement[bool], user_id: str, now: datetime) -> int:
        """Read the unread entries in `scope` (seeing the unseen ones), counting how many of
        them were unseen. An entry committed meanwhile stays unread and unseen."""
        if self._on_postgresql:
            # One statement: the entries locked (re-checked if a concurrent change got there
            # first), then updated, each telling whether it was unseen before.
            unread = sa.and_(scope, _unread)
            target = _entries_locked_in_order(unread, inbox.c.seen_at.is_(None).label("unseen"))
            changed = (
                sa.update(inbox)
                .where(_of_target(target, unread))
                .values(
                    is_read=True,
                    read_at=now,
                    seen_at=sa.func.coalesce(inbox.c.seen_at, now),
                    updated_at=now,
                )
                .returning(target.c.unseen)
                .cte("changed")
            )
            tally = await self._execute(
                sa.select(sa.func.count(), sa.func.count().filter(changed.c.unseen)).select_from(
                    changed
                )
            )
            read_count, unseen_count = (int(value) for value in tally.one())
            self._change(user_id, _Counted(-read_count, -unseen_count, 0))
            return read_count
        # SQLite writes one transaction at a time (BEGIN IMMEDIATE): two statements, each
        # counting what it changes: see the unseen ones (all unread, since read implies seen),
        # then read the unread ones.
        seen = await self._execute(
            sa.update(inbox).where(scope, _unread, _unseen).values(seen_at=now, updated_at=now)
        )
        read = await self._execute(
            sa.update(inbox)
            .where(scope, _unread, inbox.c.seen_at.is_not(None))
            .values(is_read=True, read_at=now, updated_at=now)
        )
        self._change(user_id, _Counted(-read.rowcount, -seen.rowcount, 0))
        return read.rowcount

    async def mark_all_seen(self, user_id: str, now: datetime) -> int:
        await self._own(user_id)
        # An unseen entry is unread (reading one sees it): those off the unread entries' index.
        unseen = sa.and_(inbox.c.user_id == user_id, _unread, _unseen)
        if self._on_postgresql:
            unseen = _of_target(_entries_locked_in_order(unseen), unseen)
        result = await self._execute(
            sa.update(inbox).where(unseen).values(seen_at=now, updated_at=now)
        )
        self._change(user_id, _Counted(0, -result.rowcount, 0))
        return result.rowcount

    async def mark_group_read(self, user_id: str, group_key: str, now: datetime) -> int | None:
        await self._own(user_id)
        in_group = sa.and_(inbox.c.user_id == user_id, inbox.c.group_key == group_key)
        read = await self._read(in_group, user_id, now)
        if read:
            return read
        member = await self._execute(sa.select(sa.literal(1)).where(in_group, _in_inbox).limit(1))
        return None if member.first() is None else 0

    async def confirm_delivered(self, through: Mapping[str, int], now: datetime) -> int:
        return await self._confirm(through, now, counted=True)

    async def confirm_delivered_uncounted(self, through: Mapping[str, int], now: datetime) -> None:
        await self._confirm(through, now, counted=False)

    async def _confirm(self, through: Mapping[str, int], now: datetime, *, counted: bool) -> int:
        """A mark for each user moved on (`tables.delivery_marks`); no entry is written. No
        mark goes beyond the newest notification's event: one not committed yet is not
        confirmed in advance. Counted, returns how many entries the marks cover that were not
        delivered before; otherwise reads no entry and returns 0."""
        newest_event = sa.select(sa.func.max(notifications.c.event_id)).scalar_subquery()
        if not self._on_postgresql:
            # SQLite: one writer at a time (BEGIN IMMEDIATE), a user at a time.
            count = 0
            newest = (await self._execute(sa.select(newest_event))).scalar_one() or 0
            for user_id, through_event_id in through.items():
                count += await self._mark_delivered(
                    user_id, min(through_event_id, newest), now, counted=counted
                )
            return count
        # PostgreSQL: the users and their event ids given as two arrays (a second's worth of a
        # thousand sockets). Each user's position moves on, its row locked (in key order)
        # until the commit: a confirmation of the same user elsewhere waits, then finds it.
        users = sorted(through)
        given = _pairs_of(users, [through[user] for user in users])
        clamped = sa.func.least(given.c.through, sa.func.coalesce(newest_event, 0))
        upsert = postgresql.insert(delivery_positions).from_select(
            ["user_id", "through"],
            sa.select(given.c.user_id, clamped).where(clamped > 0).order_by(given.c.user_id),
        )
        moved = upsert.on_conflict_do_update(
            index_elements=[delivery_positions.c.user_id],
            set_={"through": upsert.excluded.through},
            where=delivery_positions.c.through < upsert.excluded.through,
        ).returning(delivery_positions.c.user_id, delivery_positions.c.through)
        if not counted:
            # One statement: the marks of the positions that moved.
            positions = moved.cte("moved")
            await self._execute(_marks_written(positions, now).add_cte(positions))
            return 0
        rows = list(await self._execute(moved))
        if not rows:
            return 0
        # Then, in a snapshot that sees every mark committed before those rows were locked,
        # each mark written and the entries it covers counted: those of the events after the
        # user's previous mark (none: every event up to the mark).
        given = _pairs_of([row.user_id for row in rows], [row.through for row in rows])
        marks = sa.select(
            given.c.user_id,
            given.c.through,
            sa.select(sa.func.max(delivery_marks.c.through))
            .where(delivery_marks.c.user_id == given.c.user_id)
            .scalar_subquery()
            .label("before"),
        ).cte("marks")
        written = _marks_written(marks, now).cte("written")
        # A few events since the previous mark: those events, off ix_notifications_event_id,
        # each one's entry of the user looked up by the key (OFFSET 0 keeps the lookup a
        # subplan run per event: made a join, the planner may read the user's whole inbox).
        held = sa.exists(
            sa.select(sa.literal_column("1"))
            .where(
                inbox.c.notification_id == notifications.c.id,
                inbox.c.user_id == marks.c.user_id,
                inbox.c.delivered_at.is_(None),
            )
            .correlate_except(inbox)
            .offset(sa.literal_column("0", sa.Integer))
        )
        by_events = (
            sa.select(sa.func.count())
            .where(
                notifications.c.event_id > marks.c.before,
                notifications.c.event_id <= marks.c.through,
                held,
            )
            .scalar_subquery()
        )
        # Many, or no previous mark: the user's own entries, each one's event looked up by its
        # key (a join would read every notification of the range); the unread, the read and
        # the archived ones each off their index (no index holds every entry of a user).
        event_id = (
            sa.select(notifications.c.event_id)
            .where(notifications.c.id == inbox.c.notification_id)
            .scalar_subquery()
        )

        def entries_covered(state: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
            return (
                sa.select(sa.func.count())
                .where(
                    inbox.c.user_id == marks.c.user_id,
                    state,
                    inbox.c.delivered_at.is_(None),
                    event_id > sa.func.coalesce(marks.c.before, 0),
                    event_id <= marks.c.through,
                )
                .scalar_subquery()
            )

        by_entries = entries_covered(UNREAD) + entries_covered(READ) + entries_covered(ARCHIVED)
        few_events = marks.c.through - marks.c.before <= COUNT_BY_EVENTS_UP_TO
        covered = sa.case((few_events, by_events), else_=by_entries)
        result = await self._execute(
            sa.select(sa.func.coalesce(sa.func.sum(covered), 0)).select_from(marks).add_cte(written)
        )
        return int(result.scalar_one())

    async def _mark_delivered(
        self, user_id: str, through_event_id: int, now: datetime, *, counted: bool
    ) -> int:
        """One user's confirmation (SQLite): their mark and position moved on, and, counted,
        the entries it covers counted (the planner choosing the events or the entries)."""
        of_user = delivery_positions.c.user_id == user_id
        before = (
            await self._execute(sa.select(delivery_positions.c.through).where(of_user))
        ).scalar_one_or_none()
        if through_event_id <= (before or 0):
            return 0
        if before is None:
            await self._execute(
                sa.insert(delivery_positions).values(user_id=user_id, through=through_event_id)
            )
        else:
            await self._execute(
                sa.update(delivery_positions).where(of_user).values(through=through_event_id)
            )
        await self._execute(
            sa.insert(delivery_marks).values(
                user_id=user_id, through=through_event_id, delivered_at=now
            )
        )
        if not counted:
            return 0
        covered = (
            sa.select(sa.func.count())
            .select_from(inbox)
            .join(notifications, notifications.c.id == inbox.c.notification_id)
            .where(
                inbox.c.user_id == user_id,
                inbox.c.delivered_at.is_(None),
                notifications.c.event_id <= through_event_id,
                notifications.c.event_id > (before or 0),
            )
        )
        return int((await self._execute(covered)).scalar_one())

    async def remove(self, user_id: str, notification_id: UUID) -> bool:
        await self._own(user_id)
        result = await self._execute(
            sa.delete(inbox)
            .where(inbox.c.user_id == user_id, inbox.c.notification_id == notification_id)
            .returning(inbox.c.is_read, inbox.c.seen_at, inbox.c.archived_at)
        )
        row = result.one_or_none()
        self._loaded.pop((user_id, notification_id), None)
        if row is None:
            return False
        self._change(user_id, _counted_row(row).negated())
        return True

    async def purge_before(self, cutoff: datetime, limit: int, entries: int) -> PurgedBatch:
        # The ids once, so that the entries and the notifications deleted are of the same ones
        # whatever another purge deletes meanwhile.
        oldest = _oldest_notifications(cutoff, limit)
        ids = list((await self._execute(oldest)).scalars())
        if not ids:
            return PurgedBatch(notifications=0, entries=0, losing=frozenset(), full=False)

        def among_ids(column: sa.ColumnElement[UUID]) -> sa.ColumnElement[bool]:
            # PostgreSQL: `= ANY` is the key's own condition (it leads with the notification):
            # one descent per id, where the ids as rows to join were planned as a hash of the
            # whole inbox. SQLite, one writer at a time, reads the same ones again: a list of
            # 5,000 parameters is past the 999 that SQLite before 3.32 takes.
            if self._on_postgresql:
                return column == sa.any_(_uuid_array(ids))
            return column.in_(oldest)

        of_doomed = among_ids(inbox.c.notification_id)
        # This batch's entries: those up to the `entries`-th in the key's order, a range of the
        # key (an entry deleted meanwhile leaves it one fewer, never one more).
        key = sa.tuple_(inbox.c.notification_id, inbox.c.user_id)
        last = (
            await self._execute(
                sa.select(inbox.c.notification_id, inbox.c.user_id)
                .where(of_doomed)
                .order_by(inbox.c.notification_id, inbox.c.user_id)
                .offset(entries - 1)
                .limit(1)
            )
        ).one_or_none()
        of_batch = of_doomed
        if last is not None:
            bound = sa.tuple_(
                sa.literal(last.notification_id, sa.Uuid()),
                sa.literal(last.user_id, inbox.c.user_id.type),
            )
            of_batch = sa.and_(of_doomed, key <= bound)
        if self._on_postgresql:
            # No read mark is written until this commits (the purge's lock), nor is one of
            # these entries' users applied (each locked, to be read): each entry is counted as
            # read where such a mark read it, as the mark counted it. (Applied meanwhile, a
            # mark would still be read here, by this statement's snapshot, where the entry
            # was changed since.) The entries are then deleted, each locked in key order, with
            # what they counted.
            await self._execute(sa.select(sa.func.pg_advisory_xact_lock(*_PURGE_LOCK)))
            await self._execute(
                sa.select(read_marks.c.user_id)
                .where(read_marks.c.user_id.in_(sa.select(inbox.c.user_id).where(of_batch)))
                .with_for_update(read=True)
            )
            covered, mark_at = _marked_by_own_mark()
            gone = (
                sa.delete(inbox)
                .where(_of_target(_entries_locked_in_order(of_batch), of_batch))
                .returning(
                    inbox.c.user_id,
                    sa.or_(inbox.c.is_read, covered).label("is_read"),
                    sa.case(
                        (covered, sa.func.coalesce(inbox.c.seen_at, mark_at)),
                        else_=inbox.c.seen_at,
                    ).label("seen_at"),
                    inbox.c.archived_at,
                )
                .cte("gone")
            )
            lost = (await self._execute(_counted_by_user(gone))).all()
        else:
            # One writer at a time (BEGIN IMMEDIATE): the entries counted are those deleted.
            lost = (
                await self._execute(_counted_by_user(sa.select(inbox).where(of_batch).subquery()))
            ).all()
            await self._execute(sa.delete(inbox).where(of_batch))
        losing = set()
        for row in lost:
            self._change(row.user_id, _Counted(-row.unread, -row.unseen, -row.total))
            if row.unread or row.unseen:
                losing.add(row.user_id)
        # The notifications whose last entry went, or that had none left: those of the batch
        # but the last, whose entries the bound may have cut.
        done = among_ids(notifications.c.id)
        if last is not None:
            cut = sa.literal(last.notification_id, sa.Uuid())
            rest = sa.exists().where(inbox.c.notification_id == cut)
            done = sa.and_(
                done,
                sa.or_(notifications.c.id < cut, sa.and_(notifications.c.id == cut, ~rest)),
            )
        # Their emails with them, scheduled or due (no foreign key deletes those): on
        # PostgreSQL, of the notifications this statement deleted, whatever was removed
        # meanwhile (the cut one's last entry, say); SQLite, one writer at a time, reads `done`
        # again first, which after the delete would be the next batch's notifications. The
        # scheduled first: a round writing their due emails holds them (`write_scheduled`),
        # and once it commits, the delete of the due emails, a statement later, sees its rows.
        if self._on_postgresql:
            deleting = sa.delete(notifications).where(done).returning(notifications.c.id)
            deleted = list((await self._execute(deleting)).scalars())
            for table in (scheduled_emails, due_emails) if deleted else ():
                await self._execute(
                    sa.delete(table).where(table.c.notification_id == sa.any_(_uuid_array(deleted)))
                )
            removed = len(deleted)
        else:
            for table in (scheduled_emails, due_emails):
                await self._execute(
                    sa.delete(table).where(
                        table.c.notification_id.in_(sa.select(notifications.c.id).where(done))
                    )
                )
            removed = (await self._execute(sa.delete(notifications).where(done))).rowcount
        # The delivery marks below the oldest event still held cover no entry any more (with
        # no notification left, none does: a later one's event is above every mark).
        oldest_event = sa.select(sa.func.min(notifications.c.event_id)).scalar_subquery()
        await self._execute(
            sa.delete(delivery_marks).where(
                delivery_marks.c.through < sa.func.coalesce(oldest_event, _ABOVE_EVERY_EVENT)
            )
        )
        return PurgedBatch(
            notifications=removed,
            entries=sum(row.entries for row in lost),
            losing=frozenset(losing),
            full=len(ids) == limit or last is not None,
        )


# Advisory locks (two 32-bit keys each): a user's, taken by every writer of their entries
# (`SqlAlchemyInboxRepository._own`), and the purge's, which read marks wait for.
_USER_LOCKS = 0x48524C55  # "HRLU"
_PURGE_LOCK = (0x48524C50, 0)  # "HRLP"


def _user_lock(user_id: str) -> tuple[Any, Any]:
    return sa.literal(_USER_LOCKS, sa.Integer()), sa.func.hashtext(user_id)


def _marked_by_own_mark() -> tuple[sa.ColumnElement[bool], sa.ColumnElement[Any]]:
    """Whether its user's pending read mark read the entry (`queries.marked`), for an entry
    of any user, and that mark's time: the mark looked up by the entry's user."""
    mark = read_marks.alias("own_mark")

    def own(column: sa.ColumnElement[Any]) -> sa.ScalarSelect[Any]:
        return sa.select(column).where(mark.c.user_id == inbox.c.user_id).scalar_subquery()

    at = own(mark.c.read_at)
    covered = marked(inbox, event_id=event_id_of(inbox), through=own(mark.c.through), read_at=at)
    return covered, at


def _counted_by_user(entries: sa.FromClause) -> sa.Select[Any]:
    """What the `entries` (with the inbox's columns) count, summed by user."""
    in_inbox = entries.c.archived_at.is_(None)

    def total(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    return sa.select(
        entries.c.user_id,
        total(sa.and_(sa.not_(entries.c.is_read), in_inbox)).label("unread"),
        total(sa.and_(entries.c.seen_at.is_(None), in_inbox)).label("unseen"),
        total(in_inbox).label("total"),
        sa.func.count().label("entries"),  # archived or not
    ).group_by(entries.c.user_id)


def _add_to_counts_from_arrays(
    user_ids: Sequence[str], changes: dict[str, _Counted]
) -> sa.Select[Any]:
    """One statement for any number of users: each change added to the user's counts (or
    their first counts), with the values in one array parameter per column."""
    rows = (
        sa.func.unnest(
            _string_array(user_ids),
            *(
                sa.bindparam(
                    None, [changes[user_id][field] for user_id in user_ids], type_=arrays.INTEGERS
                )
                for field in range(len(_Counted._fields))
            ),
        )
        .table_valued("user_id", *_Counted._fields)
        .render_derived()
    )
    sent = sa.select(inbox_broadcasts.c.sent).scalar_subquery()
    statement = postgresql.insert(inbox_counts).from_select(
        [
            inbox_counts.c.user_id,
            *(inbox_counts.c[name] for name in _Counted._fields),
            inbox_counts.c.broadcasts_missed,
        ],
        sa.select(rows.c.user_id, *(rows.c[name] for name in _Counted._fields), sent),
    )
    received = sent - inbox_counts.c.broadcasts_missed
    upserted = (
        statement.on_conflict_do_update(
            index_elements=[inbox_counts.c.user_id],
            set_={
                name: inbox_counts.c[name] + statement.excluded[name] for name in _Counted._fields
            },
        )
        .returning(
            inbox_counts.c.user_id,
            *((inbox_counts.c[name] + received).label(name) for name in _Counted._fields),
        )
        .cte("upserted")
    )
    # The new counts as one row of three arrays: 10,000 users' counts read back as 10,000 rows
    # would cost more than the statement.
    return _badge_arrays(upserted)


def _count_broadcast_to_array(recipients: Sequence[str]) -> sa.Select[Any]:
    """`_count_broadcast` in one statement."""
    told_counts, changes = _broadcast_counted(_string_array(recipients))
    return _badge_arrays(told_counts).add_cte(*changes)


def _broadcast_counted(
    recipients: sa.BindParameter[Sequence[str]],
) -> tuple[sa.CTE, list[sa.CTE]]:
    """One more broadcast counted, as the parts of one statement: the recipients' new counts
    (a row each, with `user_id`, `unread` and `unseen`), and the parts that change the rows, which
    the statement must add. Every part reads the rows as they were before it (one snapshot),
    and each row is changed by one part at most: the recipients' new counts are their rows as
    they were, and this broadcast.

    The recipients are read from their parameter once, and matched with the rows in one
    join, which every part reads. An insert of every recipient that gave way to the rows
    already there (ON CONFLICT DO NOTHING) and an anti-join of the rows with the recipients
    took 22 to 27 ms of the statement's 41 for 10,000 users (docs/benchmarks.md)."""
    sent = (
        sa.update(inbox_broadcasts)
        .values(sent=inbox_broadcasts.c.sent + 1)
        .returning(inbox_broadcasts.c.sent)
        .cte("sent")
    )
    told = sa.func.unnest(recipients).table_valued("user_id").render_derived()
    # Every row and every recipient, side by side where they match: one pass over the rows
    # finds the recipients' counts, the recipients without a row, and the rows of the users
    # not told.
    both = (
        sa.select(
            told.c.user_id.label("told_id"),
            inbox_counts.c.user_id.label("row_id"),
            inbox_counts.c.broadcasts_missed,
            *(inbox_counts.c[name] for name in _Counted._fields),
        )
        .select_from(
            told.outerjoin(inbox_counts, inbox_counts.c.user_id == told.c.user_id, full=True)
        )
        .cte("told_and_rows")
    )
    # A recipient without a row had no counts, and missed every broadcast before this one.
    received = sent.c.sent - sa.func.coalesce(both.c.broadcasts_missed, sent.c.sent - 1)
    told_counts = (
        sa.select(
            both.c.told_id.label("user_id"),
            both.c.row_id.is_(None).label("without_row"),
            *(
                (sa.func.coalesce(both.c[name], 0) + received).label(name)
                for name in _Counted._fields
            ),
        )
        .select_from(both.join(sent, sa.true()))
        .where(both.c.told_id.is_not(None))
        .cte("told_counts")
    )
    # Only the recipients the join found no row for; one committed since the snapshot stays.
    first_counts = (
        postgresql.insert(inbox_counts)
        .from_select(
            [
                inbox_counts.c.user_id,
                *(inbox_counts.c[name] for name in _Counted._fields),
                inbox_counts.c.broadcasts_missed,
            ],
            sa.select(
                told_counts.c.user_id,
                *(sa.literal(0) for _ in _Counted._fields),
                sa.select(sent.c.sent - 1).scalar_subquery(),
            ).where(told_counts.c.without_row),
        )
        .on_conflict_do_nothing(index_elements=[inbox_counts.c.user_id])
        .cte("first_counts")
    )
    others = (
        sa.update(inbox_counts)
        .where(inbox_counts.c.user_id == both.c.row_id, both.c.told_id.is_(None))
        .values(broadcasts_missed=inbox_counts.c.broadcasts_missed + 1)
        .cte("others")
    )
    return told_counts, [first_counts, others]


def _badge_arrays(counts: sa.CTE) -> sa.Select[Any]:
    """The users' unread and unseen counts as one row of three arrays (`_CountsByUser`)."""
    columns: list[sa.ColumnElement[Any]] = [
        sa.func.array_agg(counts.c[name]) for name in ("user_id", "unread", "unseen")
    ]
    return sa.select(*columns)


def _oldest_notifications(cutoff: datetime, limit: int) -> sa.Select[Any]:
    """Read off ix_notifications_created_at, oldest first; ties by id, so that two reads in one
    transaction pick the same ones."""
    return (
        sa.select(notifications.c.id)
        .where(notifications.c.created_at < cutoff)
        .order_by(notifications.c.created_at, notifications.c.id)
        .limit(limit)
    )


_ABOVE_EVERY_EVENT = 2**63 - 1  # BIGINT's largest


def _marks_written(moved: sa.CTE, now: datetime) -> sa.Insert:
    """The delivery marks, at `now`, of the users and event ids in `moved` (columns `user_id`
    and `through`)."""
    return sa.insert(delivery_marks).from_select(
        ["user_id", "through", "delivered_at"],
        sa.select(moved.c.user_id, moved.c.through, sa.literal(now, UtcDateTime())),
    )


def _pairs_of(user_ids: Sequence[str], event_ids: Sequence[int]) -> sa.TableValuedAlias:
    """Users and an event id each, from two array parameters, as rows (`user_id`, `through`)."""
    return (
        sa.func.unnest(
            _string_array(user_ids), sa.bindparam(None, list(event_ids), type_=arrays.BIG_INTEGERS)
        )
        .table_valued("user_id", "through")
        .render_derived()
    )


def _string_array(values: Sequence[str]) -> sa.BindParameter[Sequence[str]]:
    return sa.bindparam(None, list(values), type_=arrays.STRINGS)


def _uuid_array(values: Sequence[UUID]) -> sa.BindParameter[Sequence[UUID]]:
    return sa.bindparam(None, list(values), type_=arrays.UUIDS)


def _json_rows_of(values: Sequence[str]) -> sa.Select[Any]:
    """SQLite: the values, in one JSON array parameter, as rows."""
    rows = sa.func.json_each(sa.bindparam(None, list(values), type_=sa.JSON()))
    return sa.select(rows.table_valued("value").c.value)


def _insert_notification(notification: Notification) -> sa.Insert:
    return sa.insert(notifications).values(
        id=notification.id,
        type=notification.type.value,
        title=notification.title,
        message=notification.message,
        related_lead_id=notification.related_lead_id,
        actor_id=notification.actor_id,
        created_at=notification.created_at,
        updated_at=notification.created_at,
    )


def _notification_written(
    notification: Notification, recipients: Sequence[str], *, count_users: bool
) -> sa.Select[int]:
    """PostgreSQL: the notification and its entries written in one round trip, which returns
    the number of users with counts where `count_users` (otherwise 0): what decides whether
    it is counted as a broadcast. Each round trip of a `createLead` waits for a turn of a loop
    busy delivering (bench/findings.md). Each statement of a WITH runs once, to its end,
    whether or not the query reads it."""
    counted = sa.select(sa.func.count() if count_users else sa.literal(0))
    if count_users:
        counted = counted.select_from(inbox_counts)
    return counted.add_cte(
        _insert_notification(notification).cte("notification"),
        _insert_recipients_from_array(notification, recipients).cte("entries"),
    )


def _insert_recipients_from_array(notification: Notification, user_ids: Sequence[str]) -> sa.Insert:
    """One statement for any number of recipients, with the ids in one array parameter."""
    user_id = sa.func.unnest(_string_array(user_ids)).column_valued("user_id")
    created_at = sa.literal(notification.created_at, inbox.c.created_at.type)
    return sa.insert(inbox).from_select(
        [
            inbox.c.notification_id,
            inbox.c.user_id,
            inbox.c.is_read,
            inbox.c.created_at,
            inbox.c.updated_at,
            inbox.c.group_key,
            inbox.c.actor_id,
        ],
        sa.select(
            sa.literal(notification.id, sa.Uuid()),
            user_id,
            sa.false(),
            created_at,
            created_at,
            sa.literal(notification.group_key, inbox.c.group_key.type),
            sa.literal(notification.actor_id, inbox.c.actor_id.type),
        ),
    )


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        name=row.name,
        email=row.email,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _lead(row: Row[Any]) -> Lead:
    return Lead(
        id=row.id,
        name=row.name,
        email=row.email,
        company=row.company,
        score=row.score,
        owner_id=row.owner_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _task(row: Row[Any]) -> Task:
    return Task(
        id=row.id,
        lead_id=row.lead_id,
        title=row.title,
        assignee_id=row.assignee_id,
        created_by_id=row.created_by_id,
        completed_at=row.completed_at,
        created_at=row.created_at,
    )


class SqlAlchemyDueEmailRepository(_Repository):
    async def schedule(self, notification_id: UUID, due_at: datetime) -> None:
        await self._execute(
            sa.insert(scheduled_emails).values(notification_id=notification_id, due_at=due_at)
        )

    async def write_scheduled(self, limit: int) -> int:
        taken = (
            sa.select(scheduled_emails.c.notification_id)
            .order_by(scheduled_emails.c.due_at, scheduled_emails.c.notification_id)
            .limit(limit)
        )
        # Locked and skipped by any other round (SQLite has one writer at a time anyway): each
        # notification's rows are written once, by the unit of work that deletes its schedule.
        if self._on_postgresql:
            taken = taken.with_for_update(skip_locked=True)
        notification_ids = list((await self._execute(taken)).scalars())
        if not notification_ids:
            return 0
        scheduled = scheduled_emails.c.notification_id.in_(notification_ids)
        entries = inbox.c.notification_id.in_(notification_ids)
        email_off = sa.exists().where(
            preferences.c.user_id == inbox.c.user_id,
            preferences.c.type == notifications.c.type,
            _email_off,
        )
        # Each notification's entries read off the inbox's key (the notification first: its ids
        # stated for the entries too, whatever the plan's order), each recipient's address off
        # the users' key.
        recipients = (
            sa.select(inbox.c.user_id, inbox.c.notification_id, scheduled_emails.c.due_at)
            .select_from(scheduled_emails)
            .join(notifications, notifications.c.id == scheduled_emails.c.notification_id)
            .join(inbox, inbox.c.notification_id == scheduled_emails.c.notification_id)
            .join(users, users.c.id == inbox.c.user_id)
            .where(scheduled, entries, users.c.email.is_not(None), ~email_off)
        )
        await self._execute(
            sa.insert(due_emails).from_select(["user_id", "notification_id", "due_at"], recipients)
        )
        await self._execute(sa.delete(scheduled_emails).where(scheduled))
        return len(notification_ids)

    async def claim(self, now: datetime, until: datetime, users: int) -> dict[str, list[UUID]]:
        row, older = due_emails.alias("row"), due_emails.alias("older")
        # A user is claimed through their oldest row alone, locked and skipped by every other
        # claim (FOR UPDATE SKIP LOCKED; SQLite has one writer at a time anyway): two claims
        # never take the same user, whatever else falls due meanwhile.
        has_older = sa.exists().where(
            older.c.user_id == row.c.user_id,
            sa.tuple_(older.c.due_at, older.c.notification_id)
            < sa.tuple_(row.c.due_at, row.c.notification_id),
        )
        heads = (
            sa.select(row.c.user_id)
            .where(row.c.due_at <= now, _unclaimed(row, now), ~has_older)
            .order_by(row.c.due_at)
            .limit(users)
            .with_for_update(skip_locked=True, of=row)
        )
        user_ids = list((await self._execute(heads)).scalars())
        if not user_ids:
            return {}
        result = await self._execute(
            sa.update(due_emails)
            .where(self._among(due_emails.c.user_id, user_ids), _unclaimed(due_emails, now))
            .values(claimed_until=until)
            .returning(due_emails.c.user_id, due_emails.c.notification_id)
        )
        claimed: dict[str, list[UUID]] = {}
        for claimed_row in result:
            claimed.setdefault(claimed_row.user_id, []).append(claimed_row.notification_id)
        return claimed

    async def renew(self, user_id: str, ours: datetime, until: datetime) -> dict[UUID, datetime]:
        result = await self._execute(
            sa.update(due_emails)
            .where(due_emails.c.user_id == user_id, due_emails.c.claimed_until == ours)
            .values(claimed_until=until)
            .returning(due_emails.c.notification_id, due_emails.c.due_at)
        )
        return {row.notification_id: row.due_at for row in result}

    async def settle(self, user_id: str, notification_ids: Sequence[UUID]) -> None:
        await self._execute(sa.delete(due_emails).where(_rows(user_id, notification_ids)))

    async def release(self, user_id: str, notification_ids: Sequence[UUID]) -> None:
        await self._execute(
            sa.update(due_emails).where(_rows(user_id, notification_ids)).values(claimed_until=None)
        )


def _unclaimed(table: sa.FromClause, now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until <= now)


def _rows(user_id: str, notification_ids: Sequence[UUID]) -> sa.ColumnElement[bool]:
    return sa.and_(
        due_emails.c.user_id == user_id, due_emails.c.notification_id.in_(notification_ids)
    )


EVENT_TYPES: dict[str, type[InboxEvent]] = {
    kind.__name__: kind
    for kind in (
        NotificationCreated,
        NotificationUpdated,
        NotificationsBulkUpdated,
        NotificationDeleted,
        UnreadCountsChanged,
    )
}


class _CountsOf:
    """A pending `UnreadCountsChanged` of these users, read as the unit of work commits."""

    __slots__ = ("user_ids",)

    def __init__(self, user_ids: Sequence[str]) -> None:
        self.user_ids = user_ids


class SqlAlchemyEventLog(_Repository):
    """The outbox on SQL: ids are taken at commit, under the "assigned" row's lock."""

    def __init__(
        self,
        session: AsyncSession,
        clock: Clock | None = None,
        on_turn: Callable[[], None] | None = None,
    ) -> None:
        """`on_turn` is called as this unit of work comes to hold the turn."""
        super().__init__(session)
        self._clock: Clock = clock or SystemClock()
        self._on_turn = on_turn
        self.pending: list[InboxEvent | _CountsOf] = []
        self._holding_turn = False

    async def add(self, events: Sequence[InboxEvent]) -> None:
        self.pending.extend(events)

    async def add_counts(self, user_ids: Sequence[str]) -> None:
        if user_ids:
            self.pending.append(_CountsOf(user_ids))

    async def take_turn(self) -> None:
        # The lock that commits take their ids under (see `write_pending`), taken early: every
        # unit of work that held it before has committed, so the next statements see its rows.
        if self._holding_turn:
            return
        await self._execute(
            sa.select(outbox_state.c.position)
            .where(outbox_state.c.name == "assigned")
            .with_for_update()
        )
        self._turn_taken()

    def _turn_taken(self) -> None:
        if not self._holding_turn:
            self._holding_turn = True
            if self._on_turn is not None:
                self._on_turn()

    def forget(self) -> None:
        """The transaction has ended, and the turn with it."""
        self._holding_turn = False

    async def write_pending(self, inbox: SqlAlchemyInboxRepository) -> list[StoredEvent]:
        """Just before commit, under the turn: the inbox's pending counts written, and the
        pending events given their ids and written; returns them, in id order. On PostgreSQL,
        a counts event of exactly a broadcast's recipients (what a `createLead` writes) is
        counted and written by the statement that writes the events: one round trip less while
        the turn is held."""
        pending, self.pending = self.pending, []
        broadcast = self._broadcast_among(pending, inbox) if self._on_postgresql else None
        if broadcast is None:  # each counts event read under the turn (the counts written first)
            if any(isinstance(event, _CountsOf) for event in pending):
                await self.take_turn()
            pending = [
                UnreadCountsChanged.of(await inbox.badges(event.user_ids))
                if isinstance(event, _CountsOf)
                else event
                for event in pending
            ]
            await inbox.flush()
        if not pending:
            return []
        now = self._clock.now()
        rows = [
            None
            if isinstance(event, _CountsOf)
            else {
                "kind": type(event).__name__,
                "payload": msgspec.json.encode(event).decode(),
                "recipients": list(event.audience),
                "created_at": now,
            }
            for event in pending
        ]
        # What delivery confirmations go by: each new notification's event id.
        created = {
            offset: event.notification.id
            for offset, event in enumerate(pending)
            if isinstance(event, NotificationCreated)
        }
        if self._on_postgresql:
            # One statement, one round trip while holding the turn: the ids taken, the events
            # written, the notifications given theirs (and a broadcast counted). Made ready
            # before the turn is taken here (by a broadcast, or by this statement itself), so
            # that while it is held only the round trip is left; writes that read counts took
            # it above.
            statement, parameters = _write_events(rows, created, now, broadcast)
            if broadcast is not None:  # the counts it reads: as every turn before left them
                await self.take_turn()
            returned = (await self._execute(statement, parameters)).all()
            self._turn_taken()  # if it was not taken before, this statement took it
            first = min(row.id for row in returned)
            return [
                StoredEvent(row.id, msgspec.json.decode(row.counts, type=UnreadCountsChanged))
                if isinstance(event := pending[row.id - first], _CountsOf)
                else StoredEvent(row.id, event)
                for row in sorted(returned, key=lambda row: row.id)
            ]
        # SQLite: the write lock, taken as the transaction began (BEGIN IMMEDIATE), is its turn.
        written = [row for row in rows if row is not None]
        assert len(written) == len(rows), "every counts event was read above"
        result = await self._execute(_assign_ids(len(written)))
        self._turn_taken()
        first = result.scalar_one() - len(written) + 1
        await self._execute(
            sa.insert(outbox_events),
            [{"id": first + offset, **row} for offset, row in enumerate(written)],
        )
        for offset, notification_id in created.items():
            await self._execute(
                sa.update(notifications)
                .where(notifications.c.id == notification_id)
                .values(event_id=first + offset)
            )
        return [
            StoredEvent(first + offset, event)
            for offset, event in enumerate(pending)
            if not isinstance(event, _CountsOf)  # none is (above)
        ]

    @staticmethod
    def _broadcast_among(
        pending: list[InboxEvent | _CountsOf], inbox: SqlAlchemyInboxRepository
    ) -> Sequence[str] | None:
        """The recipients of the inbox's pending broadcast, taken from it, when the one counts
        event among the pending events is of exactly them and the broadcast is all that waits
        to be counted; else None."""
        wanted = [event for event in pending if isinstance(event, _CountsOf)]
        return inbox.take_broadcast_to(wanted[0].user_ids) if len(wanted) == 1 else None

    async def claim_unpublished(self, limit: int) -> list[StoredEvent] | None:
        if self._on_postgresql:
            # One round trip, nearly always: the claim and the batch after it (a relay's first
            # round trips stand between a commit and its first frame: bench/findings.md).
            rows = list(await self._execute(_claim_statement(limit)))
            if not rows:
                return None  # another relay holds the claim
            head = rows[0]
            if head.position == head.seen:
                # The statement's snapshot holds every event up to any it holds (ids follow
                # commit order): its batch is every event after the position, up to `limit`.
                return [_stored(row) for row in rows if row.id is not None]
            # Another relay marked the row after this statement's snapshot was taken, and the
            # lock came back with its mark: the events after it may be newer than that
            # snapshot, so they are read again, in a snapshot of their own.
            return await self._events_after(head.position, limit)
        claimed = await self._execute(
            sa.select(outbox_state.c.position)
            .where(outbox_state.c.name == "published")
            .with_for_update(skip_locked=True)
        )
        published = claimed.scalar_one_or_none()
        if published is None:
            return None
        return await self._events_after(published, limit)

    async def _events_after(self, position: int, limit: int) -> list[StoredEvent]:
        result = await self._execute(
            _select_events().where(outbox_events.c.id > position).limit(limit)
        )
        return [_stored(row) for row in result]

    async def mark_published(self, through_id: int) -> int:
        if self._on_postgresql:
            # One round trip: the mark, and what waits after it, read in a snapshot of its
            # own (read committed): events committed while the batch was published count.
            return int((await self._execute(_mark_statement(through_id))).scalar_one())
        await self._execute(
            sa.update(outbox_state)
            .where(outbox_state.c.name == "published", outbox_state.c.position < through_id)
            .values(position=through_id)
        )
        # A statement of its own: on PostgreSQL (read committed, each statement its own
        # snapshot) it sees what was committed while the batch was published; on SQLite
        # nothing was (this unit of work holds the write lock).
        return await self.backlog()

    async def history(self, user_id: str, after_id: int, limit: int) -> list[StoredEvent]:
        result = await self._execute(
            _select_events()
            .where(outbox_events.c.id > after_id, self._addressed_to(user_id))
            .limit(limit)
        )
        return [_stored(row) for row in result]

    async def horizon(self) -> EventHorizon:
        positions = await self._positions()
        return EventHorizon(positions["purged"], positions["assigned"])

    async def backlog(self) -> int:
        positions = await self._positions()
        return positions["assigned"] - positions["published"]

    async def _positions(self) -> dict[str, int]:
        result = await self._execute(sa.select(outbox_state.c.name, outbox_state.c.position))
        return {row.name: row.position for row in result}

    async def purge_before(self, cutoff: datetime, limit: int) -> int:
        published = (
            sa.select(outbox_state.c.position)
            .where(outbox_state.c.name == "published")
            .scalar_subquery()
        )
        # Read off ix_outbox_events_created_at: the scan ends where the retained events begin.
        oldest = (
            sa.select(outbox_events.c.id)
            .where(outbox_events.c.created_at < cutoff, outbox_events.c.id <= published)
            .order_by(outbox_events.c.created_at)
            .limit(limit)
        )
        result = await self._execute(
            sa.delete(outbox_events)
            .where(outbox_events.c.id.in_(oldest))
            .returning(outbox_events.c.id)
        )
        deleted = list(result.scalars())
        if deleted:
            await self._execute(
                sa.update(outbox_state)
                .where(outbox_state.c.name == "purged", outbox_state.c.position < max(deleted))
                .values(position=max(deleted))
            )
        return len(deleted)

    def _addressed_to(self, user_id: str) -> sa.ColumnElement[bool]:
        if self._on_postgresql:
            as_array = sa.type_coerce(outbox_events.c.recipients, postgresql.ARRAY(sa.String()))
            return as_array.contains(_string_array([user_id]))
        value = sa.func.json_each(outbox_events.c.recipients).table_valued("value")
        return sa.exists(sa.select(1).select_from(value).where(value.c.value == user_id))


def _assign_ids(count: int) -> sa.Update:
    """The next `count` event ids taken: returns the last of them."""
    return (
        sa.update(outbox_state)
        .where(outbox_state.c.name == "assigned")
        .values(position=outbox_state.c.position + count)
        .returning(outbox_state.c.position)
    )


_EVENT_COLUMNS = ("kind", "payload", "recipients", "created_at")


def _write_events(
    rows: list[dict[str, Any] | None],
    created: Mapping[int, UUID],
    now: datetime,
    broadcast: Sequence[str] | None = None,
) -> tuple[sa.Insert, dict[str, Any]]:
    """`write_pending` in one statement on PostgreSQL, and its parameters: each row's id is its
    offset from the first id taken. With `broadcast` (its recipients), the statement also
    counts the broadcast (`_broadcast_counted`), and the row that is None is the
    `UnreadCountsChanged` of the recipients' new counts, made of them as its JSON.

    The statement is built once for each shape (`_events_statement`), and its values bound
    at each run: built for every commit, it and its cache key took about 5 ms of the serve
    process for each `createLead`, while the turn was held (docs/benchmarks.md). The
    parameters' names are none of the tables' columns: SQLAlchemy would take such a name for
    a value of that column in the statement's insert and updates."""
    assert (broadcast is not None) == (None in rows), "a row to be counted comes with its broadcast"
    parameters: dict[str, Any] = {}
    if broadcast is not None:
        parameters.update(now=now, broadcast=list(broadcast))
    for offset, row in enumerate(rows):
        if row is not None:
            parameters.update({f"{name}_{offset}": row[name] for name in _EVENT_COLUMNS})
    for offset, notification_id in created.items():
        parameters[f"notification_{offset}"] = notification_id
    counted = tuple(row is None for row in rows)
    return _events_statement(counted, tuple(created)), parameters


@functools.lru_cache(maxsize=64)
def _events_statement(counted: tuple[bool, ...], created: tuple[int, ...]) -> sa.Insert:
    """The statement of `_write_events` for rows where `counted` is True at the counts event
    (of the recipients in the parameter `broadcast`), with a new notification at each offset
    in `created`. The rows are one `SELECT` each, of bound values: a multi-row `VALUES` of
    expressions has no cache key, and was compiled again for every commit."""
    assigned = _assign_ids(len(counted)).cte("assigned")
    first = sa.select(assigned.c.position - len(counted) + 1).scalar_subquery()
    given = [
        sa.update(notifications)
        .where(
            notifications.c.id
            == sa.bindparam(f"notification_{offset}", type_=notifications.c.id.type)
        )
        .values(event_id=first + offset)
        .cte(f"given_{offset}")
        for offset in created
    ]
    types = {name: outbox_events.c[name].type for name in _EVENT_COLUMNS}
    types["recipients"] = arrays.STRINGS
    counting: list[sa.CTE] = []
    selects = []
    for offset, is_counts in enumerate(counted):
        if not is_counts:
            values = (
                sa.bindparam(f"{name}_{offset}", type_=types[name]) for name in _EVENT_COLUMNS
            )
            selects.append(sa.select(first + offset, *values))
            continue
        told_counts, counting = _broadcast_counted(sa.bindparam("broadcast", type_=arrays.STRINGS))
        selects.append(_counts_event(first + offset, told_counts))
    written = selects[0] if len(selects) == 1 else sa.union_all(*selects)
    # Each event's id, and the payload of the one counted here, if any (the others are known).
    returned: list[sa.ColumnElement[Any]] = [outbox_events.c.id]
    if any(counted):
        counted_kind = sa.bindparam("counted_kind", UnreadCountsChanged.__name__, sa.String)
        counts = sa.case((outbox_events.c.kind == counted_kind, outbox_events.c.payload))
        returned.append(counts.label("counts"))
    return (
        sa.insert(outbox_events)
        .from_select(
            [outbox_events.c.id, *(outbox_events.c[name] for name in _EVENT_COLUMNS)], written
        )
        .add_cte(*given, *counting)
        .returning(*returned)
    )


def _counts_event(event_id: Any, counts: sa.CTE) -> sa.Select[Any]:
    """The outbox row of an `UnreadCountsChanged` of these users' counts (`user_id`, `unread`,
    `unseen`), made at the parameter `now`: its payload the JSON that msgspec reads back as
    that event."""

    def by_user(column: sa.ColumnElement[int]) -> sa.ColumnElement[Any]:
        return sa.func.json_object_agg(counts.c.user_id, column)

    payload = sa.func.json_build_object(
        sa.literal("counts", sa.Text),
        by_user(counts.c.unread),
        sa.literal("unseen", sa.Text),
        by_user(counts.c.unseen),
    )
    return sa.select(
        event_id,
        sa.literal(UnreadCountsChanged.__name__, outbox_events.c.kind.type),
        sa.cast(payload, sa.Text),
        sa.func.array_agg(counts.c.user_id),
        sa.bindparam("now", type_=outbox_events.c.created_at.type),
    ).select_from(counts)


def _claimed_row() -> sa.CTE:
    """The "published" row locked; none where another relay holds it. Where another relay
    marked it after the statement's snapshot, the lock comes back with that mark (read
    committed follows the row to its newest version)."""
    return (
        sa.select(outbox_state.c.position)
        .where(outbox_state.c.name == "published")
        .with_for_update(skip_locked=True)
        .cte("claimed")
    )


def _claim_statement(limit: int) -> sa.Select[Any]:
    """PostgreSQL: the "published" row claimed (`_claimed_row`), with the events of the
    statement's snapshot after its position, up to `limit`, in id order (a row of nulls where
    there are none); each row also carries the position claimed and the position as the
    snapshot has it (`seen`), which differ where another relay marked the row meanwhile."""
    claimed = _claimed_row()
    seen = sa.select(outbox_state.c.position).where(outbox_state.c.name == "published")
    batch = _select_events().where(outbox_events.c.id > claimed.c.position).limit(limit).lateral()
    return (
        sa.select(
            claimed.c.position,
            seen.scalar_subquery().label("seen"),
            batch.c.id,
            batch.c.kind,
            batch.c.payload,
        )
        .select_from(claimed.outerjoin(batch, sa.true()))
        .order_by(batch.c.id)
    )


def _mark_statement(through_id: int) -> sa.Select[Any]:
    """PostgreSQL: "published" moved on to `through_id` (never back), returning how many
    committed events wait after it. Called under the claim (the unit of work holds the row
    since `claim_unpublished`), so that nobody else moved the row since: the query reads it as
    it was before the statement's change, and the position it went to is the greater of
    that and `through_id`."""
    marked = (
        sa.update(outbox_state)
        .where(outbox_state.c.name == "published", outbox_state.c.position < through_id)
        .values(position=through_id)
        .cte("marked")
    )
    assigned = sa.select(outbox_state.c.position).where(outbox_state.c.name == "assigned")
    published = sa.func.greatest(outbox_state.c.position, sa.literal(through_id, sa.BigInteger()))
    return (
        sa.select(assigned.scalar_subquery() - published)
        .where(outbox_state.c.name == "published")
        .add_cte(marked)
    )


def _select_events() -> sa.Select[Any]:
    return sa.select(outbox_events.c.id, outbox_events.c.kind, outbox_events.c.payload).order_by(
        outbox_events.c.id
    )


def _stored(row: Row[Any]) -> StoredEvent:
    return StoredEvent(row.id, msgspec.json.decode(row.payload, type=EVENT_TYPES[row.kind]))
