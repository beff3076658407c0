"""Each entry's actor, copied from its notification, and the groups' index covering what a
page of groups reads of its members (PostgreSQL), so that the page reads that index alone.

Revision ID: 0008_group_actors
Revises: 0007_engagement
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_group_actors"
down_revision: str | Sequence[str] | None = "0007_engagement"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECIPIENTS = "notification_recipients"
GROUP_INDEX = "ix_notification_recipients_group"
GROUP_ORDER = [
    "userId",
    "groupKey",
    sa.column("createdAt").desc(),
    sa.column("notificationId").desc(),
]


def upgrade() -> None:
    op.add_column(RECIPIENTS, sa.Column("actorId", sa.String(255)))
    op.drop_index(GROUP_INDEX, RECIPIENTS)  # rebuilt below: not kept up through the copy
    entry = f'{RECIPIENTS}."notificationId"'
    op.execute(
        f"""UPDATE {RECIPIENTS} SET "actorId" = (
                SELECT n."actorId" FROM notifications AS n WHERE n.id = {entry})
            WHERE {entry} IN (SELECT id FROM notifications WHERE "actorId" IS NOT NULL)"""
    )
    op.create_index(
        GROUP_INDEX,
        RECIPIENTS,
        GROUP_ORDER,
        postgresql_include=["isRead", "archivedAt", "actorId"],
    )


def downgrade() -> None:
    op.drop_index(GROUP_INDEX, RECIPIENTS)
    op.create_index(GROUP_INDEX, RECIPIENTS, GROUP_ORDER)
    op.drop_column(RECIPIENTS, "actorId")  # SQLite has DROP COLUMN since 3.35
