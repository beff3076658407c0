"""Steps of features/tasks/create_task.feature: a task on a lead, for oneself or a teammate."""

from __future__ import annotations

from uuid import uuid4

from feature_support import Herald, Outcome, phrase
from pytest_bdd import scenarios, then, when

from domain.errors import InvalidInput, UserNotFound

scenarios("tasks/create_task.feature")

# The features' words for titles at the limits of the contract's rules, and just past them.
TITLES = {
    "a title of 1 character": "C",
    "a title of 200 characters": "C" * 200,
    "an empty title": "",
    "a title of only spaces": "   ",
    "a title of 201 characters": "C" * 201,
}


@when(
    phrase('{person:Person} creates the task "{task:Text}" on "{lead:Text}"'),
    target_fixture="outcome",
)
def _creates_task(herald: Herald, person: str, task: str, lead: str) -> Outcome:
    return herald.create_task(person, herald.lead_ref(lead), task)


@when(
    phrase('{person:Person} creates the task "{task:Text}" on "{lead:Text}" for {who:Person}'),
    target_fixture="outcome",
)
def _creates_task_for(herald: Herald, person: str, task: str, lead: str, who: str) -> Outcome:
    return herald.create_task(person, herald.lead_ref(lead), task, who)


@when(
    phrase('{person:Person} creates a task on "{lead:Text}" with {case}'),
    target_fixture="outcome",
)
def _creates_edge_task(herald: Herald, person: str, lead: str, case: str) -> Outcome:
    outcome = herald.create_task(person, herald.lead_ref(lead), TITLES[case])
    outcome.asked = case
    return outcome


@when(
    phrase('{person:Person} tries to create a task on "{lead:Text}" with {case}'),
    target_fixture="outcome",
)
def _tries_to_create_task(herald: Herald, person: str, lead: str, case: str) -> Outcome:
    return herald.create_task(person, herald.lead_ref(lead), TITLES[case], may_be_refused=True)


@when(
    phrase(
        '{person:Person} tries to create the task "{task:Text}" on "{lead:Text}"'
        " for {who:Person}, who never signed in"
    ),
    target_fixture="outcome",
)
def _tries_task_for_stranger(
    herald: Herald, person: str, task: str, lead: str, who: str
) -> Outcome:
    assert herald.user_id(who) not in herald.registered_ids()
    return herald.create_task(person, herald.lead_ref(lead), task, who, may_be_refused=True)


@when(
    phrase('{person:Person} tries to create the task "{task:Text}" on a lead that does not exist'),
    target_fixture="outcome",
)
def _tries_task_on_missing_lead(herald: Herald, person: str, task: str) -> Outcome:
    return herald.create_task(person, str(uuid4()), task, may_be_refused=True)


def saved_task(herald: Herald, task: str, lead: str, creator: str, assignee_id: str | None) -> None:
    saved = herald.task(task)
    assert saved is not None, f"the task {task!r} was not saved"
    assert saved == herald.story.tasks[task]
    assert (saved.title, saved.lead_id) == (task, herald.story.leads[lead].id)
    assert saved.created_by_id == herald.user_id(creator)
    assert saved.assignee_id == assignee_id
    assert saved.completed_at is None


@then(
    phrase(
        'the task "{task:Text}" is saved on "{lead:Text}", still to do,'
        " created by {creator:Person}, for no one in particular"
    )
)
def _task_saved(herald: Herald, task: str, lead: str, creator: str) -> None:
    saved_task(herald, task, lead, creator, None)


@then(
    phrase(
        'the task "{task:Text}" is saved on "{lead:Text}", still to do,'
        " created by {creator:Person}, for {who:Person}"
    )
)
def _task_saved_for(herald: Herald, task: str, lead: str, creator: str, who: str) -> None:
    saved_task(herald, task, lead, creator, herald.user_id(who))


@then(phrase("the task is saved with {case}"))
def _task_saved_with(herald: Herald, outcome: Outcome, case: str) -> None:
    assert case == outcome.asked
    saved = herald.task_by_id(outcome.value.id)
    assert saved == outcome.value
    assert saved.title == TITLES[case]


@then("the task is refused for its title")
def _task_refused_for_title(outcome: Outcome) -> None:
    assert outcome.refused_with(InvalidInput).field == "title"


@then(phrase("the task is refused because {person:Person} is unknown"))
def _task_refused_unknown(herald: Herald, outcome: Outcome, person: str) -> None:
    assert outcome.refused_with(UserNotFound).object_id == herald.user_id(person)


@then("no task is saved")
def _no_task_saved(herald: Herald, outcome: Outcome) -> None:
    assert outcome.error is not None
    # Every task takes its id from the id factory: none may be saved under those drawn meanwhile.
    for new_id in outcome.new_ids:
        assert herald.task_by_id(new_id) is None, f"a refused task was saved under {new_id}"
