"""The world the features' steps live in: the team by name, the features' words, the ports'
test doubles, and `Herald`, which drives the container's use cases as the GraphQL layer does.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar
from uuid import UUID, uuid4

import parse
from pytest_bdd import parsers

from adapters.memory import RecordingPublisher
from application.commands import (
    AddCommentCommand,
    ArchiveNotificationCommand,
    AssignLeadCommand,
    CompleteTaskCommand,
    ConfirmDeliveryCommand,
    CreateLeadCommand,
    CreateTaskCommand,
    DeleteNotificationCommand,
    GetLeadQuery,
    GetPreferencesQuery,
    GetUnreadCountQuery,
    InboxCountsQuery,
    LeadNotificationsQuery,
    ListLeadsQuery,
    ListNotificationsQuery,
    MarkAllAsReadCommand,
    MarkAllAsSeenCommand,
    MarkAsReadCommand,
    MarkAsUnreadCommand,
    MarkGroupAsReadCommand,
    NotificationFeedQuery,
    NotificationGroupsQuery,
    ReceiptsQuery,
    RegisterUserCommand,
    SetPreferenceCommand,
    UnarchiveNotificationCommand,
    UpdateLeadScoreCommand,
)
from domain.errors import DomainError
from domain.events import (
    InboxEvent,
    NotificationCreated,
    NotificationDeleted,
    NotificationsBulkUpdated,
    NotificationUpdated,
    UnreadCountsChanged,
)
from domain.leads import Lead
from domain.notifications import (
    InboxCounts,
    InboxEntry,
    Notification,
    NotificationGroup,
    NotificationType,
    Receipt,
    SentNotification,
)
from domain.preferences import NotificationPreference
from domain.tasks import Task
from domain.users import User
from entrypoints.container import Container

T = TypeVar("T")

START = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
WHOLE_INBOX = 100
WITNESS_PATIENCE = 2.0  # seconds a told client may wait to read its inbox back

# The team the features talk about, and the user id each one's token carries.
TEAM = {
    "Alice": "user-alice",
    "Bob": "user-bob",
    "Carol": "user-carol",
    "Dave": "user-dave",
    "Erin": "user-erin",
}


# --- How the features' words are read ---------------------------------------------------------


@parse.with_pattern(r"[A-Z][a-z]+")
def _person(text: str) -> str:
    return text


@parse.with_pattern(r"[A-Z][a-z]+(?:(?:, | and )[A-Z][a-z]+)*")
def _people(text: str) -> list[str]:
    return re.split(r", | and ", text)


@parse.with_pattern(r'"[^"]+"(?:(?:, | and )"[^"]+")*')
def _quoted_list(text: str) -> list[str]:
    return re.findall(r'"([^"]+)"', text)


@parse.with_pattern(r'[^"]+')
def _text(text: str) -> str:
    return text


@parse.with_pattern(r"-?\d+")
def _number(text: str) -> int:
    return int(text)


@parse.with_pattern(r"his|her|their")
def _pronoun(text: str) -> str:
    return text


@parse.with_pattern(r"notifications?")
def _notifications(text: str) -> str:
    return text


@parse.with_pattern(r"read|seen|delivered")
def _state(text: str) -> str:
    return text


# The kinds of notification, as a salesperson names them.
KINDS = {
    "new leads": NotificationType.LEAD_CREATED,
    "completed tasks": NotificationType.TASK_COMPLETED,
    "score changes": NotificationType.SCORE_UPDATED,
    "new comments": NotificationType.COMMENT_ADDED,
}


@parse.with_pattern("|".join(KINDS))
def _kind(text: str) -> NotificationType:
    return KINDS[text]


WORDS = {
    "Kind": _kind,
    "Person": _person,
    "People": _people,
    "Leads": _quoted_list,
    "Text": _text,
    "Number": _number,
    "Pronoun": _pronoun,
    "Notifications": _notifications,
    "State": _state,
}


def phrase(pattern: str) -> parsers.parse:
    """A step parser that knows the features' words: `{who:Person}`, `"{lead:Text}"` …"""
    return parsers.parse(pattern, extra_types=WORDS)


# --- Test doubles for the ports that make outcomes exact ---------------------------------------


class TickingClock:
    """A clock one second further on at each reading: every change has its own instant."""

    def __init__(self, start: datetime = START) -> None:
        self._now = start

    def now(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Time passes: the next reading is `delta` (and its tick) further on."""
        self._now += delta


class RecordingIds:
    """Real random UUIDs, remembered, so that a step can look for what a refused call would
    have saved under them."""

    def __init__(self) -> None:
        self.issued: list[UUID] = []

    def new_id(self) -> UUID:
        self.issued.append(uuid4())
        return self.issued[-1]


@dataclass(frozen=True)
class InboxView:
    """A user's inbox and unread count, as a request made at that moment would have read them."""

    entries: list[InboxEntry]
    unread: int


async def _not_ready(user_id: str) -> InboxView:
    raise AssertionError("the publisher was used before the container was ready")


class WitnessPublisher(RecordingPublisher):
    """Records what clients are told and, at that very moment, what the told users' inboxes
    read: a client told of a change must find it already saved when it asks."""

    def __init__(self) -> None:
        super().__init__()
        self.look: Callable[[str], Awaitable[InboxView]] = _not_ready
        self.seen: dict[str, InboxView] = {}

    async def publish(self, events: Sequence[Any]) -> None:
        recorded = len(self.published)
        await super().publish(events)
        # What the recording publisher made of them, whatever envelope the port carries.
        for user_id in told_users(self.published[recorded:]):
            try:
                async with asyncio.timeout(WITNESS_PATIENCE):
                    self.seen[user_id] = await self.look(user_id)
            except TimeoutError:
                # A reader held up while clients are told: the telling waits on a transaction.
                raise AssertionError(
                    f"{user_id}'s inbox could not be read while clients were being told"
                ) from None

    def forget(self) -> None:
        """From now on, record only what the next action tells."""
        RecordingPublisher.__init__(self)
        self.seen.clear()


def told_users(events: Sequence[InboxEvent]) -> set[str]:
    users: set[str] = set()
    for event in events:
        match event:
            case NotificationCreated(recipients=recipients):
                users.update(recipients)
            case UnreadCountsChanged(counts=counts):
                users.update(counts)
            case NotificationUpdated(entry=entry):
                users.add(entry.user_id)
            case NotificationsBulkUpdated(user_id=user_id) | NotificationDeleted(user_id=user_id):
                users.add(user_id)
    return users


# What a bulk change is called in the news, by its action.
BULK_NEWS = {
    "markAllAsRead": "all read",
    "markAllAsSeen": "all seen",
    "markGroupAsRead": "group read",
}


def news_for(events: Sequence[InboxEvent], user_id: str) -> list[tuple[str, object]]:
    """What this user's open screens were told, in order, in a few plain words each."""
    news: list[tuple[str, object]] = []
    for event in events:
        match event:
            case NotificationCreated(notification=notification, recipients=recipients):
                news.extend(("new", notification.id) for r in recipients if r == user_id)
            case UnreadCountsChanged(counts=counts) if user_id in counts:
                news.append(("unread", counts[user_id]))
            case NotificationUpdated(entry=entry) if entry.user_id == user_id:
                news.append(("read" if entry.is_read else "unread again", entry.notification.id))
            case NotificationsBulkUpdated(user_id=who, count=count, action=action) if (
                who == user_id
            ):
                news.append((BULK_NEWS[action], count))
            case NotificationDeleted(user_id=who, notification_id=gone) if who == user_id:
                news.append(("deleted", gone))
    return news


# --- What the steps share ----------------------------------------------------------------------


class Run(Protocol):
    """Runs a coroutine to its end on the scenario's one event loop."""

    def __call__(self, coroutine: Coroutine[Any, Any, T], /) -> T: ...


@dataclass
class Outcome:
    """What the last action gave back, or the domain error it was refused with."""

    value: Any = None
    error: DomainError | None = None
    new_ids: list[UUID] = field(default_factory=list)  # drawn from the id factory meanwhile
    who: str | None = None  # the person who acted
    asked: Any = None  # what the step asked for, when the outcome alone does not tell

    def refused_with(self, kind: type[DomainError]) -> DomainError:
        assert self.error is not None, f"expected a refusal, the action gave {self.value!r}"
        assert isinstance(self.error, kind), f"expected {kind.__name__}, got {self.error!r}"
        return self.error


@dataclass
class Story:
    """What happened so far in the scenario, by the names the feature uses."""

    leads: dict[str, Lead] = field(default_factory=dict)
    notifications: dict[str, UUID] = field(default_factory=dict)  # by the lead's name
    read_at: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (person, lead)
    registrations: dict[str, User] = field(default_factory=dict)  # person → at first sign-in
    leads_before: dict[str, Lead] = field(default_factory=dict)  # before the last action on it
    tasks: dict[str, Task] = field(default_factory=dict)  # by title, as last given back
    first_completed: dict[str, datetime] = field(default_factory=dict)  # task title → when
    titles: dict[UUID, str] = field(default_factory=dict)  # of every notification told
    event_ids: dict[str, int] = field(default_factory=dict)  # lead → its notification's event
    delivered_at: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (person, lead)


class Herald:
    """Drives the container's use cases as the GraphQL layer does, in the features' words."""

    def __init__(
        self, container: Container, run: Run, publisher: WitnessPublisher, ids: RecordingIds
    ) -> None:
        self.container, self.run, self.publisher, self.ids = container, run, publisher, ids
        self.story = Story()

    # people and things by name
    @staticmethod
    def user_id(person: str) -> str:
        return TEAM[person]

    def notification_id(self, lead: str) -> UUID:
        assert lead in self.story.notifications, f"nobody was told about the lead {lead!r}"
        return self.story.notifications[lead]

    # acting
    def act(
        self,
        who: str | None,
        coroutine: Coroutine[Any, Any, Any],
        *,
        may_be_refused: bool = False,
    ) -> Outcome:
        """Run one action; what clients are told from now on is what this action told them.

        Unless the step says the action may be refused, a refusal fails the scenario there.
        """
        self.publisher.forget()
        issued_before = len(self.ids.issued)
        try:
            value = self.run(coroutine)
        except DomainError as error:
            if not may_be_refused:
                raise
            return Outcome(error=error, new_ids=self.ids.issued[issued_before:], who=who)
        for notification in self.notifications_told():
            self.story.titles[notification.id] = notification.title
        return Outcome(value=value, new_ids=self.ids.issued[issued_before:], who=who)

    def together(self, *actions: Coroutine[Any, Any, Any]) -> Outcome:
        """Run the actions at the same moment, as requests that arrive together; the outcome's
        value is the list of their answers."""

        async def all_of() -> list[Any]:
            return list(await asyncio.gather(*actions))

        return self.act(None, all_of())

    def sign_in(self, person: str, name: str | None, email: str | None) -> Outcome:
        command = RegisterUserCommand(self.user_id(person), name=name, email=email)
        return self.act(person, self.container.register_user()(command))

    def create_lead(self, person: str, *, may_be_refused: bool = False, **fields: Any) -> Outcome:
        command = CreateLeadCommand(actor_id=self.user_id(person), **fields)
        outcome = self.act(
            person, self.container.create_lead()(command), may_be_refused=may_be_refused
        )
        if outcome.error is None:
            lead: Lead = outcome.value
            self.story.leads[lead.name] = lead
            told = zip(self.publisher.published, self.publisher.event_ids, strict=True)
            for event, event_id in told:
                if isinstance(event, NotificationCreated):
                    assert event.notification.related_lead_id == lead.id
                    self.story.notifications[lead.name] = event.notification.id
                    self.story.event_ids[lead.name] = event_id
        return outcome

    def mark_as_read(
        self, person: str, notification_id: str, *, may_be_refused: bool = False
    ) -> Outcome:
        command = MarkAsReadCommand(self.user_id(person), notification_id)
        use_case = self.container.mark_as_read()
        return self.act(person, use_case(command), may_be_refused=may_be_refused)

    def mark_all_as_read(self, person: str) -> Outcome:
        command = MarkAllAsReadCommand(self.user_id(person))
        return self.act(person, self.container.mark_all_as_read()(command))

    def delete(self, person: str, notification_id: str, *, may_be_refused: bool = False) -> Outcome:
        command = DeleteNotificationCommand(self.user_id(person), notification_id)
        use_case = self.container.delete_notification()
        return self.act(person, use_case(command), may_be_refused=may_be_refused)

    def mark_as_unread(
        self, person: str, notification_id: str, *, may_be_refused: bool = False
    ) -> Outcome:
        command = MarkAsUnreadCommand(self.user_id(person), notification_id)
        use_case = self.container.mark_as_unread()
        return self.act(person, use_case(command), may_be_refused=may_be_refused)

    def mark_all_as_seen(self, person: str) -> Outcome:
        """The person opens the bell."""
        command = MarkAllAsSeenCommand(self.user_id(person))
        return self.act(person, self.container.mark_all_as_seen()(command))

    def archive(
        self, person: str, notification_id: str, *, may_be_refused: bool = False
    ) -> Outcome:
        command = ArchiveNotificationCommand(self.user_id(person), notification_id)
        use_case = self.container.archive_notification()
        return self.act(person, use_case(command), may_be_refused=may_be_refused)

    def unarchive(
        self, person: str, notification_id: str, *, may_be_refused: bool = False
    ) -> Outcome:
        command = UnarchiveNotificationCommand(self.user_id(person), notification_id)
        use_case = self.container.unarchive_notification()
        return self.act(person, use_case(command), may_be_refused=may_be_refused)

    def mark_group_as_read(
        self, person: str, group_key: str, *, may_be_refused: bool = False
    ) -> Outcome:
        command = MarkGroupAsReadCommand(self.user_id(person), group_key)
        use_case = self.container.mark_group_as_read()
        return self.act(person, use_case(command), may_be_refused=may_be_refused)

    def confirm_delivery(self, person: str, lead: str) -> Outcome:
        """One of the person's screens confirms it received every new notification up to the
        one about this lead; when each became delivered is kept in the story."""
        command = ConfirmDeliveryCommand(self.user_id(person), self.story.event_ids[lead])
        outcome = self.act(person, self.container.confirm_delivery()(command))
        inbox = self.inbox(person)
        for name, entry in zip(self.leads_in(inbox), inbox, strict=True):
            if entry.delivered_at is not None:
                self.story.delivered_at.setdefault((person, name), entry.delivered_at)
        return outcome

    def group_key(self, kind: NotificationType, lead: str) -> str:
        """The key of the group of this kind of notification about the lead, as the inbox
        gives it (lead-scoped kinds have one group per lead)."""
        return f"{kind.value}:{self.story.leads[lead].id}"

    def lead_ref(self, lead: str) -> str:
        return str(self.story.leads[lead].id)

    def remember_lead(self, lead_id: str, outcome: Outcome) -> Outcome:
        """Keep the lead as it was before this action, and as the action gave it back."""
        for name, lead in self.story.leads.items():
            if str(lead.id) == lead_id:
                self.story.leads_before[name] = lead
        if outcome.error is None:
            self.story.leads[outcome.value.name] = outcome.value
        return outcome

    def remember_task(self, outcome: Outcome) -> Outcome:
        if outcome.error is None:
            task: Task = outcome.value
            self.story.tasks[task.title] = task
            if task.completed_at is not None:
                self.story.first_completed.setdefault(task.title, task.completed_at)
        return outcome

    def assign_lead(
        self, person: str, lead_id: str, owner: str, *, may_be_refused: bool = False
    ) -> Outcome:
        command = AssignLeadCommand(self.user_id(person), lead_id, self.user_id(owner))
        outcome = self.act(
            person, self.container.assign_lead()(command), may_be_refused=may_be_refused
        )
        return self.remember_lead(lead_id, outcome)

    def update_score(
        self, person: str, lead_id: str, score: int, *, may_be_refused: bool = False
    ) -> Outcome:
        command = UpdateLeadScoreCommand(self.user_id(person), lead_id, score)
        outcome = self.act(
            person, self.container.update_lead_score()(command), may_be_refused=may_be_refused
        )
        return self.remember_lead(lead_id, outcome)

    def list_leads(self, person: str, limit: int | None = None) -> Outcome:
        query = ListLeadsQuery() if limit is None else ListLeadsQuery(limit)
        use_case = self.container.list_leads()
        return self.act(person, use_case(query), may_be_refused=limit is not None)

    def create_task(
        self,
        person: str,
        lead_id: str,
        title: str,
        assignee: str | None = None,
        *,
        may_be_refused: bool = False,
    ) -> Outcome:
        assignee_id = None if assignee is None else self.user_id(assignee)
        command = CreateTaskCommand(self.user_id(person), lead_id, title, assignee_id)
        outcome = self.act(
            person, self.container.create_task()(command), may_be_refused=may_be_refused
        )
        return self.remember_task(outcome)

    def complete_task(self, person: str, task_id: str, *, may_be_refused: bool = False) -> Outcome:
        command = CompleteTaskCommand(self.user_id(person), task_id)
        outcome = self.act(
            person, self.container.complete_task()(command), may_be_refused=may_be_refused
        )
        return self.remember_task(outcome)

    def add_comment(
        self, person: str, lead_id: str, body: str, *, may_be_refused: bool = False
    ) -> Outcome:
        command = AddCommentCommand(self.user_id(person), lead_id, body)
        use_case = self.container.add_comment()
        return self.act(person, use_case(command), may_be_refused=may_be_refused)

    def set_preference(self, person: str, kind: NotificationType, enabled: bool) -> Outcome:
        command = SetPreferenceCommand(self.user_id(person), kind, enabled)
        return self.act(person, self.container.set_preference()(command))

    # looking, as a later request would
    def lead(self, lead: str) -> Lead:
        """The lead as a teammate reading it now would see it."""
        return self.run(self.container.get_lead()(GetLeadQuery(self.lead_ref(lead))))

    def preferences(self, person: str) -> list[NotificationPreference]:
        query = GetPreferencesQuery(self.user_id(person))
        return self.run(self.container.get_preferences()(query))

    def task(self, title: str) -> Task | None:
        """The task as stored (no use case reads tasks back, so through a unit of work)."""
        return self.run(self._task(self.story.tasks[title].id))

    def task_by_id(self, task_id: UUID) -> Task | None:
        return self.run(self._task(task_id))

    def commenters(self, lead: str) -> set[str]:
        """Who has commented on the lead, as the next comment's notification goes by."""
        return self.run(self._commenters(self.story.leads[lead].id))

    async def _task(self, task_id: UUID) -> Task | None:
        async with self.container.uow() as uow:
            return await uow.tasks.get(task_id)

    async def _commenters(self, lead_id: UUID) -> set[str]:
        async with self.container.uow() as uow:
            return set(await uow.comments.author_ids(lead_id))

    def inbox(self, person: str) -> list[InboxEntry]:
        query = ListNotificationsQuery(self.user_id(person), WHOLE_INBOX)
        return self.run(self.container.list_notifications()(query))

    def archived(self, person: str) -> list[InboxEntry]:
        """The person's "Archived" view, newest first."""
        query = NotificationFeedQuery(self.user_id(person), WHOLE_INBOX, archived=True)
        page = self.run(self.container.notification_feed()(query))
        return [edge.entry for edge in page.edges]

    def counts(self, person: str) -> InboxCounts:
        query = InboxCountsQuery(self.user_id(person))
        return self.run(self.container.inbox_counts()(query))

    def groups(self, person: str) -> list[NotificationGroup]:
        query = NotificationGroupsQuery(self.user_id(person), WHOLE_INBOX)
        page = self.run(self.container.notification_groups()(query))
        return [edge.group for edge in page.edges]

    def sent_about(self, lead: str) -> list[SentNotification]:
        """What the team was told about the lead, newest first (leads are shared: everyone on
        the team sees the same)."""
        query = LeadNotificationsQuery(self.lead_ref(lead), WHOLE_INBOX)
        return self.run(self.container.lead_notifications()(query))

    def receipts(self, notification_id: UUID) -> list[Receipt]:
        query = ReceiptsQuery(str(notification_id), WHOLE_INBOX)
        return self.run(self.container.receipts()(query))

    def unread(self, person: str) -> int:
        query = GetUnreadCountQuery(self.user_id(person))
        return self.run(self.container.get_unread_count()(query))

    def registered(self, person: str) -> User | None:
        """The user as stored (no use case reads users back, so through a unit of work)."""
        return self.run(self._registered(self.user_id(person)))

    def registered_ids(self) -> list[str]:
        return self.run(self._registered_ids())

    async def _registered(self, user_id: str) -> User | None:
        async with self.container.uow() as uow:
            return await uow.users.get(user_id)

    async def _registered_ids(self) -> list[str]:
        async with self.container.uow() as uow:
            return await uow.users.all_ids()

    def entry(self, person: str, lead: str) -> InboxEntry:
        notification_id = self.notification_id(lead)
        for entry in [*self.inbox(person), *self.archived(person)]:
            if entry.notification.id == notification_id:
                return entry
        raise AssertionError(f"{person}'s inbox holds no notification about {lead!r}")

    def leads_in(self, entries: Sequence[InboxEntry]) -> list[str]:
        by_id = {lead.id: name for name, lead in self.story.leads.items()}
        return [by_id.get(entry.notification.related_lead_id) or "?" for entry in entries]

    def notifications_told(self, person: str | None = None) -> list[Notification]:
        """The new notifications the last action told of (to this person, when named)."""
        return [
            event.notification
            for event in self.publisher.published
            if isinstance(event, NotificationCreated)
            and (person is None or self.user_id(person) in event.recipients)
        ]

    def news(self, person: str) -> list[tuple[str, object]]:
        return news_for(self.publisher.published, self.user_id(person))

    def badges_told(self, person: str) -> list[tuple[int, int]]:
        """The (unread, unseen) counts the person's screens were told, in order."""
        user_id = self.user_id(person)
        return [
            (event.counts[user_id], event.unseen[user_id])
            for event in self.publisher.published
            if isinstance(event, UnreadCountsChanged) and user_id in event.counts
        ]

    def updates_told(self, person: str) -> list[InboxEntry]:
        """The notifications the person's screens were told changed, as they were told."""
        user_id = self.user_id(person)
        return [
            event.entry
            for event in self.publisher.published
            if isinstance(event, NotificationUpdated) and event.entry.user_id == user_id
        ]

    def told(self) -> set[str]:
        names = {user_id: person for person, user_id in TEAM.items()}
        return {names[user_id] for user_id in told_users(self.publisher.published)}
