"""The outbox's large values compressed with lz4 rather than pglz, on PostgreSQL.

An event told to everyone carries every recipient twice (its `recipients` array, and its
payload) and its counts event every recipient's counts: for 10,000 users, about 540 KB a
`createLead`, compressed as the rows are written, while the commit holds the outbox's turn.
Writing those two rows took 16.7 ms with pglz and 8.0 ms with lz4, for values a fifth larger
(docs/benchmarks.md). Values already written keep their compression; a server built without
lz4 (or older than PostgreSQL 14, which has no choice of compression) keeps pglz. Nothing to
do on SQLite.

Revision ID: 0012_outbox_lz4
Revises: 0011_delivery_marks
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_outbox_lz4"
down_revision: str | Sequence[str] | None = "0011_delivery_marks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("payload", "recipients")


def upgrade() -> None:
    if _compression_choices() >= {"lz4"}:
        _compress_with("lz4")


def downgrade() -> None:
    if _compression_choices():
        _compress_with("default")


def _compression_choices() -> set[str]:
    """The compression methods this server offers for TOAST values: none on SQLite, nor on
    PostgreSQL before 14; `pglz`, and `lz4` where the server was built with it."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return set()
    choices = bind.execute(
        sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    ).scalar_one_or_none()
    return set(choices or ())


def _compress_with(method: str) -> None:
    # A change of the catalog alone, no value rewritten; but under the table's ACCESS EXCLUSIVE
    # lock, which every commit that writes an event would queue behind while the ALTER waits
    # for it: the ALTER waits 5 s at most, and the migration stops, to be run again.
    op.execute("SET LOCAL lock_timeout = '5s'")
    changes = ", ".join(f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in COLUMNS)
    op.execute(f"ALTER TABLE outbox_events {changes}")
    op.execute("SET LOCAL lock_timeout = DEFAULT")  # the migrations after this one wait as before
