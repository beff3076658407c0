"""Steps of features/tasks/complete_task.feature: completing a task tells who cares."""

from __future__ import annotations

from uuid import uuid4

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

from domain.errors import TaskNotFound

scenarios("tasks/complete_task.feature")


@when(
    phrase("{person:Person} tries to complete a task that does not exist"),
    target_fixture="outcome",
)
def _tries_to_complete_missing(herald: Herald, person: str) -> Outcome:
    return herald.complete_task(person, str(uuid4()), may_be_refused=True)


@when(
    phrase("{person:Person} tries to complete a task by a malformed reference"),
    target_fixture="outcome",
)
def _tries_to_complete_malformed(herald: Herald, person: str) -> Outcome:
    return herald.complete_task(person, "not-a-reference", may_be_refused=True)


@then(phrase('the task "{task:Text}" is completed'))
def _task_completed(herald: Herald, outcome: Outcome, task: str) -> None:
    saved = herald.task(task)
    assert saved is not None
    assert saved.completed_at is not None
    assert saved == outcome.value


@then(phrase('the task "{task:Text}" is still completed since the first time'))
def _still_completed(herald: Herald, outcome: Outcome, task: str) -> None:
    saved = herald.task(task)
    assert saved is not None
    first = herald.story.first_completed[task]
    assert saved.completed_at == first
    assert outcome.value.completed_at == first


@then("there is no such task")
def _no_such_task(outcome: Outcome) -> None:
    outcome.refused_with(TaskNotFound)
