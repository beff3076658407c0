"""Array parameters on PostgreSQL: sent as the array's text form, one value, cast by the server.

asyncpg's binary array encoder checks each element against abstract base classes; the text
form is one join. Awkward ids make the round trip through PostgreSQL in the repository
contract (`AWKWARD_IDS`) and the event log's (`test_history_matches_a_user_id_exactly`).
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from adapters.sqlalchemy import arrays
from adapters.sqlalchemy.tables import users


@pytest.mark.parametrize(
    ("items", "text"),
    [
        ([], "{}"),
        (["bob"], '{"bob"}'),
        (["bob", "carol"], '{"bob","carol"}'),
        ([""], '{""}'),
        (["NULL", "a,b", "{x}", " two words "], '{"NULL","a,b","{x}"," two words "}'),
        (['say "hi"', "plain"], '{"say \\"hi\\"","plain"}'),
        (["back\\slash", '\\"'], '{"back\\\\slash","\\\\\\""}'),
    ],
)
def test_an_arrays_text_form_quotes_every_item_and_escapes_quotes_and_backslashes(
    items: list[str], text: str
) -> None:
    assert arrays.array_text(items) == text


def test_an_array_parameter_is_one_text_value_cast_by_the_server() -> None:
    ids = ["bob", "carol"]
    dialect = postgresql.asyncpg.dialect()
    statement = sa.select(users.c.id).where(
        users.c.id == sa.any_(sa.bindparam("ids", ids, type_=arrays.STRINGS))
    )

    assert "ANY (CAST($1::VARCHAR AS VARCHAR[]))" in str(statement.compile(dialect=dialect))
    assert arrays.STRINGS.process_bind_param(ids, dialect) == '{"bob","carol"}'


def test_numbers_and_uuids_are_sent_in_their_text_form() -> None:
    dialect = postgresql.asyncpg.dialect()
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")

    assert arrays.BIG_INTEGERS.process_bind_param([1, 2**40], dialect) == '{"1","1099511627776"}'
    assert arrays.UUIDS.process_bind_param([key], dialect) == f'{{"{key}"}}'
    assert arrays.STRINGS.process_bind_param(None, dialect) is None


def test_statements_with_array_parameters_share_a_cache_key_whatever_the_values() -> None:
    def statement(ids: list[str]) -> sa.Select[tuple[str]]:
        return sa.select(users.c.id).where(
            users.c.id == sa.any_(sa.bindparam(None, ids, type_=arrays.STRINGS))
        )

    assert statement(["a"])._generate_cache_key() == statement(["b", "c"])._generate_cache_key()
    # The element type is part of the key: the same values cast to another array type.
    numbers = sa.select(users.c.id).where(
        users.c.id == sa.any_(sa.bindparam(None, ["1"], type_=arrays.INTEGERS))
    )
    assert statement(["1"])._generate_cache_key() != numbers._generate_cache_key()
