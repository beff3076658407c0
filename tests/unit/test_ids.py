"""Ids: only canonical lowercase UUIDs are ids; anything else is invalid input."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.errors import InvalidInput
from domain.ids import parse_id

CANONICAL = "6f1c2a7e-4b0d-4c8e-9a53-2d1f0e7b9c44"


@pytest.mark.parametrize(
    "value", [CANONICAL, "00000000-0000-0000-0000-000000000000", str(UUID(int=2**128 - 1))]
)
def test_a_canonical_lowercase_uuid_is_accepted(value: str) -> None:
    assert parse_id(value) == UUID(value)


@pytest.mark.parametrize(
    "value",
    [
        CANONICAL.upper(),
        CANONICAL[:8].upper() + CANONICAL[8:],
        "{" + CANONICAL + "}",
        CANONICAL.replace("-", ""),
        "urn:uuid:" + CANONICAL,
        " " + CANONICAL,
        CANONICAL + "\n",
        CANONICAL[:-1],
        CANONICAL + "0",
        CANONICAL.replace("-", "_"),
        "6f1c2a7e4b0d-4c8e-9a53-2d1f-0e7b9c44",
        "not-a-uuid",
        "1",
        "",
    ],
    ids=[
        "uppercase",
        "partly uppercase",
        "braces",
        "no dashes",
        "urn",
        "leading space",
        "trailing newline",
        "too short",
        "too long",
        "underscores",
        "dashes misplaced",
        "garbage",
        "a number",
        "empty",
    ],
)
def test_anything_else_is_invalid_input(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_id(value)

    assert caught.value.field == "id"


def test_the_error_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_id("nope", field="leadId")

    assert caught.value.field == "leadId"
