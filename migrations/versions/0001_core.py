"""Users, leads, notifications (stored once) and their recipients (one row each).

Revision ID: 0001
Revises:
Create Date: 2025-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("createdAt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updatedAt", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("email", sa.String(254)),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("company", sa.String(200)),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("ownerId", sa.String(255)),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_leads"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("relatedLeadId", sa.Uuid()),
        sa.Column("actorId", sa.String(255)),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.ForeignKeyConstraint(
            ["relatedLeadId"],
            ["leads.id"],
            name="fk_notifications_related_lead_id_leads",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
    )
    op.create_index("ix_notifications_related_lead_id", "notifications", ["relatedLeadId"])
    op.create_table(
        "notification_recipients",
        sa.Column("userId", sa.String(255), nullable=False),
        sa.Column("notificationId", sa.Uuid(), nullable=False),
        sa.Column("isRead", sa.Boolean(), nullable=False),
        sa.Column("readAt", sa.DateTime(timezone=True)),
        *_timestamps(),
        sa.PrimaryKeyConstraint("userId", "notificationId", name="pk_notification_recipients"),
        sa.ForeignKeyConstraint(
            ["notificationId"],
            ["notifications.id"],
            name="fk_notification_recipients_notification_id_notifications",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_notification_recipients_inbox",
        "notification_recipients",
        ["userId", sa.column("createdAt").desc(), sa.column("notificationId").desc()],
    )
    unread = sa.not_(sa.column("isRead", sa.Boolean()))
    op.create_index(
        "ix_notification_recipients_unread",
        "notification_recipients",
        ["userId"],
        postgresql_where=unread,
        sqlite_where=unread,
    )
    op.create_index(
        "ix_notification_recipients_notification_id", "notification_recipients", ["notificationId"]
    )


def downgrade() -> None:
    op.drop_index("ix_notification_recipients_notification_id", "notification_recipients")
    op.drop_index("ix_notification_recipients_unread", "notification_recipients")
    op.drop_index("ix_notification_recipients_inbox", "notification_recipients")
    op.drop_table("notification_recipients")
    op.drop_index("ix_notifications_related_lead_id", "notifications")
    op.drop_table("notifications")
    op.drop_table("leads")
    op.drop_table("users")
