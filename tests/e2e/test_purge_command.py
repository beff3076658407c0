"""End to end: `herald purge --older-than DAYS` on SQLite and PostgreSQL, as an operator runs it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
import sqlalchemy as sa
from e2e_support import herald, herald_env

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.migrations import upgrade
from adapters.sqlalchemy.tables import (
    comments,
    leads,
    notification_preferences,
    notification_recipients,
    notifications,
    outbox_events,
    outbox_state,
    tasks,
    users,
)
from domain.events import NotificationsBulkUpdated

pytestmark = pytest.mark.e2e

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=20)


@pytest.fixture
def sqlite_target(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target_url(request: pytest.FixtureRequest) -> str:
    """A database at the head of the migrations, of each kind."""
    url: str = request.getfixturevalue(
        "own_database_url" if request.param == "postgres" else "sqlite_target"
    )
    return url


@dataclass
class Seeded:
    lead_id: UUID
    old_read: UUID  # 40 days old, in bob's and carol's inboxes (carol read it)
    old_left: UUID  # 40 days old, deleted from every inbox
    recent: UUID  # 20 days old, in bob's inbox


def a_notification(at: datetime, lead_id: UUID | None = None) -> dict[str, Any]:
    return {
        "id": uuid4(),
        "type": "lead_created",
        "title": "New lead: Umbrella",
        "message": "Alice created the lead “Umbrella”",
        "related_lead_id": lead_id,
        "actor_id": "alice",
        "created_at": at,
        "updated_at": at,
    }


def an_entry(user_id: str, notification: dict[str, Any], read: bool = False) -> dict[str, Any]:
    at = notification["created_at"]
    return {
        "user_id": user_id,
        "notification_id": notification["id"],
        "is_read": read,
        "read_at": at if read else None,
        "created_at": at,
        "updated_at": at,
    }


def an_event(event_id: int, at: datetime) -> dict[str, Any]:
    event = NotificationsBulkUpdated("bob", event_id)
    return {
        "id": event_id,
        "kind": type(event).__name__,
        "payload": msgspec.json.encode(event).decode(),
        "recipients": ["bob"],
        "created_at": at,
    }


async def seed(url: str) -> Seeded:
    """What 40 days of a CRM leave behind, written straight into the tables."""
    lead_id = uuid4()
    old_read, old_left = a_notification(OLD, lead_id), a_notification(OLD)
    recent = a_notification(RECENT, lead_id)
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(users),
                [
                    {"id": user_id, "name": user_id, "created_at": OLD, "updated_at": OLD}
                    for user_id in ("alice", "bob", "carol")
                ],
            )
            await connection.execute(
                sa.insert(leads).values(
                    id=lead_id,
                    name="Umbrella",
                    score=10,
                    owner_id="alice",
                    created_at=OLD,
                    updated_at=OLD,
                )
            )
            await connection.execute(
                sa.insert(tasks).values(
                    id=uuid4(), lead_id=lead_id, title="Call", created_by_id="bob", created_at=OLD
                )
            )
            await connection.execute(
                sa.insert(comments).values(
                    id=uuid4(), lead_id=lead_id, author_id="carol", body="Hot!", created_at=OLD
                )
            )
            await connection.execute(
                sa.insert(notification_preferences).values(
                    user_id="bob", type="score_updated", enabled=False, updated_at=OLD
                )
            )
            await connection.execute(sa.insert(notifications), [old_read, old_left, recent])
            await connection.execute(
                sa.insert(notification_recipients),
                [
                    an_entry("bob", old_read),
                    an_entry("carol", old_read, read=True),
                    an_entry("bob", recent),
                ],
            )
            # Events 1..4 are old, 5 and 6 recent; the relay has published up to 3 only.
            await connection.execute(
                sa.insert(outbox_events),
                [an_event(number, OLD) for number in range(1, 5)]
                + [an_event(number, RECENT) for number in (5, 6)],
            )
            for name, position in (("assigned", 6), ("published", 3)):
                await connection.execute(
                    sa.update(outbox_state)
                    .where(outbox_state.c.name == name)
                    .values(position=position)
                )
    finally:
        await engine.dispose()
    return Seeded(lead_id, old_read["id"], old_left["id"], recent["id"])


async def what_is_left(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:

            async def column(statement: sa.Select[Any]) -> list[Any]:
                return sorted((await connection.execute(statement)).scalars())

            async def count(table: sa.Table) -> int:
                return int(await connection.scalar(sa.select(sa.func.count()).select_from(table)))

            entries = await connection.execute(
                sa.select(
                    notification_recipients.c.user_id, notification_recipients.c.notification_id
                )
            )
            positions = await connection.execute(sa.select(outbox_state))
            return {
                "notifications": await column(sa.select(notifications.c.id)),
                "entries": sorted(tuple(row) for row in entries),
                "events": await column(sa.select(outbox_events.c.id)),
                "positions": {row.name: row.position for row in positions},
                "users": await column(sa.select(users.c.id)),
                "leads": await column(sa.select(leads.c.id)),
                "tasks": await count(tasks),
                "comments": await count(comments),
                "preferences": await count(notification_preferences),
            }
    finally:
        await engine.dispose()


def test_purge_deletes_what_is_older_than_the_days_and_nothing_else(target_url: str) -> None:
    seeded = asyncio.run(seed(target_url))
    env = herald_env(DATABASE_URL=target_url)

    first = herald("purge", "--older-than", "30", env=env)
    again = herald("purge", "--older-than", "30", env=env)

    assert first.returncode == 0, first.stderr
    assert (
        "deleted 2 notifications and 3 events older than 30 days; 2 inbox entries went with "
        "the notifications"  # bob's and carol's of the old notification read by carol
    ) in first.stdout
    assert again.returncode == 0, again.stderr
    assert "deleted 0 notifications and 0 events older than 30 days; 0 inbox" in again.stdout
    left = asyncio.run(what_is_left(target_url))
    assert left["notifications"] == [seeded.recent]
    assert left["entries"] == [("bob", seeded.recent)]
    # The old event the relay has not yet published stays, for the relay to send; 7 tells the
    # users who lost an unread notification their new unread count.
    assert left["events"] == [4, 5, 6, 7]
    # Clients whose last event is older than 3 are told to resync.
    assert left["positions"] == {"assigned": 7, "published": 3, "purged": 3}
    assert left["users"] == ["alice", "bob", "carol"]
    assert left["leads"] == [seeded.lead_id]
    assert (left["tasks"], left["comments"], left["preferences"]) == (1, 1, 1)


def test_a_longer_period_keeps_more(target_url: str) -> None:
    seeded = asyncio.run(seed(target_url))

    result = herald("purge", "--older-than", "50", env=herald_env(DATABASE_URL=target_url))

    assert result.returncode == 0, result.stderr
    assert "deleted 0 notifications and 0 events" in result.stdout
    left = asyncio.run(what_is_left(target_url))
    assert len(left["notifications"]) == 3
    assert seeded.old_left in left["notifications"]
    assert left["events"] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("days", ["0", "abc", "-1", "1.5", " ", "99999999999"])
def test_a_bad_number_of_days_is_refused_with_one_line_and_deletes_nothing(
    sqlite_target: str, days: str
) -> None:
    # Refused before the database is opened: one backend tells as much as two.
    asyncio.run(seed(sqlite_target))
    before = asyncio.run(what_is_left(sqlite_target))

    result = herald("purge", f"--older-than={days}", env=herald_env(DATABASE_URL=sqlite_target))

    assert result.returncode != 0
    assert "--older-than must be a whole number of days" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert asyncio.run(what_is_left(sqlite_target)) == before


def test_a_bad_retention_days_setting_is_refused_with_one_line(tmp_path: Path) -> None:
    env = herald_env(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}", RETENTION_DAYS="0"
    )

    for command in (("purge", "--older-than", "30"), ("serve",)):
        result = herald(*command, env=env)

        assert result.returncode != 0
        assert "RETENTION_DAYS must be a positive integer" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.postgres
def test_purge_refuses_a_postgresql_schema_that_is_behind(empty_postgres: str) -> None:
    result = herald("purge", "--older-than", "30", env=herald_env(DATABASE_URL=empty_postgres))

    assert result.returncode != 0
    assert "herald migrate" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
