"""Users' ids and groups' keys compared in code point order on PostgreSQL, whatever the database's
collation.

The contract orders receipts by `userId` ascending and groups at one instant by `key`
ascending. SQLite and the in-memory adapters compare by code point; PostgreSQL compared in the
database's collation, so a database made with an ICU or a language's collation (`en_US.UTF-8`,
the default of many servers) gave `_u1, amy, Bob` where the contract means `Bob, _u1, amy`, and
a page of groups went on after its cursor in that order too. Every column that holds a user's
id gets the collation "C", and the groups' keys: PostgreSQL compares two columns only in one
collation, and uses an index only for comparisons in its own, so they all change together.
Nothing changes on SQLite, which compares text by its bytes.

No row is rewritten (the type stays `varchar`), but each index on these columns is built again
while its table is locked: about 4 s for the inbox of a million entries, on the machine of
`docs/benchmarks.md`. Down, the columns take the database's collation again.

Revision ID: 0013_ids_in_code_point_order
Revises: 0012_outbox_lz4
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_ids_in_code_point_order"
down_revision: str | Sequence[str] | None = "0012_outbox_lz4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each table's columns of ids (and keys), with their types.
COLUMNS = {
    "users": {"id": "varchar(255)"},
    "leads": {"ownerId": "varchar(255)"},
    "notifications": {"actorId": "varchar(255)"},
    "notification_recipients": {
        "userId": "varchar(255)",
        "actorId": "varchar(255)",
        "groupKey": "varchar(400)",
    },
    "delivery_marks": {"userId": "varchar(255)"},
    "delivery_positions": {"userId": "varchar(255)"},
    "inbox_counts": {"userId": "varchar(255)"},
    "tasks": {"assigneeId": "varchar(255)", "createdById": "varchar(255)"},
    "comments": {"authorId": "varchar(255)"},
    "notification_preferences": {"userId": "varchar(255)"},
    "outbox_events": {"recipients": "varchar(255)[]"},
    "due_emails": {"userId": "varchar(255)"},
}


def upgrade() -> None:
    _collate('"C"')


def downgrade() -> None:
    _collate('"default"')


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(
            f'ALTER COLUMN "{column}" TYPE {kind} COLLATE {collation}'
            for column, kind in columns.items()
        )
        op.execute(f"ALTER TABLE {table} {changes}")
