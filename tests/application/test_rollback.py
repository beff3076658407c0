"""Rollback: a use case that fails inside its unit of work leaves everything as it was."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork, RecordingPublisher
from application.commands import (
    AddCommentCommand,
    AssignLeadCommand,
    CompleteTaskCommand,
    CreateLeadCommand,
    CreateTaskCommand,
    DeleteNotificationCommand,
    MarkAllAsReadCommand,
    MarkAsReadCommand,
    RegisterUserCommand,
    SetPreferenceCommand,
    UpdateLeadScoreCommand,
)
from application.comments.add_comment import AddComment
from application.delivery.relay_events import InlineRelay
from application.leads.assign_lead import AssignLead
from application.leads.create_lead import CreateLead
from application.leads.update_lead_score import UpdateLeadScore
from application.notifications.delete_notification import DeleteNotification
from application.notifications.mark_all_as_read import MarkAllAsRead
from application.notifications.mark_as_read import MarkAsRead
from application.ports import Clock, ConcurrentUpdate, IdFactory, UnitOfWork
from application.preferences.set_preference import SetPreference
from application.retries import ATTEMPTS
from application.tasks.complete_task import CompleteTask
from application.tasks.create_task import CreateTask
from application.users.register_user import RegisterUser
from domain.leads import Lead
from domain.notifications import NotificationType
from domain.tasks import Task

if TYPE_CHECKING:
    from conftest import CrashingUnitOfWork, FixedClock, SequentialIds, StoreReader


class World:
    """What a use case is built from; alice's lead, an open task on it, and bob's notification."""

    def __init__(
        self,
        uow: UnitOfWork,
        publisher: RecordingPublisher,
        clock: Clock,
        ids: IdFactory,
        bobs: UUID,
        lead: UUID,
        task: UUID,
    ) -> None:
        self.uow, self.publisher, self.clock, self.ids, self.bobs = uow, publisher, clock, ids, bobs
        self.lead, self.task = str(lead), str(task)


async def register_a_new_user(w: World) -> object:
    return await RegisterUser(w.uow, w.clock)(RegisterUserCommand("dave", "Dave"))


async def update_a_profile(w: World) -> object:
    return await RegisterUser(w.uow, w.clock)(RegisterUserCommand("bob", "Robert"))


async def create_a_lead(w: World) -> object:
    command = CreateLeadCommand(actor_id="alice", name="Globex")
    return await CreateLead(w.uow, w.clock, w.ids)(command)


async def mark_as_read(w: World) -> object:
    return await MarkAsRead(w.uow, w.clock)(MarkAsReadCommand("bob", str(w.bobs)))


async def mark_all_as_read(w: World) -> object:
    return await MarkAllAsRead(w.uow, w.clock)(MarkAllAsReadCommand("bob"))


async def delete(w: World) -> object:
    command = DeleteNotificationCommand("bob", str(w.bobs))
    return await DeleteNotification(w.uow)(command)


async def assign_a_lead(w: World) -> object:
    return await AssignLead(w.uow, w.clock)(AssignLeadCommand("carol", w.lead, "bob"))


async def score_a_lead(w: World) -> object:
    command = UpdateLeadScoreCommand("bob", w.lead, 75)
    return await UpdateLeadScore(w.uow, w.clock, w.ids)(command)


async def create_a_task(w: World) -> object:
    command = CreateTaskCommand("bob", w.lead, "Send the quote", assignee_id="carol")
    return await CreateTask(w.uow, w.clock, w.ids)(command)


async def complete_a_task(w: World) -> object:
    command = CompleteTaskCommand("carol", w.task)
    return await CompleteTask(w.uow, w.clock, w.ids)(command)


async def add_a_comment(w: World) -> object:
    command = AddCommentCommand("bob", w.lead, "Any news?")
    return await AddComment(w.uow, w.clock, w.ids)(command)


async def mute_a_type(w: World) -> object:
    command = SetPreferenceCommand("bob", NotificationType.SCORE_UPDATED, enabled=False)
    return await SetPreference(w.uow)(command)


USE_CASES = [
    register_a_new_user,
    update_a_profile,
    create_a_lead,
    mark_as_read,
    mark_all_as_read,
    delete,
    assign_a_lead,
    score_a_lead,
    create_a_task,
    complete_a_task,
    add_a_comment,
    mute_a_type,
]


@pytest.fixture
async def world(
    given_users: Callable[..., Awaitable[None]],
    new_lead: Callable[..., Awaitable[Lead]],
    given_task: Callable[..., Awaitable[Task]],
    publisher: RecordingPublisher,
    clock: FixedClock,
    ids: SequentialIds,
    read: StoreReader,
) -> Callable[[UnitOfWork], World]:
    """Makes the world of the use cases on a given unit of work, five minutes after it began."""
    await given_users("alice", "bob", "carol")
    lead = await new_lead("alice")
    [entry] = await read.inbox("bob")
    task = await given_task(lead, "bob")
    clock.advance(minutes=5)
    return lambda uow: World(uow, publisher, clock, ids, entry.notification.id, lead.id, task.id)


@pytest.mark.parametrize("use_case", USE_CASES, ids=lambda use_case: use_case.__name__)
async def test_a_failed_commit_changes_nothing_and_tells_no_one(
    use_case: Callable[[World], Awaitable[object]],
    world: Callable[[UnitOfWork], World],
    crashing_uow: CrashingUnitOfWork,
    store: InMemoryStore,
    publisher: RecordingPublisher,
    relay: InlineRelay,
    read: StoreReader,
) -> None:
    before = read.snapshot()

    with pytest.raises(crashing_uow.failure):
        await use_case(world(crashing_uow))

    assert read.snapshot() == before
    assert publisher.published == []
    # The same call on a working unit of work does write: the check above is not vacuous.
    await use_case(world(InMemoryUnitOfWork(store, relay)))
    assert read.snapshot() != before


class ConflictingUnitOfWork(InMemoryUnitOfWork):
    """The in-memory unit of work whose first `conflicts` commits lose to a concurrent one."""

    def __init__(self, store: InMemoryStore, relay: InlineRelay, conflicts: int) -> None:
        super().__init__(store, relay)
        self.conflicts, self.commits = conflicts, 0

    async def commit(self) -> None:
        self.commits += 1
        if self.commits <= self.conflicts:
            raise ConcurrentUpdate("deadlock detected")
        await super().commit()


@pytest.mark.parametrize("use_case", USE_CASES, ids=lambda use_case: use_case.__name__)
@pytest.mark.parametrize("conflicts", [ATTEMPTS - 1, ATTEMPTS])
async def test_a_use_case_that_loses_to_a_concurrent_one_runs_again_a_bounded_number_of_times(
    use_case: Callable[[World], Awaitable[object]],
    conflicts: int,
    world: Callable[[UnitOfWork], World],
    store: InMemoryStore,
    publisher: RecordingPublisher,
    relay: InlineRelay,
    read: StoreReader,
) -> None:
    before = read.snapshot()
    uow = ConflictingUnitOfWork(store, relay, conflicts)

    if conflicts < ATTEMPTS:
        await use_case(world(uow))
        assert read.snapshot() != before
    else:
        with pytest.raises(ConcurrentUpdate):
            await use_case(world(uow))
        assert read.snapshot() == before
        assert publisher.published == []
    assert uow.commits == conflicts + (conflicts < ATTEMPTS)
