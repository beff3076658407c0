"""A throw-away PostgreSQL database, migrated by `herald migrate`, seeded by set-based SQL."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

ADMIN_DSN = os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
HERALD = str(Path(sys.executable).with_name("herald"))
PREFIX = "herald_bench_"
HEAVY = "heavy"
LEADS = 1_000
CHUNK = 50_000


def user_id(number: int) -> str:
    return f"u{number:05d}"


@dataclass(frozen=True)
class Scale:
    """Ordinary users with `rows // users` notifications each (one in ten unread), plus the
    heavy user, whose newest `heavy_unread` of `heavy_rows` are unread."""

    rows: int
    users: int
    heavy_rows: int
    heavy_unread: int

    @property
    def total(self) -> int:
        return self.rows + self.heavy_rows

    @property
    def actor(self) -> str:
        """Creates the leads: every other registered user (`users` of them) is told."""
        return user_id(self.users - 1)


@dataclass(frozen=True)
class Database:
    name: str

    @property
    def dsn(self) -> str:
        return ADMIN_DSN.rsplit("/", 1)[0] + "/" + self.name

    @property
    def url(self) -> str:
        return self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


async def create_database() -> Database:
    database = Database(PREFIX + secrets.token_hex(4))
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{database.name}"')
    finally:
        await admin.close()
    return database


async def drop_database(database: Database) -> None:
    """Drops only a database this benchmark made (its name says so)."""
    assert database.name.startswith(PREFIX), database.name
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
    finally:
        await admin.close()


def migrate(database: Database, env: dict[str, str]) -> None:
    subprocess.run(
        [HERALD, "migrate"],
        env={**env, "DATABASE_URL": database.url},
        check=True,
        stdout=subprocess.DEVNULL,
    )


# One row of the seed per i: the heavy user's first, newest first, then the ordinary users'
# round-robin, the k-th round being each user's k-th newest. $1..$2 is the chunk.
_ROWS = """
SELECT md5('n' || i)::uuid AS id,
       CASE WHEN i < $3 THEN 'heavy' ELSE 'u' || lpad(((i - $3) % $4)::text, 5, '0') END
           AS user_id,
       CASE WHEN i < $3 THEN i < $5 ELSE ((i - $3) / $4) % 10 = 0 END AS unread,
       $6::timestamptz - CASE
           WHEN i < $3 THEN i * interval '20 seconds'
           ELSE ((i - $3) / $4) * interval '6 hours' + ((i - $3) % $4) * interval '1 second'
       END AS at,
       i
FROM generate_series($1::bigint, $2::bigint - 1) AS i
"""

# Each row's type, lead and actor, from its i alone: the notification and its recipient agree.
_TYPE = "(ARRAY['lead_created', 'task_completed', 'score_updated', 'comment_added'])[1 + i % 4]"
_LEAD = f"md5('l' || i % {LEADS})::uuid"
_ACTOR = "'u' || lpad((i % 97)::text, 5, '0')"
# `Notification.group_key`: new leads by UTC day and actor, the others by type and lead.
_GROUP_KEY = f"""CASE WHEN {_TYPE} = 'lead_created'
    THEN 'lead_created:' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ':' || {_ACTOR}
    ELSE {_TYPE} || ':' || ({_LEAD})::text END"""

_NOTIFICATIONS = f"""
INSERT INTO notifications (id, type, title, message, "relatedLeadId", "actorId",
                           "createdAt", "updatedAt")
SELECT id,
       {_TYPE},
       'New lead: Lead ' || i % {LEADS},
       'User ' || i % 97 || ' created the lead “Lead ' || i % {LEADS} || '” at Company '
           || i % {LEADS},
       {_LEAD},
       {_ACTOR},
       at, at
FROM ({_ROWS}) AS r
"""

# Read ones were seen when they were read; unread ones are unseen.
_RECIPIENTS = f"""
INSERT INTO notification_recipients ("userId", "notificationId", "isRead", "readAt",
                                     "seenAt", "groupKey", "actorId", "createdAt", "updatedAt")
SELECT user_id, id, NOT unread,
       CASE WHEN unread THEN NULL ELSE at + interval '1 hour' END,
       CASE WHEN unread THEN NULL ELSE at + interval '1 hour' END,
       {_GROUP_KEY},
       {_ACTOR},
       at,
       CASE WHEN unread THEN at ELSE at + interval '1 hour' END
FROM ({_ROWS}) AS r
"""


# Each user's counts as Herald keeps them (inbox_counts), from their entries: after the seed,
# and after the benchmark puts entries back as they were. `$1` is a user id, or NULL for all.
# The rows count every entry as their own: they have missed every broadcast so far.
RECOUNT = """
INSERT INTO inbox_counts ("userId", unread, unseen, total, "broadcastsMissed")
SELECT "userId",
       count(*) FILTER (WHERE NOT "isRead" AND "archivedAt" IS NULL),
       count(*) FILTER (WHERE "seenAt" IS NULL AND "archivedAt" IS NULL),
       count(*) FILTER (WHERE "archivedAt" IS NULL),
       (SELECT sent FROM inbox_broadcasts)
FROM notification_recipients
WHERE $1::varchar IS NULL OR "userId" = $1::varchar
GROUP BY "userId"
ON CONFLICT ("userId") DO UPDATE
SET unread = excluded.unread, unseen = excluded.unseen, total = excluded.total,
    "broadcastsMissed" = excluded."broadcastsMissed"
"""


async def seed(database: Database, scale: Scale) -> float:
    """Fills the inbox; returns the seconds it took (VACUUM ANALYZE and a checkpoint included)."""
    started = time.monotonic()
    connection = await asyncpg.connect(database.dsn)
    try:
        await connection.execute("SET synchronous_commit = off")
        now = datetime.now(UTC)
        await connection.execute(
            """INSERT INTO users (id, email, "createdAt", "updatedAt")
               SELECT id, id || '@example.com', $2::timestamptz, $2
               FROM (SELECT 'u' || lpad(i::text, 5, '0') FROM generate_series(0, $1 - 1) AS i
                     UNION ALL SELECT 'heavy') AS ids (id)""",
            scale.users,
            now,
        )
        await connection.execute(
            """INSERT INTO leads (id, name, company, score, "ownerId", "createdAt", "updatedAt")
               SELECT md5('l' || i)::uuid, 'Lead ' || i, 'Company ' || i, i % 101, 'u00000',
                      $1, $1
               FROM generate_series(0, $2 - 1) AS i""",
            now,
            LEADS,
        )
        arguments = (scale.heavy_rows, scale.users, scale.heavy_unread, now)
        for start in range(0, scale.total, CHUNK):
            end = min(start + CHUNK, scale.total)
            async with connection.transaction():
                await connection.execute(_NOTIFICATIONS, start, end, *arguments)
                await connection.execute(_RECIPIENTS, start, end, *arguments)
            _progress(end, scale.total, started)
        await connection.execute(RECOUNT, None)
        print(" VACUUM ANALYZE, CHECKPOINT…", end="", file=sys.stderr, flush=True)
        await connection.execute(
            "VACUUM (ANALYZE) users, leads, notifications, inbox_counts, inbox_broadcasts"
        )
        await connection.execute("VACUUM (ANALYZE) notification_recipients")
        # What the seed wrote, and whatever the passes before it left, flushed now: otherwise
        # a checkpoint writes it out during the pass measured next, as fast as the WAL comes
        # (a socket run writes about 160 MiB of it), and each pass would pay a different debt.
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()
    seconds = time.monotonic() - started
    print(f" done in {seconds:.0f} s", file=sys.stderr)
    return seconds


def _progress(done: int, total: int, started: float) -> None:
    width = 30
    filled = width * done // total
    bar = "#" * filled + "-" * (width - filled)
    elapsed = time.monotonic() - started
    print(
        f"\r  seeding [{bar}] {done / total:4.0%} {done:,}/{total:,} rows {elapsed:4.0f} s",
        end="",
        file=sys.stderr,
        flush=True,
    )
