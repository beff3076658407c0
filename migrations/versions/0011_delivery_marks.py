"""Delivery confirmations as a mark per user and confirmation, no longer a write per entry.

A confirmation set `deliveredAt` on every entry it covered: none of those updates was HOT
(the column is in the undelivered entries' index's predicate), and a burst's confirmations
were most of PostgreSQL's work. Now each confirmation writes one mark per user; an entry's
`deliveredAt` is its own column (what was confirmed before this) or else its first covering
mark's time. The undelivered entries' index goes (one index fewer per new entry); the
notifications' event ids get one, for the count of what a confirmation covered (the update
that gives a notification its event id at commit is no longer HOT: a row version more per
notification, not per entry). Down, every entry a mark covers gets its time in its column
again.

Revision ID: 0011_delivery_marks
Revises: 0010_entries_by_notification
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_delivery_marks"
down_revision: str | Sequence[str] | None = "0010_entries_by_notification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECIPIENTS = "notification_recipients"
UNDELIVERED = "ix_notification_recipients_undelivered"
BY_EVENT = "ix_notifications_event_id"

# Down: each entry not delivered by its column gets the time of its first covering mark.
_MARKS_INTO_ENTRIES = """
UPDATE notification_recipients SET "deliveredAt" = (
    SELECT delivery_marks."deliveredAt" FROM delivery_marks
    WHERE delivery_marks."userId" = notification_recipients."userId"
      AND delivery_marks."throughEventId" >= (
          SELECT notifications."eventId" FROM notifications
          WHERE notifications.id = notification_recipients."notificationId")
    ORDER BY delivery_marks."throughEventId"
    LIMIT 1)
WHERE "deliveredAt" IS NULL AND EXISTS (
    SELECT 1 FROM delivery_marks, notifications
    WHERE delivery_marks."userId" = notification_recipients."userId"
      AND notifications.id = notification_recipients."notificationId"
      AND delivery_marks."throughEventId" >= notifications."eventId")
"""


def upgrade() -> None:
    op.create_table(
        "delivery_marks",
        sa.Column("userId", sa.String(255), nullable=False),
        sa.Column("throughEventId", sa.BigInteger(), nullable=False),
        sa.Column("deliveredAt", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("userId", "throughEventId", name="pk_delivery_marks"),
    )
    op.create_index("ix_delivery_marks_through", "delivery_marks", ["throughEventId"])
    op.create_table(
        "delivery_positions",
        sa.Column("userId", sa.String(255), nullable=False),
        sa.Column("throughEventId", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("userId", name="pk_delivery_positions"),
    )
    op.create_index(BY_EVENT, "notifications", ["eventId"], postgresql_include=["id"])
    op.drop_index(UNDELIVERED, RECIPIENTS)


def downgrade() -> None:
    op.execute(_MARKS_INTO_ENTRIES)
    undelivered = sa.text('"deliveredAt" IS NULL')
    op.create_index(
        UNDELIVERED,
        RECIPIENTS,
        ["userId"],
        postgresql_where=undelivered,
        sqlite_where=undelivered,
    )
    op.drop_index(BY_EVENT, "notifications")
    op.drop_table("delivery_positions")
    op.drop_table("delivery_marks")
