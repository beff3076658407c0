"""The Alembic migrations go up, down and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine
from test_concurrency_contract import counted_entries, kept_counts

from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.migrations import (
    downgrade,
    head_revision,
    schema_is_current,
    upgrade,
    upgrade_async,
)
from adapters.sqlalchemy.tables import (
    comments,
    due_emails,
    leads,
    metadata,
    notifications,
    tasks,
)
from adapters.sqlalchemy.tables import notification_recipients as recipients
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from builders import a_notification
from domain.notifications import Notification, NotificationType
from domain.users import User

SCHEMA_0001 = {
    "users": set(),
    "leads": set(),
    "notifications": {"ix_notifications_related_lead_id"},
    "notification_recipients": {
        "ix_notification_recipients_inbox",
        "ix_notification_recipients_unread",
        "ix_notification_recipients_notification_id",
    },
}
SCHEMA_0002 = {
    **SCHEMA_0001,
    "leads": {"ix_leads_newest"},
    "tasks": {"ix_tasks_lead_id"},
    "comments": {"ix_comments_lead_id_author_id"},
    "notification_preferences": {"ix_notification_preferences_muted"},
}
SCHEMA_0003 = {
    **SCHEMA_0002,
    "notification_recipients": {
        *SCHEMA_0002["notification_recipients"],
        "ix_notification_recipients_unread_inbox",
    },
}
SCHEMA_0004 = {
    **SCHEMA_0003,
    "outbox_events": {"ix_outbox_events_created_at"},
    "outbox_state": set(),
}
SCHEMA_0005 = {
    **SCHEMA_0004,
    "notifications": {*SCHEMA_0004["notifications"], "ix_notifications_created_at"},
}
SCHEMA_0006 = {
    **SCHEMA_0005,
    "due_emails": {
        "ix_due_emails_due_at",
        "ix_due_emails_user_order",
        "ix_due_emails_notification_id",
    },
}
SCHEMA = {
    **SCHEMA_0006,
    # The counts are kept in inbox_counts: no index counts the unread or unseen entries.
    # The key, the notification first, finds a notification's entries (0010).
    "notification_recipients": {
        *(
            SCHEMA_0006["notification_recipients"]
            - {
                "ix_notification_recipients_unread",
                "ix_notification_recipients_notification_id",
                # The inbox order in three partial indexes, by state (0018).
                "ix_notification_recipients_inbox",
            }
        ),
        "ix_notification_recipients_read_inbox",
        "ix_notification_recipients_archived",
        "ix_notification_recipients_group",
    },
    # Delivery confirmations are marks (0011): the count of what one covers reads the events.
    "notifications": {*SCHEMA_0006["notifications"], "ix_notifications_event_id"},
    "inbox_counts": set(),
    "inbox_broadcasts": set(),
    "delivery_marks": {"ix_delivery_marks_through"},
    "delivery_positions": set(),
    "read_marks": set(),
    # The key, the notification first, finds a notification's due emails (0017).
    "due_emails": SCHEMA_0006["due_emails"] - {"ix_due_emails_notification_id"},
    # A row per notification, written with it; its recipients' rows after the answer (0019).
    "scheduled_emails": set(),
}
# The outbox's recipients are searched with a GIN index where there is one.
POSTGRESQL_ONLY = {"outbox_events": {"ix_outbox_events_recipients"}}


def schema_on(database_url: str) -> dict[str, set[str]]:
    if not database_url.startswith("postgresql"):
        return SCHEMA
    return {table: SCHEMA[table] | POSTGRESQL_ONLY.get(table, set()) for table in SCHEMA}


# Each partial index, and the column its WHERE clause tests.
PARTIAL_INDEXES = {
    ("notification_preferences", "ix_notification_preferences_muted"): "enabled",
    ("notification_recipients", "ix_notification_recipients_unread_inbox"): "isRead",
    ("notification_recipients", "ix_notification_recipients_read_inbox"): "isRead",
    ("notification_recipients", "ix_notification_recipients_archived"): "archivedAt",
}
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


async def indexes_by_table(engine: AsyncEngine) -> dict[str, set[str]]:
    """Herald's tables in the database, each with the names of its indexes."""

    def inspect(connection: sa.Connection) -> dict[str, set[str]]:
        inspector = sa.inspect(connection)
        return {
            table: {str(index["name"]) for index in inspector.get_indexes(table)}
            for table in inspector.get_table_names()
            if table != "alembic_version"
        }

    async with engine.connect() as connection:
        return await connection.run_sync(inspect)


async def partial_index_conditions(engine: AsyncEngine) -> dict[tuple[str, str], str]:
    """The WHERE clause of each partial index, as the database reports it."""

    def inspect(connection: sa.Connection) -> dict[tuple[str, str], str]:
        inspector = sa.inspect(connection)
        where = f"{connection.dialect.name}_where"
        return {
            (table, str(index["name"])): str(index["dialect_options"][where])
            for table in inspector.get_table_names()
            for index in inspector.get_indexes(table)
            if where in index.get("dialect_options", {})
        }

    async with engine.connect() as connection:
        return await connection.run_sync(inspect)


async def test_migrations_go_up_down_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert not await schema_is_current(engine)

        await upgrade_async(database_url)
        assert await schema_is_current(engine)
        assert await indexes_by_table(engine) == schema_on(database_url)

        await asyncio.to_thread(downgrade, database_url, "0001")
        assert not await schema_is_current(engine)
        assert await indexes_by_table(engine) == SCHEMA_0001

        await upgrade_async(database_url)
        assert await schema_is_current(engine)
        assert await indexes_by_table(engine) == schema_on(database_url)

        await asyncio.to_thread(downgrade, database_url, "base")
        assert not await schema_is_current(engine)
        assert await indexes_by_table(engine) == {}

        await upgrade_async(database_url)
        assert await schema_is_current(engine)
        assert await indexes_by_table(engine) == schema_on(database_url)
    finally:
        await engine.dispose()


async def test_partial_indexes_hold_only_the_rows_they_are_for(database_url: str) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    try:
        conditions = await partial_index_conditions(engine)
    finally:
        await engine.dispose()

    assert conditions.keys() == PARTIAL_INDEXES.keys()
    for index, column in PARTIAL_INDEXES.items():
        assert column in conditions[index]


async def test_leads_made_before_0002_get_tasks_and_comments_that_go_with_them(
    database_url: str,
) -> None:
    await upgrade_async(database_url, "0001")
    engine = make_engine(database_url)
    lead_id = uuid4()
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(leads).values(
                    id=lead_id, name="Umbrella", score=0, created_at=NOW, updated_at=NOW
                )
            )

        await upgrade_async(database_url)

        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(tasks).values(
                    id=uuid4(),
                    lead_id=lead_id,
                    title="Call back",
                    created_by_id="alice",
                    created_at=NOW,
                )
            )
            await connection.execute(
                sa.insert(comments).values(
                    id=uuid4(), lead_id=lead_id, author_id="bob", body="Hot!", created_at=NOW
                )
            )
        async with engine.begin() as connection:
            await connection.execute(sa.delete(leads).where(leads.c.id == lead_id))
        async with engine.connect() as connection:
            for table in (tasks, comments):
                count = sa.select(sa.func.count()).select_from(table)
                assert await connection.scalar(count) == 0
    finally:
        await engine.dispose()


def made_on(dialect: str) -> Callable[..., bool]:
    """Leave out what the tables make only on another database (`Index.ddl_if(dialect=…)`)."""

    def include(item: object, *_: object) -> bool:
        condition = getattr(item, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect)

    return include


async def test_the_migrated_schema_is_the_one_the_tables_describe(database_url: str) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"include_object": made_on(sync.dialect.name)}
                    ),
                    metadata,
                )
            )
    finally:
        await engine.dispose()

    assert differences == []


def test_upgrade_runs_from_plain_code(tmp_path: Path) -> None:
    """The CLI's way: no event loop running, and a `%` in the URL (here in the file name)."""
    path = tmp_path / "100%.db"

    upgrade(f"sqlite+aiosqlite:///{path}")

    with sqlite3.connect(path) as connection:
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [(head_revision(),)]


async def test_0007_puts_existing_entries_in_their_groups_and_sees_the_read_ones(
    database_url: str,
) -> None:
    await upgrade_async(database_url, "0006_email")
    engine = make_engine(database_url)
    lead_id = uuid4()
    two_hours_east = timezone(timedelta(hours=2))
    made = [
        Notification(uuid4(), kind, "Title", "Message", lead, actor, at)
        for kind, lead, actor, at in [
            (
                NotificationType.LEAD_CREATED,
                lead_id,
                "alice",
                datetime(2025, 3, 14, 23, 59, tzinfo=UTC),
            ),
            # Just after midnight east of Greenwich: still the 14th in UTC.
            (
                NotificationType.LEAD_CREATED,
                None,
                None,
                datetime(2025, 3, 15, 1, 30, tzinfo=two_hours_east),
            ),
            (NotificationType.COMMENT_ADDED, lead_id, "bob", NOW),
            (NotificationType.SCORE_UPDATED, lead_id, None, NOW),
            (NotificationType.TASK_COMPLETED, None, "carol", NOW),  # no lead: stands alone
        ]
    ]
    read_at = NOW + timedelta(minutes=5, microseconds=7)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(leads).values(
                    id=lead_id, name="Umbrella", score=0, created_at=NOW, updated_at=NOW
                )
            )
            for notification in made:
                await connection.execute(
                    sa.insert(notifications).values(
                        id=notification.id,
                        type=notification.type.value,
                        title=notification.title,
                        message=notification.message,
                        related_lead_id=notification.related_lead_id,
                        actor_id=notification.actor_id,
                        created_at=notification.created_at,
                        updated_at=notification.created_at,
                    )
                )
                for user_id, was_read in (("bob", True), ("carol", False)):
                    await connection.execute(
                        sa.insert(recipients).values(
                            notification_id=notification.id,
                            user_id=user_id,
                            is_read=was_read,
                            read_at=read_at if was_read else None,
                            created_at=notification.created_at,
                            updated_at=notification.created_at,
                        )
                    )

        await upgrade_async(database_url)

        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.select(
                        recipients.c.notification_id,
                        recipients.c.user_id,
                        recipients.c.group_key,
                        recipients.c.read_at,
                        recipients.c.seen_at,
                        recipients.c.delivered_at,
                        recipients.c.archived_at,
                    )
                )
            ).all()
    finally:
        await engine.dispose()

    key_of = {notification.id: notification.group_key for notification in made}
    assert len(rows) == 2 * len(made)
    for notification_id, user_id, group_key, was_read_at, seen_at, delivered, archived in rows:
        assert group_key == key_of[notification_id], user_id
        assert seen_at == was_read_at == (read_at if user_id == "bob" else None)
        assert (delivered, archived) == (None, None)
    assert {key_of[n.id] for n in made[:2]} == {
        "lead_created:2025-03-14:alice",
        "lead_created:2025-03-14:",
    }
    assert key_of[made[4].id] == f"task_completed:{made[4].id}"


async def test_0007_counts_each_users_entries_as_the_entries_themselves_do(
    database_url: str,
) -> None:
    await upgrade_async(database_url, "0006_email")
    engine = make_engine(database_url)
    # Every (user, read) mix: two unread and one read, one read, two unread, and none.
    held = {"bob": [False, False, True], "carol": [True], "dave": [False, False]}
    made = [
        Notification(uuid4(), NotificationType.COMMENT_ADDED, "T", "M", None, None, NOW)
        for _ in range(3)
    ]
    try:
        async with engine.begin() as connection:
            for notification in made:
                await connection.execute(
                    sa.insert(notifications).values(
                        id=notification.id,
                        type=notification.type.value,
                        title=notification.title,
                        message=notification.message,
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
            for user_id, reads in held.items():
                for notification, was_read in zip(made, reads, strict=False):
                    await connection.execute(
                        sa.insert(recipients).values(
                            notification_id=notification.id,
                            user_id=user_id,
                            is_read=was_read,
                            read_at=NOW if was_read else None,
                            created_at=NOW,
                            updated_at=NOW,
                        )
                    )

        await upgrade_async(database_url)

        async with engine.connect() as connection:
            kept = await kept_counts(connection)
            truth = await counted_entries(connection)
    finally:
        await engine.dispose()

    assert kept == truth == {"bob": (2, 2, 3), "carol": (0, 0, 1), "dave": (2, 2, 2)}


async def test_0008_copies_each_entrys_actor_from_its_notification(database_url: str) -> None:
    await upgrade_async(database_url, "0007_engagement")
    engine = make_engine(database_url)
    actors = {uuid4(): "alice", uuid4(): None}  # a notification without an actor keeps none
    try:
        async with engine.begin() as connection:
            for notification_id, actor_id in actors.items():
                await connection.execute(
                    sa.insert(notifications).values(
                        id=notification_id,
                        type=NotificationType.COMMENT_ADDED.value,
                        title="T",
                        message="M",
                        actor_id=actor_id,
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
                for user_id in ("bob", "carol"):
                    await connection.execute(
                        sa.insert(recipients).values(
                            notification_id=notification_id,
                            user_id=user_id,
                            is_read=False,
                            created_at=NOW,
                            updated_at=NOW,
                            group_key=f"comment_added:{notification_id}",
                        )
                    )

        await upgrade_async(database_url)

        async with engine.connect() as connection:
            copied = (
                await connection.execute(
                    sa.select(recipients.c.notification_id, recipients.c.actor_id)
                )
            ).all()
            if connection.dialect.name == "postgresql":  # a page of groups reads it alone
                definition = await connection.scalar(
                    sa.text(
                        "SELECT indexdef FROM pg_indexes"
                        " WHERE indexname = 'ix_notification_recipients_group'"
                    )
                )
                assert definition is not None
                assert definition.endswith('INCLUDE ("isRead", "archivedAt", "actorId")')
    finally:
        await engine.dispose()

    assert sorted(copied, key=str) == sorted(
        list(actors.items()) * 2,
        key=str,
    )


async def test_0009_down_puts_each_users_broadcasts_back_in_their_own_counts(
    database_url: str,
) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    new_uow = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    users = [f"user-{number:02d}" for number in range(80)]
    try:
        for recipients_of_one, at in ((users[:2], 0), (users[1:75], 1), (users[5:], 2)):
            async with new_uow() as uow:
                await uow.inbox.add(a_notification(NOW + timedelta(seconds=at)), recipients_of_one)
                await uow.commit()
        async with new_uow() as uow:
            assert await uow.inbox.mark_all_read("user-10", NOW) == 2
            await uow.commit()
        async with engine.connect() as connection:
            assert await connection.scalar(sa.text("SELECT sent FROM inbox_broadcasts")) == 2

        # One row of broadcasts; no counts row without the broadcasts that missed it.
        for refused in (
            "INSERT INTO inbox_broadcasts (id, sent) VALUES (2, 0)",
            """INSERT INTO inbox_counts ("userId", unread, unseen, total)
                VALUES ('newcomer', 0, 0, 0)""",
        ):
            with pytest.raises(sa.exc.IntegrityError):
                async with engine.begin() as connection:
                    await connection.execute(sa.text(refused))

        await asyncio.to_thread(downgrade, database_url, "0008_group_actors")

        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text('SELECT "userId", unread, unseen, total FROM inbox_counts')
            )
            kept = {user_id: tuple(counts) for user_id, *counts in rows}
    finally:
        await engine.dispose()

    assert kept == {
        **dict.fromkeys(users[75:], (1, 1, 1)),
        **dict.fromkeys(users[5:75], (2, 2, 2)),
        **dict.fromkeys(users[2:5], (1, 1, 1)),
        "user-00": (1, 1, 1),
        "user-01": (2, 2, 2),
        "user-10": (0, 0, 2),
    }


async def keys_of(
    engine: AsyncEngine, table: str = "notification_recipients"
) -> tuple[list[str], list[tuple[list[str], str]]]:
    """A table's primary key columns, and each foreign key's columns and what it does on
    delete."""

    def inspect(connection: sa.Connection) -> tuple[list[str], list[tuple[list[str], str]]]:
        inspector = sa.inspect(connection)
        key = inspector.get_pk_constraint(table)["constrained_columns"]
        foreign = [
            (fk["constrained_columns"], str(fk["options"].get("ondelete")).upper())
            for fk in inspector.get_foreign_keys(table)
        ]
        return key, foreign

    async with engine.connect() as connection:
        return await connection.run_sync(inspect)


async def every_entry(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(recipients).order_by(recipients.c.user_id, recipients.c.created_at)
        )
        return [tuple(row) for row in rows]


async def test_0010_keys_entries_by_notification_first_and_keeps_them(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url, "0009_inbox_broadcasts")
    engine = make_engine(database_url)
    new_uow = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    users = ["ana", "bo", "cy"]
    try:
        async with new_uow() as uow:
            for at in range(3):
                await uow.inbox.add(a_notification(NOW + timedelta(seconds=at)), users[at:])
            await uow.commit()
        async with engine.begin() as connection:  # read, as markAllAsRead did at 0009
            read = await connection.execute(
                sa.text(
                    'UPDATE notification_recipients SET "isRead" = true, "readAt" = :now,'
                    ' "seenAt" = :now, "updatedAt" = :now WHERE "userId" = \'cy\''
                ),
                {"now": NOW},
            )
            assert read.rowcount == 3
        before = await every_entry(engine)
        assert len(before) == 6
        assert await keys_of(engine) == (
            ["userId", "notificationId"],
            [(["notificationId"], "CASCADE")],
        )

        await upgrade_async(database_url, "0010_entries_by_notification")
        assert await keys_of(engine) == (["notificationId", "userId"], [])
        assert await every_entry(engine) == before

        await asyncio.to_thread(downgrade, database_url, "0009_inbox_broadcasts")
        assert await keys_of(engine) == (
            ["userId", "notificationId"],
            [(["notificationId"], "CASCADE")],
        )
        assert await every_entry(engine) == before
    finally:
        await engine.dispose()


async def test_0011_down_gives_every_entry_a_mark_covers_the_marks_time(
    database_url: str,
) -> None:
    await asyncio.to_thread(upgrade, database_url, "0010_entries_by_notification")
    engine = make_engine(database_url)
    new_uow = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    told = [a_notification(NOW + timedelta(seconds=at)) for at in range(3)]
    confirmed_before, first, second = (NOW + timedelta(minutes=n) for n in (1, 2, 3))

    def delivered(rows: Sequence[sa.Row[Any]]) -> dict[tuple[str, int], datetime | None]:
        number = {notification.id: at for at, notification in enumerate(told)}
        return {(row.user_id, number[row.notification_id]): row.delivered_at for row in rows}

    try:
        async with new_uow() as uow:
            for notification in told:
                await uow.inbox.add(notification, ["ana", "bo"])
            await uow.commit()
        async with engine.begin() as connection:
            for event_id, notification in enumerate(told, start=1):
                await connection.execute(
                    sa.update(notifications)
                    .where(notifications.c.id == notification.id)
                    .values(event_id=event_id)
                )
            await connection.execute(
                sa.update(recipients)
                .where(recipients.c.user_id == "ana", recipients.c.notification_id == told[0].id)
                .values(delivered_at=confirmed_before)
            )

        await upgrade_async(database_url)
        async with new_uow() as uow:
            assert await uow.inbox.confirm_delivered({"ana": 2}, first) == 1
            assert await uow.inbox.confirm_delivered({"bo": 3}, second) == 3
            await uow.commit()
        await asyncio.to_thread(downgrade, database_url, "0010_entries_by_notification")

        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.select(
                    recipients.c.user_id, recipients.c.notification_id, recipients.c.delivered_at
                )
            )
            assert delivered(rows.all()) == {
                ("ana", 0): confirmed_before,
                ("ana", 1): first,
                ("ana", 2): None,
                ("bo", 0): second,
                ("bo", 1): second,
                ("bo", 2): second,
            }
    finally:
        await engine.dispose()


async def outbox_compression(engine: AsyncEngine) -> dict[str, str]:
    """How each large outbox column is compressed: the column's setting (`l` for lz4, empty
    for the server's default) and the method of a large value written now."""
    large = "x" * 100_000  # compressible, and over the size at which values are compressed;
    # so are the 20,000 recipients
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(
                'INSERT INTO outbox_events (id, kind, payload, recipients, "createdAt")'
                " SELECT 1, 'probe', :large, array_agg('user-' || n), now()"
                " FROM generate_series(1, 20000) AS n"
            ),
            {"large": large},
        )
        rows = await connection.execute(
            sa.text(
                "SELECT attname, attcompression::text AS setting FROM pg_attribute"
                " WHERE attrelid = 'outbox_events'::regclass"
                " AND attname IN ('payload', 'recipients')"
            )
        )
        settings = {f"{row.attname} setting": row.setting for row in rows}
        written = await connection.execute(
            sa.text(
                "SELECT pg_column_compression(payload) AS payload,"
                " pg_column_compression(recipients) AS recipients FROM outbox_events"
            )
        )
        values = written.one()._asdict()
        await connection.execute(sa.text("DELETE FROM outbox_events"))
    return {**settings, **values}


@pytest.mark.postgres
async def test_0012_compresses_the_outboxs_large_values_with_lz4(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            version = int(await connection.scalar(sa.text("SHOW server_version_num")) or 0)
            choices, default = (
                await connection.execute(
                    sa.text(
                        "SELECT enumvals, setting FROM pg_settings"
                        " WHERE name = 'default_toast_compression'"
                    )
                )
            ).one_or_none() or (None, None)
        if version < 140000:
            pytest.skip("PostgreSQL before 14 has one compression method: 0012 changes nothing")
        lz4 = "lz4" in (choices or ())

        await upgrade_async(postgres_url, "0012_outbox_lz4")
        assert await outbox_compression(engine) == {
            "payload setting": "l" if lz4 else "",
            "recipients setting": "l" if lz4 else "",
            "payload": "lz4" if lz4 else default,
            "recipients": "lz4" if lz4 else default,
        }

        await asyncio.to_thread(downgrade, postgres_url, "0011_delivery_marks")
        assert await outbox_compression(engine) == {
            "payload setting": "",
            "recipients setting": "",
            "payload": default,
            "recipients": default,
        }
    finally:
        await engine.dispose()


async def id_collations(url: str) -> dict[str, str]:
    """Each text column of the ids and keys 0013 changes, with its collation."""
    engine = make_engine(url)  # connections of its own: the columns' types change between
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text(
                    "SELECT c.relname || '.' || a.attname, co.collname"
                    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                    " JOIN pg_collation co ON co.oid = a.attcollation"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                    " AND a.attnum > 0 AND NOT a.attisdropped"
                    " AND (a.attname IN ('userId', 'actorId', 'groupKey', 'ownerId', 'assigneeId',"
                    " 'createdById', 'authorId', 'recipients') OR c.relname || '.' || a.attname"
                    " = 'users.id')"
                )
            )
            return {str(column): str(collation) for column, collation in rows}
    finally:
        await engine.dispose()


async def receipt_order(url: str, notification_id: UUID) -> list[str]:
    """The recipients in the order receipts come in: by user id, in the column's collation."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.select(recipients.c.user_id)
                .where(recipients.c.notification_id == notification_id)
                .order_by(recipients.c.user_id)
            )
            return list(rows.scalars())
    finally:
        await engine.dispose()


async def test_0013_orders_ids_by_code_point_on_a_database_of_any_collation(
    icu_postgres_url: str,
) -> None:
    url = icu_postgres_url
    await upgrade_async(url, "0012_outbox_lz4")
    engine = make_engine(url)
    notification = a_notification(NOW)
    told = ["amy", "_u1", "Bob"]
    try:
        async with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            await uow.inbox.add(notification, told)
            await uow.commit()
    finally:
        await engine.dispose()
    before = await id_collations(url)
    assert len(before) == 15
    assert set(before.values()) == {"default"}
    # ICU's en-US order, not the contract's.
    assert await receipt_order(url, notification.id) == ["_u1", "amy", "Bob"]

    await upgrade_async(url, "0013_ids_in_code_point_order")
    assert await id_collations(url) == dict.fromkeys(before, "C")
    assert await receipt_order(url, notification.id) == ["Bob", "_u1", "amy"]

    await asyncio.to_thread(downgrade, url, "0012_outbox_lz4")
    assert await id_collations(url) == before
    assert await receipt_order(url, notification.id) == ["_u1", "amy", "Bob"]


def sqlite_indexes(path: Path) -> dict[str, str]:
    """Each index of a SQLite database, as the statement that made it."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
    return {name: " ".join(sql.split()) for name, sql in rows}


def test_on_sqlite_every_index_is_made_as_the_tables_describe(tmp_path: Path) -> None:
    """Column order included, which the schema comparison of Alembic does not look at (a copy
    of a table by batch mode loses it)."""
    upgrade(f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}")
    described = sa.create_engine(f"sqlite:///{tmp_path / 'described.db'}")
    try:
        metadata.create_all(described)
    finally:
        described.dispose()

    assert sqlite_indexes(tmp_path / "migrated.db") == sqlite_indexes(tmp_path / "described.db")


def test_on_sqlite_0010_down_makes_the_indexes_of_0009_again(tmp_path: Path) -> None:
    upgrade(f"sqlite+aiosqlite:///{tmp_path / '0009.db'}", "0009_inbox_broadcasts")
    round_trip = f"sqlite+aiosqlite:///{tmp_path / 'round_trip.db'}"
    upgrade(round_trip)
    downgrade(round_trip, "0009_inbox_broadcasts")

    assert sqlite_indexes(tmp_path / "round_trip.db") == sqlite_indexes(tmp_path / "0009.db")


@pytest.mark.postgres
async def test_0014_down_writes_each_pending_read_mark_to_its_entries(postgres_url: str) -> None:
    await upgrade_async(postgres_url)
    engine = make_engine(postgres_url)
    read_at = NOW + timedelta(hours=1)
    try:
        async with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            for minute in range(3):
                await uow.inbox.add(a_notification(NOW + timedelta(minutes=minute)), ["bob", "cy"])
            await uow.commit()
        async with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            assert await uow.inbox.mark_all_read("bob", read_at) == 3
            await uow.commit()
    finally:
        await engine.dispose()

    await asyncio.to_thread(downgrade, postgres_url, "0013_ids_in_code_point_order")

    engine = make_engine(postgres_url)  # the schema changed under the first one's statements
    try:
        async with engine.connect() as connection:
            states = await connection.execute(
                sa.select(recipients.c.user_id, recipients.c.read_at, recipients.c.seen_at)
            )
            assert sorted(tuple(row) for row in states) == [
                *[("bob", read_at, read_at)] * 3,
                *[("cy", None, None)] * 3,
            ]
        assert "read_marks" not in await indexes_by_table(engine)
    finally:
        await engine.dispose()


async def group_index_definition(url: str) -> str:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            definition = await connection.scalar(
                sa.text(
                    "SELECT indexdef FROM pg_indexes"
                    " WHERE indexname = 'ix_notification_recipients_group'"
                )
            )
    finally:
        await engine.dispose()
    assert definition is not None
    return str(definition).split(" USING btree ", 1)[1]


@pytest.mark.postgres
async def test_0015_keys_the_group_index_by_group_then_user_and_down_again(
    postgres_url: str,
) -> None:
    include = ' INCLUDE ("isRead", "archivedAt", "actorId")'
    by_user = '("userId", "groupKey", "createdAt" DESC, "notificationId" DESC)' + include
    by_group = '("groupKey", "userId", "createdAt" DESC, "notificationId" DESC)' + include
    await upgrade_async(postgres_url, "0014_read_marks")
    assert await group_index_definition(postgres_url) == by_user

    await upgrade_async(postgres_url, "0015_groups_by_key_first")
    assert await group_index_definition(postgres_url) == by_group

    await asyncio.to_thread(downgrade, postgres_url, "0014_read_marks")
    assert await group_index_definition(postgres_url) == by_user


async def given_addresses(uow: SqlAlchemyUnitOfWork, *user_ids: str) -> None:
    for user_id in user_ids:
        await uow.users.add(User.register(user_id, None, f"{user_id}@example.com", NOW))


async def given_due_emails(
    engine: AsyncEngine, notification_id: UUID, user_ids: Sequence[str], due_at: datetime
) -> None:
    """Due emails as the code of 0016 to 0018 wrote them: a row per recipient, with the
    notification."""
    async with engine.begin() as connection:
        await connection.execute(
            due_emails.insert(),
            [
                {"user_id": user_id, "notification_id": notification_id, "due_at": due_at}
                for user_id in user_ids
            ],
        )


async def test_0016_drops_the_due_emails_key_and_down_deletes_those_without_a_notification(
    database_url: str,
) -> None:
    await upgrade_async(database_url, "0015_groups_by_key_first")
    engine = make_engine(database_url)
    notification = a_notification(NOW)
    try:
        assert await keys_of(engine, "due_emails") == (
            ["userId", "notificationId"],
            [(["notificationId"], "CASCADE")],
        )
        await upgrade_async(database_url, "0016_due_emails_without_fk")
        assert await keys_of(engine, "due_emails") == (["userId", "notificationId"], [])
        async with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            await given_addresses(uow, "bob", "cy")  # a due email is for a user with one
            await uow.inbox.add(notification, ["bob"])
            await uow.commit()
        await given_due_emails(engine, notification.id, ["bob"], NOW)
        await given_due_emails(engine, uuid4(), ["cy"], NOW)  # without its notification
    finally:
        await engine.dispose()

    await asyncio.to_thread(downgrade, database_url, "0015_groups_by_key_first")

    engine = make_engine(database_url)  # the table was copied under the first one's (SQLite)
    try:
        assert await keys_of(engine, "due_emails") == (
            ["userId", "notificationId"],
            [(["notificationId"], "CASCADE")],
        )
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text('SELECT "userId", "notificationId" FROM due_emails')
            )
            assert [(user_id, UUID(str(key))) for user_id, key in rows] == [
                ("bob", notification.id)
            ]
    finally:
        await engine.dispose()


async def test_0017_keys_due_emails_by_notification_first_and_keeps_them(
    database_url: str,
) -> None:
    await upgrade_async(database_url, "0016_due_emails_without_fk")
    engine = make_engine(database_url)
    first, second = a_notification(NOW), a_notification(NOW + timedelta(seconds=1))
    try:
        await given_due_emails(engine, first.id, ["ana", "bo"], NOW + timedelta(minutes=10))
        await given_due_emails(engine, second.id, ["bo"], NOW + timedelta(minutes=11))
        before = await every_due_email(engine)
        assert len(before) == 3
        assert await keys_of(engine, "due_emails") == (["userId", "notificationId"], [])
        assert "ix_due_emails_notification_id" in (await indexes_by_table(engine))["due_emails"]

        await upgrade_async(database_url, "0017_due_emails_by_notification")
        assert await keys_of(engine, "due_emails") == (["notificationId", "userId"], [])
        assert (await indexes_by_table(engine))["due_emails"] == SCHEMA["due_emails"]
        assert await every_due_email(engine) == before

        await asyncio.to_thread(downgrade, database_url, "0016_due_emails_without_fk")
        assert await keys_of(engine, "due_emails") == (["userId", "notificationId"], [])
        assert (await indexes_by_table(engine))["due_emails"] == SCHEMA_0006["due_emails"]
        assert await every_due_email(engine) == before
    finally:
        await engine.dispose()


async def every_due_email(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                'SELECT "userId", "notificationId", "dueAt", "claimedUntil" FROM due_emails'
                ' ORDER BY "userId", "dueAt"'
            )
        )
        return [tuple(row) for row in rows]


async def test_0019_down_writes_the_due_emails_of_what_is_still_scheduled(
    database_url: str,
) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    written, scheduled = a_notification(NOW), a_notification(NOW + timedelta(seconds=1))
    try:
        async with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            await given_addresses(uow, "ana", "dan")
            await uow.users.add(User.register("cy", None, None, NOW))  # no address
            await uow.preferences.save_email("dan", scheduled.type, False)
            for notification in (written, scheduled):
                await uow.inbox.add(notification, ["ana", "cy", "dan"])
                await uow.emails.schedule(notification.id, notification.created_at + DELAY)
            await uow.commit()
        async with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            assert await uow.emails.write_scheduled(1) == 1  # the first due: `written`
            await uow.commit()
        assert await due_pairs(engine) == [("ana", written.id)]
    finally:
        await engine.dispose()

    await asyncio.to_thread(downgrade, database_url, "0018_inbox_order_by_read_state")

    engine = make_engine(database_url)
    try:
        assert "scheduled_emails" not in await indexes_by_table(engine)
        assert await due_pairs(engine) == sorted([("ana", written.id), ("ana", scheduled.id)])
    finally:
        await engine.dispose()


DELAY = timedelta(minutes=10)


async def due_pairs(engine: AsyncEngine) -> list[tuple[str, UUID]]:
    """Each due email's user and notification, in order."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text('SELECT "userId", "notificationId" FROM due_emails')
        )
        return sorted((user_id, UUID(str(key))) for user_id, key in rows)
