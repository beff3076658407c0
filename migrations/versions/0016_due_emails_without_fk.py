"""Due emails without a foreign key to their notification.

PostgreSQL checked the key once per row: with email on, a lead told to 10,000 users looked its
notification up 10,000 times, nearly half of the insert of its due emails (184 ms at the median
with the key, 102 without it, on the benchmark's machine). A due email is written with its
notification, in one unit of work, and the purge now deletes both, as it does the inbox's
entries since 0010.

SQLite alters a key only by copying the table (batch mode). Down, the due emails left without
their notification (none, unless written by hand) are deleted before the key is made again.

Revision ID: 0016_due_emails_without_fk
Revises: 0015_groups_by_key_first
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_due_emails_without_fk"
down_revision: str | Sequence[str] | None = "0015_groups_by_key_first"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DUE_EMAILS = "due_emails"
FOREIGN_KEY = "fk_due_emails_notification_id_notifications"


def upgrade() -> None:
    with op.batch_alter_table(DUE_EMAILS) as table:
        table.drop_constraint(FOREIGN_KEY, type_="foreignkey")


def downgrade() -> None:
    # NOT EXISTS: an anti-join, where PostgreSQL runs `NOT IN (SELECT …)` over every
    # notification for each due email once the ids no longer fit its hash's memory.
    op.execute(
        f"DELETE FROM {DUE_EMAILS} WHERE NOT EXISTS (SELECT 1 FROM notifications"
        f' WHERE notifications.id = {DUE_EMAILS}."notificationId")'
    )
    with op.batch_alter_table(DUE_EMAILS) as table:
        table.create_foreign_key(
            FOREIGN_KEY, "notifications", ["notificationId"], ["id"], ondelete="CASCADE"
        )
