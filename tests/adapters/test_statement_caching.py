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
    first = _write_events(_event_rows(2), {0: uuid.uuid4()}, NOW)
    second = _write_events(
        [
            {**row, "payload": '{"counts": {}}', "recipients": ["carol", "dave"]}
            for row in _event_rows(2)
        ],
        {0: uuid.uuid4()},
        NOW,
    )

    first_key, second_key = first._generate_cache_key(), second._generate_cache_key()

    assert first_key is not None
    assert first_key == second_key
    assert _compiled(first) == _compiled(second)


def test_each_event_row_is_a_select_of_typed_bound_values() -> None:
    for count in (1, 3):
        compiled = _write_events(_event_rows(count), {}, NOW).compile(
            dialect=postgresql.asyncpg.dialect()
        )
        sql = str(compiled)

        assert sql.count("INSERT INTO outbox_events") == 1
        assert sql.count("UNION ALL") == count - 1
        # PostgreSQL types the columns of a UNION from its values: each is cast (the
        # recipients are sent as an array's text form, cast by the server).
        assert sql.count("AS VARCHAR[])") == count
        assert sql.count("::TIMESTAMP WITH TIME ZONE") == count
        assert list(compiled.params.values()).count(["bob"]) == count


def test_a_broadcasts_events_and_counts_have_one_cache_key_whatever_the_recipients() -> None:
    def statement(recipients: list[str]) -> sa.Executable:
        return _write_events([*_event_rows(1), None], {0: uuid.uuid4()}, NOW, recipients)

    first, second = statement(["bob", "carol"]), statement(["dave", "erin", "frank"])

    first_key = first._generate_cache_key()
    assert first_key is not None
    assert first_key == second._generate_cache_key()
    sql = _compiled(first)
    assert sql.count("INSERT INTO outbox_events") == 1
    assert "json_object_agg" in sql


def test_the_fan_outs_statements_have_one_cache_key_whatever_the_recipients() -> None:
    def statements(recipients: list[str]) -> list[sa.Executable]:
        notification = Notification(
            id=uuid.uuid4(),
            type=NotificationType.LEAD_CREATED,
            title="New lead",
            message="Acme",
            related_lead_id=uuid.uuid4(),
            actor_id="alice",
            created_at=NOW,
        )
        return [
            _insert_recipients_from_array(notification, recipients),
            _count_broadcast_to_array(recipients),
            _add_to_counts_from_arrays(
                recipients, {user_id: _Counted(1, 1, 1) for user_id in recipients}
            ),
        ]

    for first, second in zip(
        statements(["bob", "carol"]), statements(["dave", "erin", "frank"]), strict=True
    ):
        key = first._generate_cache_key()
        assert key is not None
        assert key == second._generate_cache_key()
