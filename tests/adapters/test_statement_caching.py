"""The statements a notification's commit runs on PostgreSQL are compiled once, not per commit.

SQLAlchemy compiles a statement again whenever it has no cache key (a multi-row `VALUES` of
expressions has none); these run under the outbox's turn, for every `createLead`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from adapters.sqlalchemy.repositories import (
    _add_to_counts_from_arrays,
    _count_broadcast_to_array,
    _Counted,
    _insert_recipients_from_array,
    _write_events,
)
from domain.notifications import Notification, NotificationType

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _event_rows(count: int) -> list[dict[str, object]]:
    return [
        {"kind": "UnreadCountsChanged", "payload": "{}", "recipients": ["bob"], "created_at": NOW}
        for _ in range(count)
    ]


def _compiled(statement: sa.Executable) -> str:
    return str(statement.compile(dialect=postgresql.asyncpg.dialect()))


def test_a_commits_events_have_one_cache_key_whatever_their_values() -> None:
    first = _write_events(_event_rows(2), {0: uuid.uuid4()})
    second = _write_events(
        [
            {**row, "payload": '{"counts": {}}', "recipients": ["carol", "dave"]}
            for row in _event_rows(2)
        ],
        {0: uuid.uuid4()},
    )

    first_key, second_key = first._generate_cache_key(), second._generate_cache_key()

    assert first_key is not None
    assert first_key == second_key
    assert _compiled(first) == _compiled(second)


def test_one_event_and_many_events_are_written_with_bound_values() -> None:
    for count in (1, 3):
        statement = _write_events(_event_rows(count), {})

        assert statement._generate_cache_key() is not None
        assert _compiled(statement).count("INSERT INTO outbox_events") == 1


def test_the_fan_outs_statements_have_cache_keys() -> None:
    notification = Notification(
        id=uuid.uuid4(),
        type=NotificationType.LEAD_CREATED,
        title="New lead",
        message="Acme",
        related_lead_id=uuid.uuid4(),
        actor_id="alice",
        created_at=NOW,
    )
    statements = [
        _insert_recipients_from_array(notification, ["bob", "carol"]),
        _count_broadcast_to_array(["bob", "carol"]),
        _add_to_counts_from_arrays(["bob"], {"bob": _Counted(1, 1, 1)}),
    ]

    for statement in statements:
        assert statement._generate_cache_key() is not None
