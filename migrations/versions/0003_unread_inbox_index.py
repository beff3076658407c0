"""The unread part of each inbox, in inbox order: the feed's `unreadOnly` pages.

Revision ID: 0003
Revises: 0002
Create Date: 2025-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    unread = sa.not_(sa.column("isRead", sa.Boolean()))
    op.create_index(
        "ix_notification_recipients_unread_inbox",
        "notification_recipients",
        ["userId", sa.column("createdAt").desc(), sa.column("notificationId").desc()],
        postgresql_where=unread,
        sqlite_where=unread,
    )


def downgrade() -> None:
    op.drop_index("ix_notification_recipients_unread_inbox", "notification_recipients")
