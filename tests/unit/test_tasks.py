"""Tasks: a title within the contract's limits, and completion that happens once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.errors import InvalidInput
from domain.tasks import Task

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
DONE = NOW + timedelta(hours=2)
LATER = NOW + timedelta(days=1)


def create(title: str = "Call back", assignee_id: str | None = "bob") -> Task:
    return Task.create(
        UUID(int=3),
        lead_id=UUID(int=2),
        title=title,
        assignee_id=assignee_id,
        created_by_id="alice",
        now=NOW,
    )


def test_a_new_task_is_open_and_dated_now() -> None:
    task = create()

    assert task == Task(
        id=UUID(int=3),
        lead_id=UUID(int=2),
        title="Call back",
        assignee_id="bob",
        created_by_id="alice",
        completed_at=None,
        created_at=NOW,
    )
    assert task.is_completed is False


def test_a_task_need_not_be_assigned() -> None:
    assert create(assignee_id=None).assignee_id is None


@pytest.mark.parametrize(
    ("title", "stored"),
    [
        ("a", "a"),
        ("t" * 200, "t" * 200),
        ("  Call back \n", "Call back"),
        (" " + "t" * 200, "t" * 200),
    ],
    ids=["1 character", "200 characters", "trimmed", "200 once trimmed"],
)
def test_a_title_of_1_to_200_characters_once_trimmed_is_accepted(title: str, stored: str) -> None:
    assert create(title).title == stored


@pytest.mark.parametrize(
    "title", ["", "   ", "\n\t", "t" * 201], ids=["empty", "spaces", "blank", "201 characters"]
)
def test_any_other_title_is_invalid_input(title: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        create(title)

    assert caught.value.field == "title"


def test_complete_completes_it_now_and_says_so() -> None:
    task = create()

    assert task.complete(DONE) is True
    assert (task.is_completed, task.completed_at) == (True, DONE)


def test_a_task_is_completed_once() -> None:
    task = create()
    task.complete(DONE)

    assert task.complete(LATER) is False
    assert task.completed_at == DONE
