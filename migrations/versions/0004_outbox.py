"""The outbox: events written with the change that caused them, published and replayed by id.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSITIONS = ("assigned", "published", "purged")


def upgrade() -> None:
    recipients = sa.JSON().with_variant(postgresql.ARRAY(sa.String(255)), "postgresql")
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("recipients", recipients, nullable=False),
        sa.Column("createdAt", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_events"),
    )
    if op.get_context().dialect.name == "postgresql":
        op.create_index(
            "ix_outbox_events_recipients",
            "outbox_events",
            ["recipients"],
            postgresql_using="gin",
        )
    op.create_index("ix_outbox_events_created_at", "outbox_events", ["createdAt"])
    state = op.create_table(
        "outbox_state",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_outbox_state"),
    )
    op.bulk_insert(state, [{"name": name, "position": 0} for name in POSITIONS])


def downgrade() -> None:
    op.drop_table("outbox_state")
    op.drop_index("ix_outbox_events_created_at", table_name="outbox_events")
    if op.get_context().dialect.name == "postgresql":
        op.drop_index("ix_outbox_events_recipients", table_name="outbox_events")
    op.drop_table("outbox_events")
