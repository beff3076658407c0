"""Fakes and fixtures for the use-case tests: in-memory adapters, a fixed clock, sequential ids."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from adapters.cursors import HmacCursorCodec
from adapters.memory import (
    InMemoryInboxQueries,
    InMemoryStore,
    InMemoryUnitOfWork,
    RecordingPublisher,
)
from application.commands import (
    AddCommentCommand,
    CreateLeadCommand,
    CreateTaskCommand,
    RegisterUserCommand,
)
from application.comments.add_comment import AddComment
from application.delivery.relay_events import InlineRelay, RelayEvents
from application.leads.assign_lead import AssignLead
from application.leads.create_lead import CreateLead
from application.leads.get_lead import GetLead
from application.leads.lead_notifications import LeadNotifications, Receipts
from application.leads.list_leads import ListLeads
from application.leads.update_lead_score import UpdateLeadScore
from application.notifications.archive_notification import (
    ArchiveNotification,
    UnarchiveNotification,
)
from application.notifications.confirm_delivery import ConfirmDelivery
from application.notifications.delete_notification import DeleteNotification
from application.notifications.get_unread_count import GetUnreadCount
from application.notifications.inbox_counts import GetInboxCounts
from application.notifications.list_notifications import ListNotifications
from application.notifications.mark_all_as_read import MarkAllAsRead
from application.notifications.mark_all_as_seen import MarkAllAsSeen
from application.notifications.mark_as_read import MarkAsRead
from application.notifications.mark_as_unread import MarkAsUnread
from application.notifications.mark_group_as_read import MarkGroupAsRead
from application.notifications.notification_feed import NotificationFeed
from application.notifications.notification_groups import NotificationGroups
from application.preferences.get_preferences import GetPreferences
from application.preferences.set_preference import SetPreference
from application.tasks.complete_task import CompleteTask
from application.tasks.create_task import CreateTask
from application.users.register_user import RegisterUser
from domain.comments import Comment
from domain.leads import Lead
from domain.notifications import InboxEntry, NotificationType
from domain.tasks import Task
from domain.users import User

START = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
CURSOR_SECRET = "a server secret of at least 32 bytes"


class FixedClock:
    """A `Clock` that stands still until a test moves it on."""

    def __init__(self, now: datetime = START) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


class SequentialIds:
    """An `IdFactory` that hands out …-a000-000000000001, …-a000-000000000002 … and remembers them.

    The ids are version-4 shaped, and each has a letter in it, so an uppercase spelling differs.
    """

    def __init__(self) -> None:
        self.issued: list[UUID] = []

    def new_id(self) -> UUID:
        self.issued.append(UUID(f"00000000-0000-4000-a000-{len(self.issued) + 1:012x}"))
        return self.issued[-1]


class CountingUnitOfWork(InMemoryUnitOfWork):
    """The in-memory unit of work, counting its commits: "no write" means no commit."""

    def __init__(self, store: InMemoryStore) -> None:
        super().__init__(store)
        self.commits = 0

    async def commit(self) -> None:
        self.commits += 1
        await super().commit()


class StoreUnavailable(Exception):
    """What the crashing unit of work raises: the database went away mid-transaction."""


class CrashingUnitOfWork(InMemoryUnitOfWork):
    """The in-memory unit of work whose commit fails, after the use case has made its writes."""

    failure = StoreUnavailable

    async def commit(self) -> None:
        raise self.failure("the database went away")


class StoreReader:
    """Reads committed state back through a fresh unit of work, as a later request would."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def user(self, user_id: str) -> User | None:
        async with InMemoryUnitOfWork(self._store) as uow:
            return await uow.users.get(user_id)

    async def user_ids(self) -> list[str]:
        async with InMemoryUnitOfWork(self._store) as uow:
            return await uow.users.all_ids()

    async def lead(self, lead_id: UUID) -> Lead | None:
        async with InMemoryUnitOfWork(self._store) as uow:
            return await uow.leads.get(lead_id)

    async def task(self, task_id: UUID) -> Task | None:
        async with InMemoryUnitOfWork(self._store) as uow:
            return await uow.tasks.get(task_id)

    async def commenters(self, lead_id: UUID) -> set[str]:
        async with InMemoryUnitOfWork(self._store) as uow:
            return await uow.comments.author_ids(lead_id)

    async def disabled(self, user_id: str) -> set[NotificationType]:
        async with InMemoryUnitOfWork(self._store) as uow:
            return await uow.preferences.disabled_types(user_id)

    async def inbox(self, user_id: str) -> list[InboxEntry]:
        async with InMemoryUnitOfWork(self._store) as uow:
            return await uow.inbox.newest(user_id, 100)

    async def entry(self, user_id: str, notification_id: UUID) -> InboxEntry | None:
        async with InMemoryUnitOfWork(self._store) as uow:
            return await uow.inbox.get(user_id, notification_id)

    async def unread(self, user_id: str) -> int:
        async with InMemoryUnitOfWork(self._store) as uow:
            return await uow.inbox.unread_count(user_id)

    def snapshot(self) -> object:
        """A deep copy of everything committed, to compare with after a failed call."""
        return copy.deepcopy(self._store.state)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def relay(store: InMemoryStore, publisher: RecordingPublisher) -> InlineRelay:
    """Publishes committed events to the recording publisher before the use case returns."""
    return InlineRelay(RelayEvents(lambda: InMemoryUnitOfWork(store), publisher))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def ids() -> SequentialIds:
    return SequentialIds()


@pytest.fixture
def counting_uow(store: InMemoryStore) -> CountingUnitOfWork:
    return CountingUnitOfWork(store)


@pytest.fixture
def crashing_uow(store: InMemoryStore) -> CrashingUnitOfWork:
    return CrashingUnitOfWork(store)


@pytest.fixture
def read(store: InMemoryStore) -> StoreReader:
    return StoreReader(store)


@pytest.fixture
def register_user(store: InMemoryStore, clock: FixedClock) -> RegisterUser:
    return RegisterUser(InMemoryUnitOfWork(store), clock)


@pytest.fixture
def create_lead(
    store: InMemoryStore, relay: InlineRelay, clock: FixedClock, ids: SequentialIds
) -> CreateLead:
    return CreateLead(InMemoryUnitOfWork(store, relay), clock, ids)


@pytest.fixture
def get_lead(store: InMemoryStore) -> GetLead:
    return GetLead(InMemoryUnitOfWork(store))


@pytest.fixture
def list_notifications(store: InMemoryStore) -> ListNotifications:
    return ListNotifications(InMemoryInboxQueries(store))


@pytest.fixture
def get_unread_count(store: InMemoryStore) -> GetUnreadCount:
    return GetUnreadCount(InMemoryInboxQueries(store))


@pytest.fixture
def mark_as_read(store: InMemoryStore, relay: InlineRelay, clock: FixedClock) -> MarkAsRead:
    return MarkAsRead(InMemoryUnitOfWork(store, relay), clock)


@pytest.fixture
def mark_all_as_read(store: InMemoryStore, relay: InlineRelay, clock: FixedClock) -> MarkAllAsRead:
    return MarkAllAsRead(InMemoryUnitOfWork(store, relay), clock)


@pytest.fixture
def delete_notification(store: InMemoryStore, relay: InlineRelay) -> DeleteNotification:
    return DeleteNotification(InMemoryUnitOfWork(store, relay))


@pytest.fixture
def mark_as_unread(store: InMemoryStore, relay: InlineRelay, clock: FixedClock) -> MarkAsUnread:
    return MarkAsUnread(InMemoryUnitOfWork(store, relay), clock)


@pytest.fixture
def archive(store: InMemoryStore, relay: InlineRelay, clock: FixedClock) -> ArchiveNotification:
    return ArchiveNotification(InMemoryUnitOfWork(store, relay), clock)


@pytest.fixture
def unarchive(store: InMemoryStore, relay: InlineRelay, clock: FixedClock) -> UnarchiveNotification:
    return UnarchiveNotification(InMemoryUnitOfWork(store, relay), clock)


@pytest.fixture
def mark_all_as_seen(store: InMemoryStore, relay: InlineRelay, clock: FixedClock) -> MarkAllAsSeen:
    return MarkAllAsSeen(InMemoryUnitOfWork(store, relay), clock)


@pytest.fixture
def mark_group_as_read(
    store: InMemoryStore, relay: InlineRelay, clock: FixedClock
) -> MarkGroupAsRead:
    return MarkGroupAsRead(InMemoryUnitOfWork(store, relay), clock)


@pytest.fixture
def confirm_delivery(
    store: InMemoryStore, relay: InlineRelay, clock: FixedClock
) -> ConfirmDelivery:
    return ConfirmDelivery(InMemoryUnitOfWork(store, relay), clock)


@pytest.fixture
def inbox_counts(store: InMemoryStore) -> GetInboxCounts:
    return GetInboxCounts(InMemoryInboxQueries(store))


@pytest.fixture
def notification_feed(store: InMemoryStore) -> NotificationFeed:
    return NotificationFeed(InMemoryInboxQueries(store), HmacCursorCodec(CURSOR_SECRET))


@pytest.fixture
def notification_groups(store: InMemoryStore) -> NotificationGroups:
    return NotificationGroups(InMemoryInboxQueries(store), HmacCursorCodec(CURSOR_SECRET))


@pytest.fixture
def lead_notifications(store: InMemoryStore) -> LeadNotifications:
    return LeadNotifications(InMemoryInboxQueries(store))


@pytest.fixture
def receipts(store: InMemoryStore) -> Receipts:
    return Receipts(InMemoryInboxQueries(store))


@pytest.fixture
def assign_lead(store: InMemoryStore, clock: FixedClock) -> AssignLead:
    return AssignLead(InMemoryUnitOfWork(store), clock)


@pytest.fixture
def update_lead_score(
    store: InMemoryStore, relay: InlineRelay, clock: FixedClock, ids: SequentialIds
) -> UpdateLeadScore:
    return UpdateLeadScore(InMemoryUnitOfWork(store, relay), clock, ids)


@pytest.fixture
def list_leads(store: InMemoryStore) -> ListLeads:
    return ListLeads(InMemoryUnitOfWork(store))


@pytest.fixture
def create_task(store: InMemoryStore, clock: FixedClock, ids: SequentialIds) -> CreateTask:
    return CreateTask(InMemoryUnitOfWork(store), clock, ids)


@pytest.fixture
def complete_task(
    store: InMemoryStore, relay: InlineRelay, clock: FixedClock, ids: SequentialIds
) -> CompleteTask:
    return CompleteTask(InMemoryUnitOfWork(store, relay), clock, ids)


@pytest.fixture
def add_comment(
    store: InMemoryStore, relay: InlineRelay, clock: FixedClock, ids: SequentialIds
) -> AddComment:
    return AddComment(InMemoryUnitOfWork(store, relay), clock, ids)


@pytest.fixture
def get_preferences(store: InMemoryStore) -> GetPreferences:
    return GetPreferences(InMemoryUnitOfWork(store))


@pytest.fixture
def set_preference(store: InMemoryStore) -> SetPreference:
    return SetPreference(InMemoryUnitOfWork(store))


@pytest.fixture
def given_users(register_user: RegisterUser) -> Callable[..., Awaitable[None]]:
    """Registers users by id, as their first token would (their name is their id, capitalised)."""

    async def given(*user_ids: str) -> None:
        for user_id in user_ids:
            await register_user(RegisterUserCommand(user_id, name=user_id.capitalize()))

    return given


@pytest.fixture
def given_lead(
    create_lead: CreateLead, publisher: RecordingPublisher, clock: FixedClock, read: StoreReader
) -> Callable[..., Awaitable[UUID]]:
    """Creates a lead a minute after the last thing happened; returns its notification's id.

    What that publishes is forgotten, so that each test sees only the events of its own act.
    """

    async def given(actor_id: str, name: str = "Acme deal") -> UUID:
        clock.advance(minutes=1)
        lead = await create_lead(CreateLeadCommand(actor_id=actor_id, name=name))
        publisher.published.clear()
        for user_id in await read.user_ids():
            for entry in await read.inbox(user_id):
                if entry.notification.related_lead_id == lead.id:
                    return entry.notification.id
        raise AssertionError("the lead notified no one")

    return given


# The helpers below each act a minute after the last thing happened, and forget what they
# published, so that each test sees only the events of its own act.


@pytest.fixture
def new_lead(
    create_lead: CreateLead, publisher: RecordingPublisher, clock: FixedClock
) -> Callable[..., Awaitable[Lead]]:
    """Creates a lead, owned by its creator; returns the lead."""

    async def given(owner_id: str, name: str = "Acme Corp", score: int = 0) -> Lead:
        clock.advance(minutes=1)
        lead = await create_lead(CreateLeadCommand(actor_id=owner_id, name=name, score=score))
        publisher.published.clear()
        return lead

    return given


@pytest.fixture
def given_task(
    create_task: CreateTask, publisher: RecordingPublisher, clock: FixedClock
) -> Callable[..., Awaitable[Task]]:
    """Adds a task to a lead on behalf of its creator; returns the task."""

    async def given(
        lead: Lead, creator_id: str, title: str = "Call back", assignee_id: str | None = None
    ) -> Task:
        clock.advance(minutes=1)
        task = await create_task(CreateTaskCommand(creator_id, str(lead.id), title, assignee_id))
        publisher.published.clear()
        return task

    return given


@pytest.fixture
def given_comments(
    add_comment: AddComment, publisher: RecordingPublisher, clock: FixedClock
) -> Callable[..., Awaitable[list[Comment]]]:
    """Each of these authors comments on the lead, in turn; returns their comments."""

    async def given(lead: Lead, *author_ids: str) -> list[Comment]:
        comments = []
        for author_id in author_ids:
            clock.advance(minutes=1)
            command = AddCommentCommand(author_id, str(lead.id), f"{author_id} was here")
            comments.append(await add_comment(command))
        publisher.published.clear()
        return comments

    return given
