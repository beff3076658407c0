"""CompleteTask: a teammate completes a task; the lead's owner and the task's creator are told."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from adapters.memory import RecordingPublisher
from application.commands import AssignLeadCommand, CompleteTaskCommand
from application.leads.assign_lead import AssignLead
from application.tasks.complete_task import CompleteTask
from domain.errors import DomainError, InvalidInput, TaskNotFound, UserNotFound
from domain.events import NotificationCreated, UnreadCountsChanged
from domain.leads import Lead
from domain.notifications import InboxEntry, NotificationType
from domain.tasks import Task

if TYPE_CHECKING:
    from conftest import FixedClock, SequentialIds, StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[Lead]]
NewTask = Callable[..., Awaitable[Task]]

TEAM = ("alice", "bob", "carol", "dave")


async def test_the_task_is_completed_and_the_owner_and_creator_told(
    given_users: Users,
    new_lead: NewLead,
    given_task: NewTask,
    complete_task: CompleteTask,
    publisher: RecordingPublisher,
    clock: FixedClock,
    ids: SequentialIds,
    read: StoreReader,
) -> None:
    await given_users(*TEAM)
    lead = await new_lead("alice")  # bob, carol and dave each have one unread already
    task = await given_task(lead, "bob", "Call back", assignee_id="dave")
    daves = await read.inbox("dave")
    now = clock.advance(minutes=5)

    completed = await complete_task(CompleteTaskCommand("carol", str(task.id)))

    assert completed == replace(task, completed_at=now)
    assert await read.task(task.id) == completed
    [alices] = await read.inbox("alice")
    notification = alices.notification
    assert notification.id in ids.issued
    assert notification.id != task.id
    assert notification.type is NotificationType.TASK_COMPLETED
    assert (notification.related_lead_id, notification.actor_id) == (lead.id, "carol")
    assert notification.created_at == now
    assert notification.message == "Carol completed “Call back” on Acme Corp"
    assert alices == InboxEntry.deliver(notification, "alice")
    assert (await read.inbox("bob"))[0] == InboxEntry.deliver(notification, "bob")
    assert await read.inbox("dave") == daves  # the assignee is not among those told
    assert publisher.published == [
        NotificationCreated(notification, ("alice", "bob")),
        UnreadCountsChanged({"alice": 1, "bob": 2}, {"alice": 1, "bob": 2}),
    ]


@pytest.mark.parametrize(
    ("creator", "completer", "told"),
    [
        ("bob", "carol", ("alice", "bob")),
        ("alice", "carol", ("alice",)),
        ("bob", "alice", ("bob",)),
        ("bob", "bob", ("alice",)),
        ("alice", "alice", ()),
    ],
    ids=[
        "owner and creator",
        "an owner who created it, once",
        "not the owner who completes it",
        "not the creator who completes it",
        "the owner completing their own task",
    ],
)
async def test_who_is_told(
    creator: str,
    completer: str,
    told: tuple[str, ...],
    given_users: Users,
    new_lead: NewLead,
    given_task: NewTask,
    complete_task: CompleteTask,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users(*TEAM)
    lead = await new_lead("alice")
    task = await given_task(lead, creator)

    await complete_task(CompleteTaskCommand(completer, str(task.id)))

    reached = [
        user_id
        for user_id in TEAM
        for entry in await read.inbox(user_id)
        if entry.notification.type is NotificationType.TASK_COMPLETED
    ]
    assert tuple(reached) == told
    created = [event for event in publisher.published if isinstance(event, NotificationCreated)]
    assert [event.recipients for event in created] == ([told] if told else [])


async def test_the_current_owner_is_told_not_the_leads_creator(
    given_users: Users,
    new_lead: NewLead,
    given_task: NewTask,
    assign_lead: AssignLead,
    complete_task: CompleteTask,
    publisher: RecordingPublisher,
) -> None:
    await given_users(*TEAM)
    lead = await new_lead("alice")
    task = await given_task(lead, "bob")
    await assign_lead(AssignLeadCommand("alice", str(lead.id), owner_id="dave"))

    await complete_task(CompleteTaskCommand("carol", str(task.id)))

    created = publisher.published[0]
    assert isinstance(created, NotificationCreated)
    assert created.recipients == ("bob", "dave")


async def test_completing_again_changes_nothing_and_tells_no_one(
    given_users: Users,
    new_lead: NewLead,
    given_task: NewTask,
    complete_task: CompleteTask,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users(*TEAM)
    lead = await new_lead("alice")
    task = await given_task(lead, "bob")
    first = await complete_task(CompleteTaskCommand("carol", str(task.id)))
    publisher.published.clear()
    before = read.snapshot()
    clock.advance(hours=1)

    again = await complete_task(CompleteTaskCommand("dave", str(task.id)))

    assert again == first
    assert read.snapshot() == before
    assert publisher.published == []


@pytest.mark.parametrize(
    ("actor_id", "task_id", "error"),
    [
        ("carol", "6f1c2a7e-4b0d-4c8e-9a53-2d1f0e7b9c44", TaskNotFound),
        ("carol", "task-1", InvalidInput),
        ("carol", "", InvalidInput),
        ("carol", "6F1C2A7E-4B0D-4C8E-9A53-2D1F0E7B9C44", InvalidInput),
        ("mallory", None, UserNotFound),
    ],
    ids=["unknown task", "malformed id", "empty id", "uppercase id", "unregistered actor"],
)
async def test_a_bad_completion_changes_nothing(
    actor_id: str,
    task_id: str | None,
    error: type[DomainError],
    given_users: Users,
    new_lead: NewLead,
    given_task: NewTask,
    complete_task: CompleteTask,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users(*TEAM)
    task = await given_task(await new_lead("alice"), "bob")
    task_id = str(task.id) if task_id is None else task_id  # None: the real one
    before = read.snapshot()

    with pytest.raises(error) as caught:
        await complete_task(CompleteTaskCommand(actor_id, task_id))

    if isinstance(caught.value, InvalidInput):
        assert caught.value.field == "id"
    assert read.snapshot() == before
    assert publisher.published == []
