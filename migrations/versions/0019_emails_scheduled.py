"""Emails scheduled per notification, their rows per recipient written after the answer.

With email on, a lead told to 10,000 users wrote 10,000 due emails in its own transaction,
each recipient's address looked up on the way: about 55 ms of the request's time
(bench/findings.md). Now the transaction writes one row, the notification's, to
`scheduled_emails`; the email scheduler's next round (every process with email on runs one, once
a second) writes each recipient's row from the notification's entries, and deletes the schedule
in the same transaction, so that a notification's rows are written exactly once.

Downgrading writes the rows of what is still scheduled first, as the code before this wrote
them, so that no email is lost; stop the processes of this version first (once the table is
gone, their notifying writes would fail).

Revision ID: 0019_emails_scheduled
Revises: 0018_inbox_order_by_read_state
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_emails_scheduled"
down_revision: str | Sequence[str] | None = "0018_inbox_order_by_read_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEDULED = "scheduled_emails"

# Each recipient of a scheduled notification with an address and email on for its type.
WRITE_SCHEDULED = """
INSERT INTO due_emails ("userId", "notificationId", "dueAt")
SELECT r."userId", s."notificationId", s."dueAt"
FROM scheduled_emails s
JOIN notifications n ON n.id = s."notificationId"
JOIN notification_recipients r ON r."notificationId" = s."notificationId"
JOIN users u ON u.id = r."userId"
WHERE u.email IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM notification_preferences p
    WHERE p."userId" = r."userId" AND p.type = n.type AND NOT p.email
  )
"""


def upgrade() -> None:
    op.create_table(
        SCHEDULED,
        sa.Column("notificationId", sa.Uuid(), nullable=False),
        sa.Column("dueAt", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("notificationId", name="pk_scheduled_emails"),
    )


def downgrade() -> None:
    # Nothing scheduled meanwhile is left behind: a process still notifying waits (PostgreSQL;
    # SQLite has one writer at a time).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"LOCK TABLE {SCHEDULED} IN EXCLUSIVE MODE")
    op.execute(WRITE_SCHEDULED)
    op.drop_table(SCHEDULED)
