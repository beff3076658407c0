"""Engagement and groups: seen, delivered and archived per recipient, each entry's group, the
event id that delivery confirmations go by, and each user's counts, kept rather than counted.

Revision ID: 0007_engagement
Revises: 0006_email
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_engagement"
down_revision: str | Sequence[str] | None = "0006_email"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECIPIENTS = "notification_recipients"
INBOX_ORDER = ["userId", sa.column("createdAt").desc(), sa.column("notificationId").desc()]


def upgrade() -> None:
    op.add_column("notifications", sa.Column("eventId", sa.BigInteger()))
    for name in ("seenAt", "deliveredAt", "archivedAt"):
        op.add_column(RECIPIENTS, sa.Column(name, sa.DateTime(timezone=True)))
    op.add_column(
        RECIPIENTS, sa.Column("groupKey", sa.String(400), nullable=False, server_default="")
    )
    # Read implies seen; and what was there before is in its group, as new entries will be.
    op.execute(f'UPDATE {RECIPIENTS} SET "seenAt" = "readAt" WHERE "isRead"')
    op.execute(_group_keys(op.get_bind().dialect.name))

    # The counts come from inbox_counts now: the unread entries' index is only the unreadOnly
    # pages' (in inbox order), and no index holds the unseen ones.
    op.drop_index("ix_notification_recipients_unread", RECIPIENTS)
    _replace_unread_inbox_index(sa.and_(_unread, _in_inbox))
    op.create_table(
        "inbox_counts",
        sa.Column("userId", sa.String(255), primary_key=True),
        sa.Column("unread", sa.Integer(), nullable=False),
        sa.Column("unseen", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
    )
    op.execute(_COUNTED)
    archived = sa.column("archivedAt").is_not(None)
    op.create_index(
        "ix_notification_recipients_archived",
        RECIPIENTS,
        INBOX_ORDER,
        postgresql_where=archived,
        sqlite_where=archived,
    )
    op.create_index(
        "ix_notification_recipients_group",
        RECIPIENTS,
        [
            "userId",
            "groupKey",
            sa.column("createdAt").desc(),
            sa.column("notificationId").desc(),
        ],
    )
    undelivered = sa.column("deliveredAt").is_(None)
    op.create_index(
        "ix_notification_recipients_undelivered",
        RECIPIENTS,
        ["userId"],
        postgresql_where=undelivered,
        sqlite_where=undelivered,
    )


def downgrade() -> None:
    for name in (
        "ix_notification_recipients_undelivered",
        "ix_notification_recipients_group",
        "ix_notification_recipients_archived",
    ):
        op.drop_index(name, RECIPIENTS)
    op.drop_table("inbox_counts")
    _replace_unread_inbox_index(_unread)
    op.create_index("ix_notification_recipients_unread", RECIPIENTS, ["userId"], **_where(_unread))
    for name in ("groupKey", "archivedAt", "deliveredAt", "seenAt"):
        op.drop_column(RECIPIENTS, name)  # SQLite has DROP COLUMN since 3.35
    op.drop_column("notifications", "eventId")


_unread = sa.not_(sa.column("isRead", sa.Boolean()))
_in_inbox = sa.column("archivedAt").is_(None)


def _where(condition: sa.ColumnElement[bool]) -> dict[str, sa.ColumnElement[bool]]:
    return {"postgresql_where": condition, "sqlite_where": condition}


def _replace_unread_inbox_index(condition: sa.ColumnElement[bool]) -> None:
    op.drop_index("ix_notification_recipients_unread_inbox", RECIPIENTS)
    op.create_index(
        "ix_notification_recipients_unread_inbox", RECIPIENTS, INBOX_ORDER, **_where(condition)
    )


# Each user's counts, archived entries left out: what the repositories keep up from now on.
_COUNTED = f"""INSERT INTO inbox_counts ("userId", unread, unseen, total)
    SELECT "userId",
        sum(CASE WHEN NOT "isRead" AND "archivedAt" IS NULL THEN 1 ELSE 0 END),
        sum(CASE WHEN "seenAt" IS NULL AND "archivedAt" IS NULL THEN 1 ELSE 0 END),
        sum(CASE WHEN "archivedAt" IS NULL THEN 1 ELSE 0 END)
    FROM {RECIPIENTS} GROUP BY "userId"
"""


def _group_keys(dialect: str) -> str:
    """`Notification.group_key` in SQL: "lead_created:<UTC day>:<actor>" for new leads,
    "<type>:<lead id>" (or the notification's own id, without a lead) for the others."""
    if dialect == "postgresql":
        day = """to_char(n."createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD')"""
        lead = """coalesce(n."relatedLeadId", n.id)::text"""
    else:  # SQLite keeps UTC wall time as text, and a UUID as 32 hex digits
        day = """substr(n."createdAt", 1, 10)"""
        hex_id = """lower(coalesce(n."relatedLeadId", n.id))"""
        lead = " || '-' || ".join(
            f"substr({hex_id}, {start}, {length})"
            for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
        )
    key = f"""CASE WHEN n.type = 'lead_created'
        THEN 'lead_created:' || {day} || ':' || coalesce(n."actorId", '')
        ELSE n.type || ':' || {lead} END"""
    return f"""UPDATE {RECIPIENTS} SET "groupKey" = (
        SELECT {key} FROM notifications AS n WHERE n.id = {RECIPIENTS}."notificationId")"""
