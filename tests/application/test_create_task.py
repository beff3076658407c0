"""CreateTask: a teammate adds a task to a lead, perhaps for someone else; no one is notified."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pytest

from adapters.memory import RecordingPublisher
from application.commands import CreateTaskCommand
from application.tasks.create_task import CreateTask
from domain.errors import DomainError, InvalidInput, LeadNotFound, UserNotFound
from domain.leads import Lead
from domain.tasks import Task

if TYPE_CHECKING:
    from conftest import FixedClock, SequentialIds, StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[Lead]]


@pytest.mark.parametrize(
    "assignee_id", ["carol", "bob", None], ids=["for another", "for oneself", "unassigned"]
)
async def test_the_task_is_stored_open_and_no_one_is_told(
    assignee_id: str | None,
    given_users: Users,
    new_lead: NewLead,
    create_task: CreateTask,
    publisher: RecordingPublisher,
    clock: FixedClock,
    ids: SequentialIds,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    lead = await new_lead("alice")
    inboxes = {user_id: await read.inbox(user_id) for user_id in ("alice", "bob", "carol")}
    now = clock.advance(minutes=5)

    task = await create_task(CreateTaskCommand("bob", str(lead.id), "  Call back ", assignee_id))

    assert task == Task(ids.issued[-1], lead.id, "Call back", assignee_id, "bob", None, now)
    assert await read.task(task.id) == task
    assert {user_id: await read.inbox(user_id) for user_id in inboxes} == inboxes
    assert publisher.published == []


@pytest.mark.parametrize(
    ("lead_id", "title", "assignee_id", "error", "field"),
    [
        ("6f1c2a7e-4b0d-4c8e-9a53-2d1f0e7b9c44", "Call back", None, LeadNotFound, None),
        ("lead-1", "Call back", None, InvalidInput, "leadId"),
        (None, "", None, InvalidInput, "title"),
        (None, "   ", None, InvalidInput, "title"),
        (None, "t" * 201, None, InvalidInput, "title"),
        (None, "Call back", "mallory", UserNotFound, None),
    ],
    ids=[
        "unknown lead",
        "malformed lead id",
        "empty title",
        "blank title",
        "title 201",
        "unregistered assignee",
    ],
)
async def test_a_bad_task_stores_nothing(
    lead_id: str | None,
    title: str,
    assignee_id: str | None,
    error: type[DomainError],
    field: str | None,
    given_users: Users,
    new_lead: NewLead,
    create_task: CreateTask,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    lead = await new_lead("alice")
    lead_id = str(lead.id) if lead_id is None else lead_id  # None: the real one
    before = read.snapshot()

    with pytest.raises(error) as caught:
        await create_task(CreateTaskCommand("bob", lead_id, title, assignee_id))

    assert getattr(caught.value, "field", None) == field
    assert read.snapshot() == before
    assert publisher.published == []


async def test_a_title_of_200_characters_is_accepted(
    given_users: Users, new_lead: NewLead, create_task: CreateTask, read: StoreReader
) -> None:
    await given_users("alice")
    lead = await new_lead("alice")

    task = await create_task(CreateTaskCommand("alice", str(lead.id), "t" * 200))

    assert await read.task(task.id) == task
    assert task.title == "t" * 200
