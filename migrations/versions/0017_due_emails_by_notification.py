"""Due emails keyed by their notification first.

A lead told to 10,000 users with email on writes 10,000 due emails. Keyed by the user first,
each went into a leaf page of its own user in the key, and into a second index, of the
notification. Keyed by the notification first, a notification's due emails go into one place
of the key, which also serves the purge (the notification's index is dropped) and each
settlement; the users' order stays in `ix_due_emails_user_order`, which claims read. The
insert of a lead's 10,000 due emails took 74 to 120 ms keyed by the user, 48 to 95 keyed by
the notification (rounds taken in turn, bench/findings.md).

SQLite alters a key only by copying the table (batch mode), as 0010 did for the inbox.

Revision ID: 0017_due_emails_by_notification
Revises: 0016_due_emails_without_fk
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_due_emails_by_notification"
down_revision: str | Sequence[str] | None = "0016_due_emails_without_fk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DUE_EMAILS = "due_emails"
KEY = "pk_due_emails"
BY_NOTIFICATION = "ix_due_emails_notification_id"


def upgrade() -> None:
    with op.batch_alter_table(DUE_EMAILS) as table:
        table.drop_index(BY_NOTIFICATION)
        table.drop_constraint(KEY, type_="primary")
        table.create_primary_key(KEY, ["notificationId", "userId"])


def downgrade() -> None:
    with op.batch_alter_table(DUE_EMAILS) as table:
        table.drop_constraint(KEY, type_="primary")
        table.create_primary_key(KEY, ["userId", "notificationId"])
        table.create_index(BY_NOTIFICATION, ["notificationId"])
