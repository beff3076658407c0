"""The statements a notification's commit runs on PostgreSQL are compiled once, not per commit.

SQLAlchemy compiles a statement again whenever it has no cache key (a multi-row `VALUES` of
expressions has none); these run under the outbox's turn, for every `createLead`. The one that
writes the events is even built once for each shape, and bound to each commit's values.
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
    _notification_written,
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


def test_a_commits_events_are_built_once_for_their_shape_and_bound_to_their_values() -> None:
    notification_ids = uuid.uuid4(), uuid.uuid4()
    first, first_parameters = _write_events(_event_rows(2), {0: notification_ids[0]}, NOW)
    second, second_parameters = _write_events(
        [
            {**row, "payload": '{"counts": {}}', "recipients": ["carol", "dave"]}
            for row in _event_rows(2)
        ],
        {0: notification_ids[1]},
        NOW,
    )

    # One statement object for the shape: its cache key is made once (memoized), not per commit.
    assert first is second
    assert first._generate_cache_key() is not None
    # Every parameter the statement takes is given (a required one missing raises here).
    compiled = first.compile(dialect=postgresql.asyncpg.dialect())
    bound = compiled.construct_params(second_parameters)
    assert notification_ids[1] in bound.values()
    assert first_parameters["notification_0"] == notification_ids[0]
    assert second_parameters["notification_0"] == notification_ids[1]
    assert (first_parameters["payload_1"], second_parameters["payload_1"]) == (
        "{}",
        '{"counts": {}}',
    )
    assert second_parameters["recipients_0"] == ["carol", "dave"]
    # Another shape, another statement.
    assert _write_events(_event_rows(2), {1: notification_ids[0]}, NOW)[0] is not first
    assert _write_events(_event_rows(3), {0: notification_ids[0]}, NOW)[0] is not first


def test_each_event_row_is_a_select_of_typed_bound_values() -> None:
    for count in (1, 3):
        statement, parameters = _write_events(_event_rows(count), {}, NOW)
        compiled = statement.compile(dialect=postgresql.asyncpg.dialect())
        sql = str(compiled)

        assert sql.count("INSERT INTO outbox_events") == 1
        assert sql.count("UNION ALL") == count - 1
        # PostgreSQL types the columns of a UNION from its values: each is cast (the
        # recipients are sent as an array's text form, cast by the server).
        assert sql.count("AS VARCHAR[])") == count
        assert sql.count("::TIMESTAMP WITH TIME ZONE") == count
        assert list(compiled.construct_params(parameters).values()).count(["bob"]) == count


def test_a_broadcasts_events_and_counts_are_one_statement_whatever_the_recipients() -> None:
    def written(recipients: list[str]) -> tuple[sa.Executable, dict[str, object]]:
        return _write_events([*_event_rows(1), None], {0: uuid.uuid4()}, NOW, recipients)

    (first, first_parameters), (second, second_parameters) = (
        written(["bob", "carol"]),
        written(["dave", "erin", "frank"]),
    )

    assert first is second
    assert first_parameters["broadcast"] == ["bob", "carol"]
    assert second_parameters["broadcast"] == ["dave", "erin", "frank"]
    assert first_parameters["now"] == NOW
    bound = first.compile(dialect=postgresql.asyncpg.dialect()).construct_params(second_parameters)
    assert ["dave", "erin", "frank"] in bound.values()
    sql = _compiled(first)
    assert sql.count("INSERT INTO outbox_events") == 1
    assert "json_object_agg" in sql
    # The recipients are read from their parameter once.
    assert sql.count("unnest(") == 1


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
            _notification_written(notification, recipients, count_users=True),
            _notification_written(notification, recipients, count_users=False),
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
