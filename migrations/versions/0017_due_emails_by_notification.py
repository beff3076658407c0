"""Due emails keyed by their notification first.

A lead told to 10,000 users with email on writes 10,000 due emails. Keyed by the user first,
each went into a leaf page of its own user in the key, as well as in a second index by the
notification: with email on, `createLead` to 10,000 users answered in 292 and 342 ms at the
median, against 200 and 201 with email off (bench/findings.md). Keyed by the notification
first, a notification's due emails go into one place of the key, which also serves the purge
(its own index is dropped); the users' order stays in `ix_due_emails_user_order`, which every
claim, renewal and settlement reads by user. 241 and 272 ms with email on after it.

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
