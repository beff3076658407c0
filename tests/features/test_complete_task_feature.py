"""Steps of features/tasks/complete_task.feature: completing a task tells who cares."""

from __future__ import annotations

from uuid import uuid4

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

from application.commands import CompleteTaskCommand
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


@when(
    phrase('{first:Person} and {second:Person} complete the task "{task:Text}" at the same moment'),
    target_fixture="outcome",
)
def _complete_together(herald: Herald, first: str, second: str, task: str) -> Outcome:
    task_id = str(herald.story.tasks[task].id)
    return herald.together(
        *(
            herald.container.complete_task()(CompleteTaskCommand(herald.user_id(person), task_id))
            for person in (first, second)
        )
    )


@then(
    phrase(
        'both are answered that the task "{task:Text}" was completed, at one and the same moment'
    )
)
def _both_answered(herald: Herald, outcome: Outcome, task: str) -> None:
    saved = herald.task(task)
    assert saved is not None
    assert saved.completed_at is not None
    assert outcome.value == [saved, saved]


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
