"""Comments: a body of 1..5,000 characters that says something."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.comments import Comment
from domain.errors import InvalidInput

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


def write(body: str) -> Comment:
    return Comment.write(UUID(int=4), lead_id=UUID(int=2), author_id="alice", body=body, now=NOW)


def test_a_comment_keeps_its_author_lead_and_time() -> None:
    assert write("Call me back") == Comment(UUID(int=4), UUID(int=2), "alice", "Call me back", NOW)


@pytest.mark.parametrize(
    "body",
    ["a", "b" * 5_000, "first line\n\n  second line"],
    ids=["1 character", "5,000 characters", "several lines"],
)
def test_a_body_of_1_to_5000_characters_is_kept_as_written(body: str) -> None:
    assert write(body).body == body


@pytest.mark.parametrize(
    "body",
    ["", " ", " " * 5_000, "\n\t \n", "b" * 5_001],
    ids=["empty", "a space", "only spaces", "only blanks", "5,001 characters"],
)
def test_any_other_body_is_invalid_input(body: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        write(body)

    assert caught.value.field == "body"
