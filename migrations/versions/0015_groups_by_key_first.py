"""The inbox's group index keyed by the group first, then the user.

Every reader of the index asks for one user and one group (a group's members, newest first), so
the key may begin with either. Begun with the user, a notification told to 10,000 users added
an entry to a leaf page of each of them; begun with the group, its entries go into one place of
the index, as they do in the primary key, while its group is young (new leads are grouped by
actor and day). In the benchmark's inbox of 1.1M entries, one lead's 10,000 entries took 177 ms
to insert at the median of eight, against 243 ms with the user first.

On PostgreSQL the new index is built beside the old one, then takes its name: new entries wait
while it is built (about 4 s for the inbox of a million entries, on the machine of
`docs/benchmarks.md`), reads only for the swap at the end. SQLite, which renames no index,
builds it again in place.

Revision ID: 0015_groups_by_key_first
Revises: 0014_read_marks
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_groups_by_key_first"
down_revision: str | Sequence[str] | None = "0014_read_marks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECIPIENTS = "notification_recipients"
GROUP_INDEX = "ix_notification_recipients_group"
NEWEST_FIRST = [sa.column("createdAt").desc(), sa.column("notificationId").desc()]


def upgrade() -> None:
    _group_index(["groupKey", "userId", *NEWEST_FIRST])


def downgrade() -> None:
    _group_index(["userId", "groupKey", *NEWEST_FIRST])


def _group_index(columns: list[str | sa.ColumnElement[object]]) -> None:
    # Made (a SHARE lock: reads go on), then swapped for the old one (ACCESS EXCLUSIVE, held
    # from then until the migration commits).
    on_postgresql = op.get_bind().dialect.name == "postgresql"
    if not on_postgresql:
        op.drop_index(GROUP_INDEX, RECIPIENTS)
    name = f"{GROUP_INDEX}_new" if on_postgresql else GROUP_INDEX
    op.create_index(
        name, RECIPIENTS, columns, postgresql_include=["isRead", "archivedAt", "actorId"]
    )
    if on_postgresql:
        op.drop_index(GROUP_INDEX, RECIPIENTS)
        op.execute(f'ALTER INDEX "{name}" RENAME TO "{GROUP_INDEX}"')
