"""A notification told to most users is counted once, not once per recipient: the broadcasts
counted so far (inbox_broadcasts, one row) and, in each user's counts, how many of them did not
reach that user.

Revision ID: 0009_inbox_broadcasts
Revises: 0008_group_actors
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_inbox_broadcasts"
down_revision: str | Sequence[str] | None = "0008_group_actors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MISSED = "broadcastsMissed"


def upgrade() -> None:
    broadcasts = op.create_table(
        "inbox_broadcasts",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("sent", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_broadcasts"),
        sa.CheckConstraint("id = 1", name="ck_inbox_broadcasts_one_row"),
    )
    op.bulk_insert(broadcasts, [{"id": 1, "sent": 0}])
    # Every count so far is a row's own: none of them came from a broadcast. Then no default:
    # a row written without the column (by a process of an earlier version) fails, rather than
    # being given every broadcast.
    op.add_column(
        "inbox_counts",
        sa.Column(MISSED, sa.BigInteger(), nullable=False, server_default="0"),
    )
    with op.batch_alter_table("inbox_counts") as table:
        table.alter_column(MISSED, existing_type=sa.BigInteger(), server_default=None)


def downgrade() -> None:
    # The broadcasts each user received go back into their own counts.
    received = f'(SELECT sent FROM inbox_broadcasts) - "{MISSED}"'
    op.execute(
        f"""UPDATE inbox_counts SET unread = unread + {received},
            unseen = unseen + {received}, total = total + {received}"""
    )
    op.drop_column("inbox_counts", MISSED)
    op.drop_table("inbox_broadcasts")
