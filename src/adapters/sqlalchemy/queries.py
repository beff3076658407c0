"""The inbox's read side on SQLAlchemy Core: statements built once, run without a session."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple, Protocol
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import Grouping

from adapters.sqlalchemy.engine import concurrency_errors, read_only
from adapters.sqlalchemy.tables import (
    delivery_marks,
    delivery_positions,
    inbox_broadcasts,
    inbox_counts,
    leads,
    notifications,
    read_marks,
    users,
)
from adapters.sqlalchemy.tables import notification_recipients as inbox
from application.ports import GroupSlice, InboxSlice
from domain.notifications import (
    InboxCounts,
    InboxEntry,
    Notification,
    NotificationGroup,
    NotificationType,
    Receipt,
    SentNotification,
)

# The same expressions as the partial indexes', so that the database can use those indexes.
IN_INBOX = inbox.c.archived_at.is_(None)
UNREAD = sa.and_(sa.not_(inbox.c.is_read), IN_INBOX)
READ = sa.and_(inbox.c.is_read, IN_INBOX)
UNSEEN = sa.and_(inbox.c.seen_at.is_(None), IN_INBOX)
ARCHIVED = inbox.c.archived_at.is_not(None)
# An entry's notification (the entries have no foreign key to join by).
OF_NOTIFICATION = inbox.c.notification_id == notifications.c.id


def _user_param() -> sa.BindParameter[str]:
    return sa.bindparam("user_id", type_=inbox.c.user_id.type)


# Each user's counts are kept in inbox_counts (archived entries left out) rather than counted;
# a user without a row has none. A row's counts are its own and the broadcasts that reached
# its user (see `tables.inbox_counts`).
COUNTED = inbox_counts.join(inbox_broadcasts, sa.true())


def counted(name: str) -> sa.ColumnElement[int]:
    """One of a user's counts (unread, unseen, total), read from `COUNTED`."""
    received = inbox_broadcasts.c.sent - inbox_counts.c.broadcasts_missed
    return (inbox_counts.c[name] + received).label(name)


UNREAD_COUNT = sa.select(
    sa.func.coalesce(
        sa.select(counted("unread"))
        .select_from(COUNTED)
        .where(inbox_counts.c.user_id == _user_param())
        .scalar_subquery(),
        sa.literal_column("0"),  # not a parameter: the user id is the statement's only one
    )
)
COUNTS = (
    sa.select(counted("unread"), counted("unseen"), counted("total"))
    .select_from(COUNTED)
    .where(inbox_counts.c.user_id == _user_param())
)


def counts_of(rows: Rows) -> InboxCounts:
    """The counts of the rows of `COUNTS`: none without a row."""
    return InboxCounts(*rows[0]) if rows else InboxCounts(0, 0, 0)


def delivered_at() -> sa.ColumnElement[datetime | None]:
    """An entry's `deliveredAt`, in a select of the inbox joined to the notifications: its own
    column, or else the time of its user's first delivery mark that covers its event (the one
    with the smallest `through` at or above it, read off the marks' key; see
    `tables.delivery_marks`). A subquery in the select list, run for each row it is computed
    for where the column is null: the rows of a page, the receipts."""
    first_mark = (
        sa.select(delivery_marks.c.delivered_at)
        .where(
            delivery_marks.c.user_id == inbox.c.user_id,
            delivery_marks.c.through >= notifications.c.event_id,
        )
        .order_by(delivery_marks.c.through)
        .limit(sa.literal_column("1", sa.Integer))  # not a parameter: see `UNREAD_COUNT`
        .scalar_subquery()
    )
    return sa.func.coalesce(inbox.c.delivered_at, first_mark).label("delivered_at")


# markAllAsRead's marks waiting to be applied (`tables.read_marks`).


def marked(
    entries: sa.FromClause,
    *,
    event_id: sa.ColumnElement[Any],
    through: sa.ColumnElement[Any],
    read_at: sa.ColumnElement[Any],
) -> sa.ColumnElement[bool]:
    """Whether its user's pending read mark (`through` and `read_at`, null without one) has
    read the entry: it was unread, not archived, and of a notification committed by the mark
    (one without an event id: created by then). Never null; `event_id` is not evaluated
    without a mark."""
    return sa.case(
        (through.is_(None), sa.false()),
        else_=sa.and_(
            sa.not_(entries.c.is_read),
            entries.c.archived_at.is_(None),
            sa.case(
                (event_id.is_(None), entries.c.created_at <= read_at),
                else_=event_id <= through,
            ),
        ),
    )


def event_id_of(entries: sa.FromClause) -> sa.ScalarSelect[Any]:
    """The event id of the entry's notification, looked up by its key (through an alias of
    its own: never correlated with a notifications table the statement reads besides)."""
    of_entry = notifications.alias("of_entry")
    return (
        sa.select(of_entry.c.event_id)
        .where(of_entry.c.id == entries.c.notification_id)
        .scalar_subquery()
    )


def marked_for_user(entries: sa.FromClause) -> sa.ColumnElement[bool]:
    """`marked` for an entry of the asked user (the bind parameter `user_id`): their mark read
    once for the statement, the entry's event id looked up only when there is one, so that a
    scan of an index alone stays one."""
    mark = read_marks.alias("user_mark")

    def users(column: sa.ColumnElement[Any]) -> sa.ScalarSelect[Any]:
        return sa.select(column).where(mark.c.user_id == _user_param()).scalar_subquery()

    return marked(
        entries,
        event_id=event_id_of(entries),
        through=users(mark.c.through),
        read_at=users(mark.c.read_at),
    )


# The entries with their notifications, and their users' marks (`read_state`).
ENTRIES = inbox.join(notifications, OF_NOTIFICATION).outerjoin(
    read_marks, read_marks.c.user_id == inbox.c.user_id
)
MARKED = marked(
    inbox,
    event_id=notifications.c.event_id,
    through=read_marks.c.through,
    read_at=read_marks.c.read_at,
)


def read_state() -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any], sa.ColumnElement[Any]]:
    """An entry's `readAt`, `seenAt` and `updatedAt` in a select from `ENTRIES` (or of the
    entries joined to their notifications and their users' marks): its own, or its user's
    pending mark's time where the mark read it."""
    at = read_marks.c.read_at

    def named(column: sa.Column[Any], value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return value.label(column.name)  # the column's own name, as a plain select gives it

    return (
        named(inbox.c.read_at, sa.case((MARKED, at), else_=inbox.c.read_at)),
        named(
            inbox.c.seen_at,
            sa.case((MARKED, sa.func.coalesce(inbox.c.seen_at, at)), else_=inbox.c.seen_at),
        ),
        named(inbox.c.updated_at, sa.case((MARKED, at), else_=inbox.c.updated_at)),
    )


def select_entries() -> sa.Select[Any]:
    """An entry's columns, in the order `entry_of` reads them."""
    read_at, seen_at, updated_at = read_state()
    return sa.select(
        notifications.c.id,
        notifications.c.type,
        notifications.c.title,
        notifications.c.message,
        notifications.c.related_lead_id,
        notifications.c.actor_id,
        notifications.c.created_at,
        inbox.c.user_id,
        read_at,
        updated_at,
        seen_at,
        delivered_at(),
        inbox.c.archived_at,
    ).select_from(ENTRIES)


def notification_of(row: Sequence[Any]) -> Notification:
    """The notification of the first seven columns of `select_entries()` (or of `SENT_ABOUT`)."""
    return Notification(
        id=row[0],
        type=NotificationType(row[1]),
        title=row[2],
        message=row[3],
        related_lead_id=row[4],
        actor_id=row[5],
        created_at=row[6],
    )


def entry_of(row: Sequence[Any]) -> InboxEntry:
    """The entry of a row of `select_entries()`, read by position (SQLAlchemy or asyncpg)."""
    return InboxEntry(
        notification_of(row),
        row[7],
        read_at=row[8],
        updated_at=row[9],
        seen_at=row[10],
        delivered_at=row[11],
        archived_at=row[12],
    )


def _selected(
    entries: sa.FromClause,
    of: sa.FromClause,
    *,
    user: sa.ColumnElement[str],
    unread_only: bool,
    types: bool,
    related_lead: bool,
    archived: bool,
    on_postgresql: bool,
) -> list[sa.ColumnElement[bool]]:
    """What a feed filter asks of an entry (of the inbox table `entries`) and its notification
    (of the notifications table `of`); `types` and `related_lead_id` are bind parameters."""
    in_inbox = entries.c.archived_at.is_(None)
    conditions = [
        entries.c.user_id == user,
        entries.c.archived_at.is_not(None) if archived else in_inbox,
    ]
    if unread_only:
        conditions.append(sa.not_(entries.c.is_read))
        if not archived:  # a mark reads no archived entry
            conditions.append(sa.not_(marked_for_user(entries)))
    if types:
        conditions.append(
            of.c.type == sa.any_(sa.bindparam("types", type_=_TYPE_ARRAY))
            if on_postgresql
            else of.c.type.in_(sa.bindparam("types", expanding=True))
        )
    if related_lead:
        conditions.append(
            of.c.related_lead_id
            == sa.bindparam("related_lead_id", type_=notifications.c.related_lead_id.type)
        )
    return conditions


@cache
def page_statement(
    *,
    after: bool,
    unread_only: bool,
    types: bool,
    related_lead: bool,
    on_postgresql: bool,
    archived: bool = False,
) -> sa.Select[Any]:
    """A page of one inbox, newest first, with bind parameters for what varies per call:
    `user_id`, `limit`, and, where the filter asks for them, `before_created_at`/`before_id`,
    `types` and `related_lead_id`. Built once per shape of filter."""
    conditions = _selected(
        inbox,
        notifications,
        user=_user_param(),
        unread_only=unread_only,
        types=types,
        related_lead=related_lead,
        archived=archived,
        on_postgresql=on_postgresql,
    )
    if after:
        # A row-value comparison, in the order of the inbox indexes: the page starts with an
        # index seek, whatever its depth, and ties on createdAt are broken by the id.
        conditions.append(
            sa.tuple_(inbox.c.created_at, inbox.c.notification_id)
            < sa.tuple_(
                sa.bindparam("before_created_at", type_=inbox.c.created_at.type),
                sa.bindparam("before_id", type_=inbox.c.notification_id.type),
            )
        )
    newest_first = (inbox.c.created_at.desc(), inbox.c.notification_id.desc())
    if unread_only or archived or related_lead:
        # Off one partial index; or, for one lead, off the lead's notifications, each one's
        # entry of the user found by the key (a page planned for its own parameters).
        return select_entries().where(*conditions).order_by(*newest_first).limit(_limit())
    # The entries not archived: the page's keys, read off the read entries' index and the
    # unread ones', `limit` at most of each (their notifications joined only to filter them),
    # merged; then the page's `limit` entries read whole. No index holds both.
    keys_of = inbox.join(notifications, OF_NOTIFICATION) if types else inbox
    keys = (
        sa.select(inbox.c.user_id, inbox.c.notification_id, inbox.c.created_at)
        .select_from(keys_of)
        .where(*conditions)
    )
    page = _read_and_unread(
        keys, newest_first, lambda keys: (keys.c.created_at.desc(), keys.c.notification_id.desc())
    ).subquery("page")
    return (
        select_entries()
        .join(
            page,
            sa.and_(
                inbox.c.user_id == page.c.user_id,
                inbox.c.notification_id == page.c.notification_id,
            ),
        )
        .order_by(page.c.created_at.desc(), page.c.notification_id.desc())
    )


def _limit() -> sa.BindParameter[int]:
    return sa.bindparam("limit", type_=sa.Integer())


def _read_and_unread(
    statement: sa.Select[Any],
    order: tuple[sa.ColumnElement[Any], ...],
    merged_order: Callable[[sa.Subquery], tuple[sa.ColumnElement[Any], ...]],
) -> sa.Select[Any]:
    """The first `limit` rows of `statement` (of entries not archived) in inbox `order`: its
    read entries and its unread ones, each read off its own partial index in that order,
    `limit` at most of each, then merged (`merged_order` is the same order on the merged
    rows). No index holds both (`tables.notification_recipients`)."""
    either = [
        sa.select(statement.where(state).order_by(*order).limit(_limit()).subquery())
        for state in (inbox.c.is_read, sa.not_(inbox.c.is_read))
    ]
    merged = sa.union_all(*either).subquery("in_inbox")
    return sa.select(*merged.c).order_by(*merged_order(merged)).limit(_limit())


_TYPE_ARRAY = postgresql.ARRAY(sa.String())


def _filter_parameters(
    user_id: str,
    limit: int,
    types: Sequence[NotificationType] | None,
    related_lead_id: UUID | None,
) -> dict[str, Any]:
    parameters: dict[str, Any] = {"user_id": user_id, "limit": limit}
    if types is not None:
        parameters["types"] = [kind.value for kind in types]
    if related_lead_id is not None:
        parameters["related_lead_id"] = related_lead_id
    return parameters


def page_query(wanted: InboxSlice, *, on_postgresql: bool) -> tuple[sa.Select[Any], dict[str, Any]]:
    """The statement of this page and its parameters."""
    parameters = _filter_parameters(
        wanted.user_id, wanted.limit, wanted.types, wanted.related_lead_id
    )
    if wanted.before is not None:
        parameters["before_created_at"], parameters["before_id"] = wanted.before
    statement = page_statement(
        after=wanted.before is not None,
        unread_only=wanted.unread_only,
        types=wanted.types is not None,
        related_lead=wanted.related_lead_id is not None,
        archived=wanted.archived,
        on_postgresql=on_postgresql,
    )
    return statement, parameters


# Groups. A page of groups is read in four statements, none of which reads more than the page's
# groups and their members: the groups' newest members (`leaders`), then, for those groups
# alone, their counts, their actors and their leads' names.


class _GroupShape(NamedTuple):
    unread_only: bool
    types: bool
    related_lead: bool
    archived: bool
    on_postgresql: bool


@cache
def _leaders_statement(shape: _GroupShape, *, after: bool) -> sa.Select[Any]:
    """The newest selected member of each group, walked newest first off the inbox indexes
    (the read and the unread entries merged, where both are selected): an entry is kept
    when no newer selected member of its group exists (one probe of
    ix_notification_recipients_group each; ties on createdAt broken by the id)."""
    newer, newer_of = inbox.alias("newer"), notifications.alias("newer_notification")
    probe: sa.Select[Any] = sa.select(sa.literal_column("1")).select_from(newer)
    if shape.types or shape.related_lead:
        probe = probe.join(newer_of, newer_of.c.id == newer.c.notification_id)
    probe = probe.where(
        newer.c.group_key == inbox.c.group_key,
        sa.tuple_(newer.c.created_at, newer.c.notification_id)
        > sa.tuple_(inbox.c.created_at, inbox.c.notification_id),
        *_selected(newer, newer_of, user=inbox.c.user_id, **shape._asdict()),
    )
    # OFFSET 0 keeps the probe a subplan of its own, run per entry with the entry's group.
    # Made a join, its user condition became the asked user's, and a plan made once for any
    # user (a prepared statement's generic plan) read the whole inbox once for every entry.
    probe = probe.offset(sa.literal_column("0", sa.Integer))
    statement = (
        sa.select(*select_entries().selected_columns, inbox.c.group_key)
        .select_from(ENTRIES)
        .where(*_selected(inbox, notifications, user=_user_param(), **shape._asdict()))
        .where(~sa.exists(probe))
    )
    if after:
        after_at = sa.bindparam("after_created_at", type_=inbox.c.created_at.type)
        after_key = sa.bindparam("after_key", type_=inbox.c.group_key.type)
        statement = statement.where(
            inbox.c.created_at <= after_at,  # where the walk starts: an index bound
            sa.or_(
                inbox.c.created_at < after_at,
                sa.and_(inbox.c.created_at == after_at, inbox.c.group_key > after_key),
            ),
        )
    in_order = (inbox.c.created_at.desc(), inbox.c.group_key)
    if shape.unread_only or shape.archived or shape.related_lead:
        # Off one partial index; or off the lead's notifications (see `page_statement`).
        return statement.order_by(*in_order).limit(_limit())
    if not shape.on_postgresql:
        return _read_and_unread(
            statement, in_order, lambda leaders: (leaders.c.created_at.desc(), leaders.c.group_key)
        )
    # PostgreSQL: the unread entries walked first, then the read ones, no further back than
    # the unread leaders' `limit`-th, when there are that many. Walked apart without that
    # bound, the read entries of groups whose newest member is unread were each probed in
    # turn (2,801 of the heavy user's for a first page: 9 ms where one walk of every entry
    # took 2.4; bench/findings.md). Each walk goes in its index's order, newest first, and
    # keeps its `limit` first leaders and any with the time of the last (WITH TIES), so that
    # the merge orders their ties by group.
    unread = (
        statement.where(sa.not_(inbox.c.is_read))
        .order_by(inbox.c.created_at.desc())
        .fetch(_limit(), with_ties=True)
        .cte("unread_leaders")
    )
    last_unread = (
        sa.select(sa.func.min(unread.c.created_at))
        .having(sa.func.count() >= _limit())
        .scalar_subquery()
    )
    since = sa.func.coalesce(last_unread, sa.literal_column("'-infinity'", inbox.c.created_at.type))
    read = (
        statement.where(inbox.c.is_read, inbox.c.created_at >= since)
        .order_by(inbox.c.created_at.desc())
        .fetch(_limit(), with_ties=True)
        .subquery("read_leaders")
    )
    merged = sa.union_all(sa.select(unread), sa.select(read)).subquery("leaders_of_both")
    return (
        sa.select(*merged.c)
        .order_by(merged.c.created_at.desc(), merged.c.group_key)
        .limit(_limit())
    )


def _of_member(column: sa.ColumnElement[Any]) -> sa.ScalarSelect[Any]:
    """A column of the member's notification, looked up by its primary key row by row: a
    subquery in the select list is never turned into a join, so the cost stays with the
    members, however many notifications there are."""
    return sa.select(column).where(notifications.c.id == inbox.c.notification_id).scalar_subquery()


def _page_members(shape: _GroupShape) -> list[sa.ColumnElement[bool]]:
    """The selected members of the groups asked for (the bind parameter `keys`). A group's key
    begins with its type, so all its members are of its newest member's type, which the
    filter selected: the types need no checking again."""
    conditions = _selected(
        inbox,
        notifications,
        user=_user_param(),
        unread_only=shape.unread_only,
        types=False,
        related_lead=False,
        archived=shape.archived,
        on_postgresql=shape.on_postgresql,
    )
    if shape.related_lead:
        lead = sa.bindparam("related_lead_id", type_=notifications.c.related_lead_id.type)
        conditions.append(_of_member(notifications.c.related_lead_id) == lead)
    if shape.on_postgresql:
        conditions.append(inbox.c.group_key == sa.any_(sa.bindparam("keys", type_=_TYPE_ARRAY)))
    else:
        conditions.append(inbox.c.group_key.in_(sa.bindparam("keys", expanding=True)))
    return conditions


@cache
def _group_counts_statement(shape: _GroupShape) -> sa.Select[Any]:
    """Each asked group's selected members: how many, how many unread, the oldest's time; off
    ix_notification_recipients_group."""
    return (
        sa.select(
            inbox.c.group_key,
            sa.func.count(),
            sa.func.count().filter(sa.not_(inbox.c.is_read), sa.not_(marked_for_user(inbox))),
            sa.func.min(inbox.c.created_at),
        )
        .where(*_page_members(shape))
        .group_by(inbox.c.group_key)
    )


@cache
def _group_actors_statement(shape: _GroupShape) -> sa.Select[Any]:
    """Each asked group's distinct actors among its selected members, with their latest time."""
    return (
        sa.select(inbox.c.group_key, inbox.c.actor_id, sa.func.max(inbox.c.created_at))
        .where(*_page_members(shape), inbox.c.actor_id.is_not(None))
        .group_by(inbox.c.group_key, inbox.c.actor_id)
    )


@cache
def _lead_names_statement(on_postgresql: bool) -> sa.Select[Any]:
    among = (
        leads.c.id == sa.any_(sa.bindparam("lead_ids", type_=postgresql.ARRAY(sa.Uuid())))
        if on_postgresql
        else leads.c.id.in_(sa.bindparam("lead_ids", expanding=True))
    )
    return sa.select(leads.c.id, leads.c.name).where(among)


# On PostgreSQL a page of groups is one statement: the leaders, and for each one a LATERAL
# aggregate over its group's selected members (off ix_notification_recipients_group), with the
# lead's name joined. One round trip and one snapshot instead of a transaction of four.


def group_shape(wanted: GroupSlice, *, on_postgresql: bool) -> _GroupShape:
    return _GroupShape(
        unread_only=wanted.unread_only,
        types=wanted.types is not None,
        related_lead=wanted.related_lead_id is not None,
        archived=wanted.archived,
        on_postgresql=on_postgresql,
    )


def group_parameters(wanted: GroupSlice) -> dict[str, Any]:
    parameters = _filter_parameters(
        wanted.user_id, wanted.limit, wanted.types, wanted.related_lead_id
    )
    if wanted.after is not None:
        parameters["after_created_at"], parameters["after_key"] = wanted.after
    return parameters


# A group shows three actors: each array's first, written into the SQL.
_FIRST: sa.ColumnElement[int] = sa.literal_column("1", sa.Integer)


@cache
def groups_statement(shape: _GroupShape, *, after: bool) -> sa.Select[Any]:
    """A page of groups in one statement (PostgreSQL): each leader's entry columns and group
    key, then its selected members' count, unread count and oldest time, its first three
    actors (most recent first) and how many actors it has, and its lead's name."""
    leaders = _leaders_statement(shape, after=after).subquery("leaders")
    member = inbox.alias("member")
    conditions = [
        member.c.user_id == leaders.c.user_id,
        member.c.group_key == leaders.c.group_key,
        member.c.archived_at.is_not(None) if shape.archived else member.c.archived_at.is_(None),
    ]
    unread = sa.and_(sa.not_(member.c.is_read), sa.not_(marked_for_user(member)))
    if shape.unread_only:
        conditions.append(unread)
    if shape.related_lead:
        lead = sa.bindparam("related_lead_id", type_=notifications.c.related_lead_id.type)
        conditions.append(
            sa.select(notifications.c.related_lead_id)
            .where(notifications.c.id == member.c.notification_id)
            .scalar_subquery()
            == lead
        )
    # A group's key begins with its type: its members are all of the leader's type, which the
    # filter selected, so the types need no checking again. The members are read off
    # ix_notification_recipients_group alone, in one pass: counted, their distinct actors
    # counted, and their actors listed newest first (ties by id in code point order, as
    # Python's, the memory adapter's, sorts them), so that each actor first stands where it
    # last acted. Summing by actor first, then sorting the sums, took nearly twice as long
    # at 1M rows (2.7 to 3.3 ms a page, against 1.5 to 1.8).
    actor = member.c.actor_id.collate("C")
    members = (
        sa.select(
            sa.func.count().label("count"),
            sa.func.count().filter(unread).label("unread"),
            sa.func.min(member.c.created_at).label("first_at"),
            sa.func.count(actor.distinct()).label("actor_count"),
            sa.type_coerce(
                sa.func.array_agg(
                    postgresql.aggregate_order_by(actor, member.c.created_at.desc(), actor)
                ).filter(member.c.actor_id.is_not(None)),
                _TYPE_ARRAY,
            ).label("actors"),
        )
        .where(*conditions)
        .correlate(leaders)
        .lateral("members")
    )
    # The first three distinct actors of that list: the first, the first of the rest once
    # the first is removed, and so on (array_remove is one pass in C over the list).
    second = sa.type_coerce(
        sa.func.array_remove(members.c.actors, members.c.actors[_FIRST]), _TYPE_ARRAY
    )
    rest = sa.select(second.label("rest")).correlate(members).lateral("rest")
    third = sa.type_coerce(
        Grouping(sa.func.array_remove(rest.c.rest, rest.c.rest[_FIRST])), _TYPE_ARRAY
    )
    first_three = sa.func.array_remove(
        postgresql.array([members.c.actors[_FIRST], rest.c.rest[_FIRST], third[_FIRST]]),
        sa.null(),
    )
    lead_name = (
        sa.select(leads.c.name)
        .where(
            leads.c.id == leaders.c.related_lead_id,
            leaders.c.type != sa.literal_column(f"'{NotificationType.LEAD_CREATED.value}'"),
        )
        .scalar_subquery()
    )
    return (
        sa.select(
            *leaders.c,
            members.c.count,
            members.c.unread,
            members.c.first_at,
            first_three.label("actors"),
            members.c.actor_count,
            lead_name.label("lead_name"),
        )
        .select_from(leaders.join(members, sa.true()).join(rest, sa.true()))
        .order_by(leaders.c.created_at.desc(), leaders.c.group_key)
    )


def groups_of_rows(rows: Rows) -> list[NotificationGroup]:
    """The groups of the rows of `groups_statement`, in their order."""
    return [
        NotificationGroup(
            key=row[13],
            count=row[14],
            unread_count=row[15],
            actor_ids=tuple(row[17] or ()),
            actor_count=row[18],
            latest=entry_of(row),
            first_at=row[16],
            lead_name=row[19],
        )
        for row in rows
    ]


Rows = Sequence[Sequence[Any]]


class Fetch(Protocol):
    """Runs a statement with its parameters and gives its rows (all in one transaction)."""

    async def __call__(self, statement: sa.Executable, parameters: dict[str, Any]) -> Rows: ...


async def read_groups(
    wanted: GroupSlice, fetch: Fetch, *, on_postgresql: bool
) -> list[NotificationGroup]:
    """The page of groups `wanted` asks for, read with `fetch`."""
    shape = _GroupShape(
        unread_only=wanted.unread_only,
        types=wanted.types is not None,
        related_lead=wanted.related_lead_id is not None,
        archived=wanted.archived,
        on_postgresql=on_postgresql,
    )
    parameters = _filter_parameters(
        wanted.user_id, wanted.limit, wanted.types, wanted.related_lead_id
    )
    if wanted.after is not None:
        parameters["after_created_at"], parameters["after_key"] = wanted.after
    leaders = await fetch(_leaders_statement(shape, after=wanted.after is not None), parameters)
    if not leaders:
        return []
    latest = {row[13]: entry_of(row) for row in leaders}
    for name in ("limit", "types", "after_created_at", "after_key"):
        parameters.pop(name, None)
    parameters["keys"] = list(latest)
    counts = {row[0]: row[1:] for row in await fetch(_group_counts_statement(shape), parameters)}
    actors: dict[str, list[tuple[datetime, str]]] = {}
    for key, actor_id, last_at in await fetch(_group_actors_statement(shape), parameters):
        actors.setdefault(key, []).append((last_at, actor_id))
    lead_ids = {
        entry.notification.related_lead_id
        for entry in latest.values()
        if entry.notification.type is not NotificationType.LEAD_CREATED
        and entry.notification.related_lead_id is not None
    }
    names: dict[UUID, str] = {}
    if lead_ids:
        rows = await fetch(_lead_names_statement(on_postgresql), {"lead_ids": list(lead_ids)})
        names = {row[0]: row[1] for row in rows}
    groups = []
    for key, entry in latest.items():
        count, unread, first_at = counts[key]
        actor_ids = ordered_actors(actors.get(key, []))
        lead_id = entry.notification.related_lead_id
        lead_scoped = entry.notification.type is not NotificationType.LEAD_CREATED
        groups.append(
            NotificationGroup(
                key=key,
                count=count,
                unread_count=unread,
                actor_ids=tuple(actor_ids[:3]),
                actor_count=len(actor_ids),
                latest=entry,
                first_at=first_at,
                lead_name=names.get(lead_id) if lead_scoped and lead_id is not None else None,
            )
        )
    return groups


def ordered_actors(actors: Sequence[tuple[datetime, str]]) -> list[str]:
    """Distinct actors, each with their latest time: most recent first, ties by id ascending."""
    by_id = sorted(actors, key=lambda pair: pair[1])
    return [actor for _, actor in sorted(by_id, key=lambda pair: pair[0], reverse=True)]


# Receipts and what a lead's team was told.

SENT_ABOUT = (
    sa.select(
        notifications.c.id,
        notifications.c.type,
        notifications.c.title,
        notifications.c.message,
        notifications.c.related_lead_id,
        notifications.c.actor_id,
        notifications.c.created_at,
        sa.func.count(),
        # Delivered: by the entry's own column, or its user's position (their highest mark)
        # has reached its event: one row per user to join, not a mark looked up per entry.
        sa.func.count().filter(
            sa.or_(
                inbox.c.delivered_at.is_not(None),
                delivery_positions.c.through >= notifications.c.event_id,
            )
        ),
        # Seen and read: by the entry's own columns, or its user's pending read mark.
        sa.func.count().filter(sa.or_(inbox.c.seen_at.is_not(None), MARKED)),
        sa.func.count().filter(sa.or_(inbox.c.is_read, MARKED)),
    )
    # An inner join: a notification nobody holds any more has no row to count.
    .join_from(notifications, inbox, OF_NOTIFICATION)
    .outerjoin(delivery_positions, delivery_positions.c.user_id == inbox.c.user_id)
    .outerjoin(read_marks, read_marks.c.user_id == inbox.c.user_id)
    .where(
        notifications.c.related_lead_id
        == sa.bindparam("lead_id", type_=notifications.c.related_lead_id.type)
    )
    .group_by(
        notifications.c.id,
        notifications.c.type,
        notifications.c.title,
        notifications.c.message,
        notifications.c.related_lead_id,
        notifications.c.actor_id,
        notifications.c.created_at,
    )
    .order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
    .limit(sa.bindparam("limit", type_=sa.Integer()))
)


def sent_of(row: Sequence[Any]) -> SentNotification:
    return SentNotification(notification_of(row), *row[7:11])


_READ_AT, _SEEN_AT, _ = read_state()
RECEIPTS = (
    sa.select(inbox.c.user_id, users.c.name, delivered_at(), _SEEN_AT, _READ_AT)
    .select_from(ENTRIES.outerjoin(users, users.c.id == inbox.c.user_id))
    .where(
        inbox.c.notification_id
        == sa.bindparam("notification_id", type_=inbox.c.notification_id.type)
    )
    .order_by(inbox.c.user_id)
    .limit(sa.bindparam("limit", type_=sa.Integer()))
)


def receipt_of(row: Sequence[Any]) -> Receipt:
    return Receipt(*row[:5])


class SqlAlchemyInboxQueries:
    """`InboxQueries` on an engine's connections: no session, no unit of work, one statement
    per call in a read-only transaction of its own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = read_only(engine)
        self._on_postgresql = engine.dialect.name == "postgresql"

    async def unread_count(self, user_id: str) -> int:
        with concurrency_errors():
            async with self._engine.connect() as connection:
                result = await connection.execute(UNREAD_COUNT, {"user_id": user_id})
                return int(result.scalar_one())

    async def counts(self, user_id: str) -> InboxCounts:
        return counts_of(await self._fetch(COUNTS, {"user_id": user_id}))

    async def page(self, wanted: InboxSlice) -> list[InboxEntry]:
        statement, parameters = page_query(wanted, on_postgresql=self._on_postgresql)
        return [entry_of(row) for row in await self._fetch(statement, parameters)]

    async def groups(self, wanted: GroupSlice) -> list[NotificationGroup]:
        with concurrency_errors():
            async with self._engine.connect() as connection:

                async def fetch(statement: sa.Executable, parameters: dict[str, Any]) -> Rows:
                    return list(await connection.execute(statement, parameters))

                return await read_groups(wanted, fetch, on_postgresql=self._on_postgresql)

    async def sent_about(self, lead_id: UUID, limit: int) -> list[SentNotification]:
        rows = await self._fetch(SENT_ABOUT, {"lead_id": lead_id, "limit": limit})
        return [sent_of(row) for row in rows]

    async def receipts(self, notification_id: UUID, limit: int) -> list[Receipt]:
        rows = await self._fetch(RECEIPTS, {"notification_id": notification_id, "limit": limit})
        return [receipt_of(row) for row in rows]

    async def _fetch(self, statement: sa.Executable, parameters: dict[str, Any]) -> Rows:
        with concurrency_errors():
            async with self._engine.connect() as connection:
                return list(await connection.execute(statement, parameters))

    async def close(self) -> None:
        """Nothing of its own to release: the engine is disposed of by its owner."""
