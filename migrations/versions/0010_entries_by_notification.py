"""Inbox entries keyed by their notification first, with no foreign key checked per entry.

A new notification's entries then go into one place of the primary key (a lead told to 1,100
users touched 1,100 of its leaf pages), the key serves the purge and a notification's
receipts (its own index is dropped), and PostgreSQL no longer looks the notification up once
per entry (a fifth of a lead's insert). The purge deletes the entries itself, as it already
did on PostgreSQL.

Revision ID: 0010_entries_by_notification
Revises: 0009_inbox_broadcasts
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_entries_by_notification"
down_revision: str | Sequence[str] | None = "0009_inbox_broadcasts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECIPIENTS = "notification_recipients"
KEY = "pk_notification_recipients"
FOREIGN_KEY = "fk_notification_recipients_notification_id_notifications"
BY_NOTIFICATION = "ix_notification_recipients_notification_id"


def upgrade() -> None:
    # SQLite alters a key only by copying the table (batch mode); PostgreSQL in place, taking
    # the table's lock while it builds the new key.
    with op.batch_alter_table(RECIPIENTS) as table:
        table.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        table.drop_index(BY_NOTIFICATION)
        table.drop_constraint(KEY, type_="primary")
        table.create_primary_key(KEY, ["notificationId", "userId"])
    _newest_first_again()


def downgrade() -> None:
    with op.batch_alter_table(RECIPIENTS) as table:
        table.drop_constraint(KEY, type_="primary")
        table.create_primary_key(KEY, ["userId", "notificationId"])
        table.create_index(BY_NOTIFICATION, ["notificationId"])
        table.create_foreign_key(
            FOREIGN_KEY, "notifications", ["notificationId"], ["id"], ondelete="CASCADE"
        )
    _newest_first_again()


def _newest_first_again() -> None:
    """SQLite's copy of the table makes its indexes again from what it reads back of them,
    which leaves out each column's order: those in inbox order (newest first) are made again
    as they were."""
    if op.get_bind().dialect.name != "sqlite":
        return
    newest_first = [sa.column("createdAt").desc(), sa.column("notificationId").desc()]
    for name, columns, where in (
        ("ix_notification_recipients_inbox", ["userId", *newest_first], None),
        (
            "ix_notification_recipients_unread_inbox",
            ["userId", *newest_first],
            '"isRead" = 0 AND "archivedAt" IS NULL',
        ),
        (
            "ix_notification_recipients_archived",
            ["userId", *newest_first],
            '"archivedAt" IS NOT NULL',
        ),
        ("ix_notification_recipients_group", ["userId", "groupKey", *newest_first], None),
    ):
        op.drop_index(name, RECIPIENTS)
        op.create_index(
            name, RECIPIENTS, columns, sqlite_where=None if where is None else sa.text(where)
        )
