"""Rollback: a use case that fails inside its unit of work leaves everything as it was."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork, RecordingPublisher
from application.commands import (
    CreateLeadCommand,
    DeleteNotificationCommand,
    MarkAllAsReadCommand,
    MarkAsReadCommand,
    RegisterUserCommand,
)
from application.leads.create_lead import CreateLead
from application.notifications.delete_notification import DeleteNotification
from application.notifications.mark_all_as_read import MarkAllAsRead
from application.notifications.mark_as_read import MarkAsRead
from application.ports import Clock, IdFactory, UnitOfWork
from application.users.register_user import RegisterUser

if TYPE_CHECKING:
    from conftest import CrashingUnitOfWork, FixedClock, SequentialIds, StoreReader


class World:
    """What a use case is built from, and the notification that bob has and can act on."""

    def __init__(
        self,
        uow: UnitOfWork,
        publisher: RecordingPublisher,
        clock: Clock,
        ids: IdFactory,
        bobs: UUID,
    ) -> None:
        self.uow, self.publisher, self.clock, self.ids, self.bobs = uow, publisher, clock, ids, bobs


async def register_a_new_user(w: World) -> object:
    return await RegisterUser(w.uow, w.clock)(RegisterUserCommand("dave", "Dave"))


async def update_a_profile(w: World) -> object:
    return await RegisterUser(w.uow, w.clock)(RegisterUserCommand("bob", "Robert"))


async def create_a_lead(w: World) -> object:
    command = CreateLeadCommand(actor_id="alice", name="Globex")
    return await CreateLead(w.uow, w.publisher, w.clock, w.ids)(command)


async def mark_as_read(w: World) -> object:
    return await MarkAsRead(w.uow, w.publisher, w.clock)(MarkAsReadCommand("bob", str(w.bobs)))


async def mark_all_as_read(w: World) -> object:
    return await MarkAllAsRead(w.uow, w.publisher, w.clock)(MarkAllAsReadCommand("bob"))


async def delete(w: World) -> object:
    command = DeleteNotificationCommand("bob", str(w.bobs))
    return await DeleteNotification(w.uow, w.publisher)(command)


@pytest.mark.parametrize(
    "use_case",
    [register_a_new_user, update_a_profile, create_a_lead, mark_as_read, mark_all_as_read, delete],
    ids=lambda use_case: use_case.__name__,
)
async def test_a_failed_commit_changes_nothing_and_tells_no_one(
    use_case: Callable[[World], Awaitable[object]],
    given_users: Callable[..., Awaitable[None]],
    given_lead: Callable[..., Awaitable[UUID]],
    crashing_uow: CrashingUnitOfWork,
    store: InMemoryStore,
    publisher: RecordingPublisher,
    clock: FixedClock,
    ids: SequentialIds,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    bobs = await given_lead("alice")
    before = read.snapshot()
    clock.advance(minutes=5)

    with pytest.raises(crashing_uow.failure):
        await use_case(World(crashing_uow, publisher, clock, ids, bobs))

    assert read.snapshot() == before
    assert publisher.published == []
    # The same call on a working unit of work does write: the check above is not vacuous.
    await use_case(World(InMemoryUnitOfWork(store), publisher, clock, ids, bobs))
    assert read.snapshot() != before
