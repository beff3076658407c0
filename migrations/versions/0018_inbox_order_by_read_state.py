"""The inbox order of the entries not archived kept in two partial indexes, by read state.

Beside the unread entries' index (0003) and the archived ones' (0007) there was an index of
every entry in inbox order. A notification's entries are new and unread: each went into two
indexes keyed by its user first, each taking a leaf page per recipient. Now the read entries
not archived have an index of their own in the same order, and the index of every entry is
dropped: a new entry goes into the unread entries' index alone. A page of all the entries not
archived reads the two, merged. In the benchmark's burst (1,000 users told of 20 leads a second)
the dropped index cost PostgreSQL 0.7 to 0.8 s of CPU (bench/findings.md).

On PostgreSQL the new index is built while writes to the entries wait (1.3 s for an inbox of
1.4 million entries on the machine of `docs/benchmarks.md`), reads only for the old index's
drop at the end, until the upgrade commits. The merged reads of the groups keep the ties of a
walk's last entry (`FETCH FIRST … WITH TIES`): PostgreSQL 13 or later.

Revision ID: 0018_inbox_order_by_read_state
Revises: 0017_due_emails_by_notification
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_inbox_order_by_read_state"
down_revision: str | Sequence[str] | None = "0017_due_emails_by_notification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECIPIENTS = "notification_recipients"
EVERY_ENTRY = "ix_notification_recipients_inbox"
READ_ENTRIES = "ix_notification_recipients_read_inbox"
INBOX_ORDER = ["userId", sa.column("createdAt").desc(), sa.column("notificationId").desc()]
READ_IN_INBOX = sa.and_(sa.column("isRead", sa.Boolean()), sa.column("archivedAt").is_(None))


def upgrade() -> None:
    op.create_index(
        READ_ENTRIES,
        RECIPIENTS,
        INBOX_ORDER,
        postgresql_where=READ_IN_INBOX,
        sqlite_where=READ_IN_INBOX,
    )
    op.drop_index(EVERY_ENTRY, RECIPIENTS)


def downgrade() -> None:
    op.create_index(EVERY_ENTRY, RECIPIENTS, INBOX_ORDER)
    op.drop_index(READ_ENTRIES, RECIPIENTS)
