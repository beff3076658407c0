"""Notifications by age: what `herald purge` reads to find the oldest.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_notifications_created_at", "notifications", ["createdAt"])


def downgrade() -> None:
    op.drop_index("ix_notifications_created_at", "notifications")
