"""markAllAsRead as a mark per user, applied to the entries after the answer.

Reading 10,000 entries wrote 10,000 row versions, each with an entry in three indexes, while the
user waited (168 ms in the benchmark's last run, against 50). On PostgreSQL, markAllAsRead now
writes one row (`read_marks`), which every read of the entries' read state counts until a
background task has applied it to the entries. The table is made on SQLite too, where it stays
empty: the update is applied at once there.

Revision ID: 0014_read_marks
Revises: 0013_ids_in_code_point_order
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_read_marks"
down_revision: str | Sequence[str] | None = "0013_ids_in_code_point_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IDENTIFIER = sa.String(255).with_variant(postgresql.VARCHAR(255, collation="C"), "postgresql")

# Down: each mark (PostgreSQL's) applied to the entries it covers, as the background task
# would have.
_APPLIED = """
UPDATE notification_recipients AS entry
SET "isRead" = true, "readAt" = mark."readAt",
    "seenAt" = coalesce(entry."seenAt", mark."readAt"), "updatedAt" = mark."readAt"
FROM read_marks AS mark, notifications
WHERE entry."userId" = mark."userId" AND notifications.id = entry."notificationId"
  AND NOT entry."isRead" AND entry."archivedAt" IS NULL
  AND CASE WHEN notifications."eventId" IS NULL THEN entry."createdAt" <= mark."readAt"
           ELSE notifications."eventId" <= mark."throughEventId" END
"""


def upgrade() -> None:
    op.create_table(
        "read_marks",
        sa.Column("userId", IDENTIFIER, nullable=False),
        sa.Column("throughEventId", sa.BigInteger(), nullable=False),
        sa.Column("readAt", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("userId", name="pk_read_marks"),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # none is written elsewhere
        op.execute(_APPLIED)
    op.drop_table("read_marks")
