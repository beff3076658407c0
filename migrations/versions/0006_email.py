"""The email channel: due emails, and the `email` switch of each preference.

Revision ID: 0006_email
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_email"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "notification_preferences",
        sa.Column("email", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "due_emails",
        sa.Column("userId", sa.String(255), nullable=False),
        sa.Column("notificationId", sa.Uuid(), nullable=False),
        sa.Column("dueAt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimedUntil", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("userId", "notificationId", name="pk_due_emails"),
        sa.ForeignKeyConstraint(
            ["notificationId"],
            ["notifications.id"],
            name="fk_due_emails_notification_id_notifications",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_due_emails_due_at", "due_emails", ["dueAt"])
    op.create_index("ix_due_emails_user_order", "due_emails", ["userId", "dueAt", "notificationId"])
    op.create_index("ix_due_emails_notification_id", "due_emails", ["notificationId"])


def downgrade() -> None:
    op.drop_index("ix_due_emails_notification_id", "due_emails")
    op.drop_index("ix_due_emails_user_order", "due_emails")
    op.drop_index("ix_due_emails_due_at", "due_emails")
    op.drop_table("due_emails")
    op.drop_column("notification_preferences", "email")  # SQLite has DROP COLUMN since 3.35
