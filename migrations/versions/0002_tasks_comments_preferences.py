"""Tasks and comments on leads, notification preferences, and leads listed newest first.

Revision ID: 0002
Revises: 0001
Create Date: 2025-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_leads_newest", "leads", [sa.column("createdAt").desc(), sa.column("id").desc()]
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("leadId", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("assigneeId", sa.String(255)),
        sa.Column("createdById", sa.String(255), nullable=False),
        sa.Column("completedAt", sa.DateTime(timezone=True)),
        sa.Column("createdAt", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
        sa.ForeignKeyConstraint(
            ["leadId"], ["leads.id"], name="fk_tasks_lead_id_leads", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_tasks_lead_id", "tasks", ["leadId"])
    op.create_table(
        "comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("leadId", sa.Uuid(), nullable=False),
        sa.Column("authorId", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("createdAt", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_comments"),
        sa.ForeignKeyConstraint(
            ["leadId"], ["leads.id"], name="fk_comments_lead_id_leads", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_comments_lead_id_author_id", "comments", ["leadId", "authorId"])
    op.create_table(
        "notification_preferences",
        sa.Column("userId", sa.String(255), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updatedAt", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("userId", "type", name="pk_notification_preferences"),
    )
    muted = sa.not_(sa.column("enabled", sa.Boolean()))
    op.create_index(
        "ix_notification_preferences_muted",
        "notification_preferences",
        ["type"],
        postgresql_where=muted,
        sqlite_where=muted,
    )


def downgrade() -> None:
    op.drop_index("ix_notification_preferences_muted", "notification_preferences")
    op.drop_table("notification_preferences")
    op.drop_index("ix_comments_lead_id_author_id", "comments")
    op.drop_table("comments")
    op.drop_index("ix_tasks_lead_id", "tasks")
    op.drop_table("tasks")
    op.drop_index("ix_leads_newest", "leads")
