"""Herald's tables, as SQLAlchemy Core: camelCase columns in the database, snake_case keys here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_key)s",
        "uq": "uq_%(table_name)s_%(column_0_key)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_key)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite keeps no offset: values are stored as UTC wall time and read back as UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def _timestamp(name: str, key: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, UtcDateTime(), key=key, nullable=nullable)


# A user's id (the token's `sub`), wherever it is kept, and a group's key: compared and ordered
# by code point on every backend, as the contract orders receipts ("by userId ascending") and
# groups ("then by `key` ascending"), whatever the database's collation (migration 0013).
# PostgreSQL compares a column with another only in one collation, and uses an index only in
# its own: every id column has the same, "C". SQLite compares text by its bytes already.
Identifier = sa.String(255).with_variant(postgresql.VARCHAR(255, collation="C"), "postgresql")
GroupKey = sa.String(400).with_variant(postgresql.VARCHAR(400, collation="C"), "postgresql")


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Identifier, primary_key=True),  # the token's `sub`
    sa.Column("name", sa.String(200)),
    sa.Column("email", sa.String(254)),
    _timestamp("createdAt", "created_at"),
    _timestamp("updatedAt", "updated_at"),
)

leads = sa.Table(
    "leads",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254)),
    sa.Column("company", sa.String(200)),
    sa.Column("score", sa.Integer(), nullable=False),
    sa.Column("ownerId", Identifier, key="owner_id"),
    _timestamp("createdAt", "created_at"),
    _timestamp("updatedAt", "updated_at"),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column(
        "relatedLeadId",
        sa.Uuid(),
        sa.ForeignKey("leads.id", ondelete="SET NULL", onupdate="CASCADE"),
        key="related_lead_id",
    ),
    sa.Column("actorId", Identifier, key="actor_id"),
    _timestamp("createdAt", "created_at"),
    _timestamp("updatedAt", "updated_at"),
    # The id of its `notification:created` event, set at commit: what delivery confirmations
    # ("everything up to event N") go by. Null for those written before confirmations existed.
    sa.Column("eventId", sa.BigInteger(), key="event_id"),
)

notification_recipients = sa.Table(
    "notification_recipients",
    metadata,
    sa.Column("userId", Identifier, key="user_id"),
    # No foreign key: PostgreSQL would look the notification up once per entry, a fifth of the
    # insert of a lead's entries. An entry is written with its notification, in one unit of
    # work, and the purge deletes both.
    sa.Column("notificationId", sa.Uuid(), key="notification_id"),
    sa.Column("isRead", sa.Boolean(), key="is_read", nullable=False),
    _timestamp("readAt", "read_at", nullable=True),
    # A copy of the notification's, so that the inbox indexes alone order a user's entries.
    _timestamp("createdAt", "created_at"),
    _timestamp("updatedAt", "updated_at"),
    _timestamp("seenAt", "seen_at", nullable=True),
    # Confirmed before delivery marks existed, or carried by a saved entry; otherwise null and
    # the entry's `deliveredAt` is that of its first covering mark (`delivery_marks`).
    _timestamp("deliveredAt", "delivered_at", nullable=True),
    _timestamp("archivedAt", "archived_at", nullable=True),
    # The notification's group (`Notification.group_key`), copied so that an index alone finds
    # a user's members of one group.
    sa.Column("groupKey", GroupKey, key="group_key", nullable=False, server_default=""),
    # The notification's actor, copied for the same reason: a page of groups counts each
    # group's actors off that index, without a lookup of every member's notification.
    sa.Column("actorId", Identifier, key="actor_id"),
    # The notification first: its entries, written together, go into one place of the key,
    # and the key finds them for the purge and the receipts.
    sa.PrimaryKeyConstraint("notification_id", "user_id"),
)

# What the default views count and list: entries not archived.
_in_inbox = notification_recipients.c.archived_at.is_(None)
_unread_in_inbox = sa.and_(sa.not_(notification_recipients.c.is_read), _in_inbox)
_read_in_inbox = sa.and_(notification_recipients.c.is_read, _in_inbox)

sa.Index("ix_notifications_related_lead_id", notifications.c.related_lead_id)
# What retention purges: the oldest notifications.
sa.Index("ix_notifications_created_at", notifications.c.created_at)
# A user's entries in inbox order, in three partial indexes that share the order and hold
# every entry once: the unread ones, the read ones, the archived ones. A new entry, unread,
# goes into the first alone (with an index of every entry beside them, it went into two: a
# fan-out's entries each take a leaf page of every index keyed by their user first, and that
# index cost PostgreSQL 0.7 to 0.8 s of a burst's CPU: bench/findings.md). A page of all the
# entries not archived reads the read and the unread ones, each off its index, merged
# (`queries.page_statement`).
# The unread entries alone: the feed's `unreadOnly` pages, read off in a range.
sa.Index(
    "ix_notification_recipients_unread_inbox",
    notification_recipients.c.user_id,
    notification_recipients.c.created_at.desc(),
    notification_recipients.c.notification_id.desc(),
    postgresql_where=_unread_in_inbox,
    sqlite_where=_unread_in_inbox,
)
# The read ones.
sa.Index(
    "ix_notification_recipients_read_inbox",
    notification_recipients.c.user_id,
    notification_recipients.c.created_at.desc(),
    notification_recipients.c.notification_id.desc(),
    postgresql_where=_read_in_inbox,
    sqlite_where=_read_in_inbox,
)
# The "Archived" view, in inbox order.
_archived = notification_recipients.c.archived_at.is_not(None)
sa.Index(
    "ix_notification_recipients_archived",
    notification_recipients.c.user_id,
    notification_recipients.c.created_at.desc(),
    notification_recipients.c.notification_id.desc(),
    postgresql_where=_archived,
    sqlite_where=_archived,
)
# A user's members of one group, newest first: is this entry its group's newest, and the
# group's counts and actors. Every reader asks for one user and one group, so the key may
# begin with either; it begins with the group, so that a notification's entries go into one
# place of it, as they do in the primary key: a new lead told to 10,000 users adds to its
# group (new leads by actor and day) rather than to a leaf page of each user.
sa.Index(
    "ix_notification_recipients_group",
    notification_recipients.c.group_key,
    notification_recipients.c.user_id,
    notification_recipients.c.created_at.desc(),
    notification_recipients.c.notification_id.desc(),
    # PostgreSQL: all that a page of groups reads of the members, so that it reads the index
    # alone (an index-only scan), however large the groups.
    postgresql_include=["isRead", "archivedAt", "actorId"],
)
# What a delivery confirmation's count ("how many became delivered") reads: the notifications
# of a range of event ids, each one's entry of the user then found by the primary key.
sa.Index("ix_notifications_event_id", notifications.c.event_id, postgresql_include=["id"])

# Delivery confirmations, a row per user and confirmation that moved the user on: "every
# `notification:created` of this user up to event `through` was delivered, at `delivered_at`".
# An entry's `deliveredAt` is its first covering mark's time (the mark with the smallest
# `through` at or above its event) where its own column is null: a confirmation writes one row
# per user, however many entries it covers, and no entry is updated (the column holds what
# was confirmed before the marks, and what a saved entry carries). A user's marks rise with
# `through`: each is written above that user's latest one, under a lock of the user (their row
# of `delivery_positions`), so no mark ever comes between an entry and the mark that covered
# it first.
delivery_marks = sa.Table(
    "delivery_marks",
    metadata,
    sa.Column("userId", Identifier, key="user_id"),
    sa.Column("throughEventId", sa.BigInteger(), key="through"),
    _timestamp("deliveredAt", "delivered_at"),
    sa.PrimaryKeyConstraint("user_id", "through"),
)
# What the purge deletes: the marks below the oldest event still held.
sa.Index("ix_delivery_marks_through", delivery_marks.c.through)
# Each user's highest delivery confirmation, a row per user: the row a confirmation locks (an
# upsert) before it writes its mark, and the user's highest mark, so that an entry is
# delivered by the marks exactly when its user's position has reached its event (what the sent
# counts read). The marks below the oldest notification are purged; this row stays.
delivery_positions = sa.Table(
    "delivery_positions",
    metadata,
    sa.Column("userId", Identifier, key="user_id", primary_key=True),
    sa.Column("throughEventId", sa.BigInteger(), key="through", nullable=False),
)

# markAllAsRead on PostgreSQL, a row per user while it waits to be applied: "every entry of this
# user that was unread and not archived, of a notification committed up to event `through`, was
# read (and seen, where it was not) at `read_at`". Written under the user's lock (see
# `SqlAlchemyInboxRepository._own`) and the outbox's turn, so that its answer and the counts'
# change are the counts themselves, and no entry is read or written while the user waits; a
# background task then applies it to the entries and deletes it (`apply_pending`). Until then,
# every read of an entry's read state counts it (`queries.marked`); every writer of the user's
# entries applies it first, under the same lock, so no entry it covers changes meanwhile. An
# entry whose notification has no event id (one written before event ids existed) is covered
# when it was created by `read_at`.
read_marks = sa.Table(
    "read_marks",
    metadata,
    sa.Column("userId", Identifier, key="user_id", primary_key=True),
    sa.Column("throughEventId", sa.BigInteger(), key="through", nullable=False),
    _timestamp("readAt", "read_at"),
)

# Each user's counts, kept with every change of their entries (archived entries left out):
# what badges and counts read instead of counting the entries. A user without a row has none.
# A notification told to most users (a new lead: everyone) is counted once, in
# inbox_broadcasts, rather than in a row per recipient; each row keeps how many of those
# broadcasts did not reach its user (sent before the row existed, or to the others). A new
# entry is unread, unseen and in the inbox: a user's three counts are each their row's plus
# `inbox_broadcasts.sent - broadcastsMissed`, the broadcasts they received.
inbox_counts = sa.Table(
    "inbox_counts",
    metadata,
    sa.Column("userId", Identifier, key="user_id", primary_key=True),
    sa.Column("unread", sa.Integer(), nullable=False),
    sa.Column("unseen", sa.Integer(), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    # No default: a row written without it would be given every broadcast so far.
    sa.Column("broadcastsMissed", sa.BigInteger(), key="broadcasts_missed", nullable=False),
)
# One row: the broadcasts counted so far.
inbox_broadcasts = sa.Table(
    "inbox_broadcasts",
    metadata,
    sa.Column("id", sa.SmallInteger(), primary_key=True, autoincrement=False),
    sa.Column("sent", sa.BigInteger(), nullable=False),
    sa.CheckConstraint("id = 1", name="one_row"),
)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column(
        "leadId",
        sa.Uuid(),
        sa.ForeignKey("leads.id", ondelete="CASCADE"),
        key="lead_id",
        nullable=False,
    ),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("assigneeId", Identifier, key="assignee_id"),
    sa.Column("createdById", Identifier, key="created_by_id", nullable=False),
    _timestamp("completedAt", "completed_at", nullable=True),
    _timestamp("createdAt", "created_at"),
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column(
        "leadId",
        sa.Uuid(),
        sa.ForeignKey("leads.id", ondelete="CASCADE"),
        key="lead_id",
        nullable=False,
    ),
    sa.Column("authorId", Identifier, key="author_id", nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    _timestamp("createdAt", "created_at"),
)

# A row only once a user has set a preference: no row means the type is enabled.
notification_preferences = sa.Table(
    "notification_preferences",
    metadata,
    sa.Column("userId", Identifier, key="user_id", primary_key=True),
    sa.Column("type", sa.String(32), primary_key=True),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    _timestamp("updatedAt", "updated_at"),
    # Whether the type also comes by email; a row set before email existed says yes.
    sa.Column("email", sa.Boolean(), nullable=False, server_default=sa.true()),
)

# `leads(limit)`: newest first, with the id to break ties, read straight off the index.
sa.Index("ix_leads_newest", leads.c.created_at.desc(), leads.c.id.desc())
# A lead's tasks; also what its deletion cascades through.
sa.Index("ix_tasks_lead_id", tasks.c.lead_id)
# "Everyone who commented on this lead", answered from the index alone.
sa.Index("ix_comments_lead_id_author_id", comments.c.lead_id, comments.c.author_id)
# "Who muted this type": only the rows that turn a type off, a small part of the table.
sa.Index(
    "ix_notification_preferences_muted",
    notification_preferences.c.type,
    postgresql_where=sa.not_(notification_preferences.c.enabled),
    sqlite_where=sa.not_(notification_preferences.c.enabled),
)

# The outbox. Each event is one row, whatever the size of its audience: `recipients` lists the
# users it is for (a text[] with a GIN index on PostgreSQL, a JSON array on SQLite). On
# PostgreSQL, `payload` and `recipients` are compressed with lz4 where the server has it
# (migration 0012): a lead told to 10,000 users writes about 540 KB while holding the turn.
# Ids come from `outbox_state`'s "assigned" row, taken at commit time: its row lock makes ids
# follow commit order, so "everything up to N is committed" holds for every reader.
Recipients = sa.JSON().with_variant(
    postgresql.ARRAY(postgresql.VARCHAR(255, collation="C")), "postgresql"
)

outbox_events = sa.Table(
    "outbox_events",
    metadata,
    sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("recipients", Recipients, nullable=False),
    _timestamp("createdAt", "created_at"),
)

# Named positions in the outbox: "assigned" (the last id given out), "published" (what the relay
# has published) and "purged" (the history before it is gone).
outbox_state = sa.Table(
    "outbox_state",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("position", sa.BigInteger(), nullable=False),
)

# A user's history for replay: on PostgreSQL the array containment `recipients @> {user}`.
sa.Index(
    "ix_outbox_events_recipients",
    outbox_events.c.recipients,
    postgresql_using="gin",
).ddl_if(dialect="postgresql")
# What retention purges: the oldest events.
sa.Index("ix_outbox_events_created_at", outbox_events.c.created_at)

# Emails to come (an outbox of its own). A notification is scheduled with its change, one row
# whatever its audience (migration 0019); the scheduler's next round turns it into a row per
# recipient and notification (`due_emails`), deleted once the email went (or there was nothing
# left to send). The purge deletes both with their notification.
scheduled_emails = sa.Table(
    "scheduled_emails",
    metadata,
    sa.Column("notificationId", sa.Uuid(), key="notification_id", primary_key=True),
    _timestamp("dueAt", "due_at"),
)

# Emails to come, per recipient: a row per recipient and notification, written from
# `scheduled_emails`, deleted once the email went (or there was nothing left to send). No
# foreign key: PostgreSQL would look the notification up once per row, nearly half of the
# insert of a lead's 10,000 rows.
due_emails = sa.Table(
    "due_emails",
    metadata,
    sa.Column("userId", Identifier, key="user_id"),
    sa.Column("notificationId", sa.Uuid(), key="notification_id"),
    _timestamp("dueAt", "due_at"),
    # Set while a scheduler sends the user's email; a claim that was never settled lapses.
    _timestamp("claimedUntil", "claimed_until", nullable=True),
    # The notification first: its rows, written together, go into one place of the key, and
    # the key finds them for the purge (migration 0017).
    sa.PrimaryKeyConstraint("notification_id", "user_id"),
)
# What falls due next, oldest first.
sa.Index("ix_due_emails_due_at", due_emails.c.due_at)
# A user's rows in the order they fall due: "is this one the oldest of its user?", and what a
# claim or a renewal of a user's rows reads (a settlement reads the key, or this).
sa.Index(
    "ix_due_emails_user_order",
    due_emails.c.user_id,
    due_emails.c.due_at,
    due_emails.c.notification_id,
)
