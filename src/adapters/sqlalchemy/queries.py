"""The inbox's read side on SQLAlchemy Core: statements built once, run without a session."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import concurrency_errors, read_only
from adapters.sqlalchemy.tables import notification_recipients as inbox
from adapters.sqlalchemy.tables import notifications
from application.ports import InboxSlice
from domain.notifications import InboxEntry, Notification, NotificationType

# The same expression as the partial indexes', so that the database can use those indexes.
UNREAD = sa.not_(inbox.c.is_read)

UNREAD_COUNT = (
    sa.select(sa.func.count())
    .select_from(inbox)
    .where(inbox.c.user_id == sa.bindparam("user_id", type_=inbox.c.user_id.type), UNREAD)
)


def select_entries() -> sa.Select[Any]:
    """An entry's columns, in the order `entry_of` reads them."""
    return sa.select(
        notifications.c.id,
        notifications.c.type,
        notifications.c.title,
        notifications.c.message,
        notifications.c.related_lead_id,
        notifications.c.actor_id,
        notifications.c.created_at,
        inbox.c.user_id,
        inbox.c.read_at,
        inbox.c.updated_at,
    ).join_from(inbox, notifications)


def entry_of(row: Sequence[Any]) -> InboxEntry:
    """The entry of a row of `select_entries()`, read by position (SQLAlchemy or asyncpg)."""
    notification = Notification(
        id=row[0],
        type=NotificationType(row[1]),
        title=row[2],
        message=row[3],
        related_lead_id=row[4],
        actor_id=row[5],
        created_at=row[6],
    )
    return InboxEntry(notification, row[7], read_at=row[8], updated_at=row[9])


@cache
def page_statement(
    *, after: bool, unread_only: bool, types: bool, related_lead: bool, on_postgresql: bool
) -> sa.Select[Any]:
    """A page of one inbox, newest first, with bind parameters for what varies per call:
    `user_id`, `limit`, and, where the filter asks for them, `before_created_at`/`before_id`,
    `types` and `related_lead_id`. Built once per shape of filter."""
    statement = select_entries().where(
        inbox.c.user_id == sa.bindparam("user_id", type_=inbox.c.user_id.type)
    )
    if after:
        # A row-value comparison, in the order of the inbox indexes: the page starts with an
        # index seek, whatever its depth, and ties on createdAt are broken by the id.
        statement = statement.where(
            sa.tuple_(inbox.c.created_at, inbox.c.notification_id)
            < sa.tuple_(
                sa.bindparam("before_created_at", type_=inbox.c.created_at.type),
                sa.bindparam("before_id", type_=inbox.c.notification_id.type),
            )
        )
    if unread_only:
        statement = statement.where(UNREAD)
    if types:
        statement = statement.where(
            notifications.c.type == sa.any_(sa.bindparam("types", type_=_TYPE_ARRAY))
            if on_postgresql
            else notifications.c.type.in_(sa.bindparam("types", expanding=True))
        )
    if related_lead:
        statement = statement.where(
            notifications.c.related_lead_id
            == sa.bindparam("related_lead_id", type_=notifications.c.related_lead_id.type)
        )
    return statement.order_by(inbox.c.created_at.desc(), inbox.c.notification_id.desc()).limit(
        sa.bindparam("limit", type_=sa.Integer())
    )


_TYPE_ARRAY = postgresql.ARRAY(sa.String())


def page_query(wanted: InboxSlice, *, on_postgresql: bool) -> tuple[sa.Select[Any], dict[str, Any]]:
    """The statement of this page and its parameters."""
    parameters: dict[str, Any] = {"user_id": wanted.user_id, "limit": wanted.limit}
    if wanted.before is not None:
        parameters["before_created_at"], parameters["before_id"] = wanted.before
    if wanted.types is not None:
        parameters["types"] = [kind.value for kind in wanted.types]
    if wanted.related_lead_id is not None:
        parameters["related_lead_id"] = wanted.related_lead_id
    statement = page_statement(
        after=wanted.before is not None,
        unread_only=wanted.unread_only,
        types=wanted.types is not None,
        related_lead=wanted.related_lead_id is not None,
        on_postgresql=on_postgresql,
    )
    return statement, parameters


class SqlAlchemyInboxQueries:
    """`InboxQueries` on an engine's connections: no session, no unit of work, one statement
    per call in a read-only transaction of its own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = read_only(engine)
        self._on_postgresql = engine.dialect.name == "postgresql"

    async def unread_count(self, user_id: str) -> int:
        with concurrency_errors():
            async with self._engine.connect() as connection:
                result = await connection.execute(UNREAD_COUNT, {"user_id": user_id})
                return int(result.scalar_one())

    async def page(self, wanted: InboxSlice) -> list[InboxEntry]:
        statement, parameters = page_query(wanted, on_postgresql=self._on_postgresql)
        with concurrency_errors():
            async with self._engine.connect() as connection:
                result = await connection.execute(statement, parameters)
                return [entry_of(row) for row in result]

    async def close(self) -> None:
        """Nothing of its own to release: the engine is disposed of by its owner."""
