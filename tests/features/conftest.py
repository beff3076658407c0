"""Fixtures and shared steps of the features: the container under test, in memory and on a
freshly migrated PostgreSQL, one event loop per scenario, and the steps every feature uses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta

import pytest
from dependency_injector import providers
from feature_support import (
    WHOLE_INBOX,
    Herald,
    InboxView,
    Outcome,
    RecordingIds,
    Run,
    TickingClock,
    WitnessPublisher,
    phrase,
)
from pytest_bdd import given, then, when

from adapters.memory import InMemoryStore
from adapters.memory.unit_of_work import InMemoryInboxRepository
from application.commands import GetUnreadCountQuery, ListNotificationsQuery
from domain.errors import GroupNotFound, InvalidInput, LeadNotFound, NotificationNotFound
from domain.events import NotificationCreated
from domain.notifications import InboxEntry
from entrypoints.container import Container, in_memory, inline_delivery
from entrypoints.settings import Settings

JWT_SECRET = "x" * 32
MEMORY_DATABASE_URL = "sqlite+aiosqlite:///:memory:"  # never opened: the store stands in for it


# --- How the witness reads an inbox while clients are being told --------------------------------
#
# The relay tells clients from within a transaction of its own (it marks what it published). A
# reader must not queue behind it, or the witness would wait on the very telling it watches: on
# PostgreSQL a new session reads committed data without waiting; the in-memory store lets one
# transaction in at a time, so there the witness reads its committed state directly.


def fresh_request(container: Container) -> Callable[[str], Awaitable[InboxView]]:
    async def look(user_id: str) -> InboxView:
        query = ListNotificationsQuery(user_id, WHOLE_INBOX)
        entries = await container.list_notifications()(query)
        unread = await container.get_unread_count()(GetUnreadCountQuery(user_id))
        return InboxView(entries, unread)

    return look


def memory_store(container: Container) -> InMemoryStore:
    """The store that `in_memory` put behind the container's units of work."""
    store = container.memory_store()
    assert isinstance(store, InMemoryStore), store
    return store


def committed_in_memory(store: InMemoryStore) -> Callable[[str], Awaitable[InboxView]]:
    async def look(user_id: str) -> InboxView:
        inbox = InMemoryInboxRepository(store.state)  # what the last commit left; only read
        entries = await inbox.newest(user_id, WHOLE_INBOX)
        return InboxView(entries, await inbox.unread_count(user_id))

    return look


# --- One event loop per scenario, and the container on both stores -----------------------------


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    # A loop of its own, not installed as the thread's: pytest-asyncio keeps its own loops.
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        yield runner


@pytest.fixture
def run(runner: asyncio.Runner) -> Run:
    return runner.run


@pytest.fixture
def publisher() -> WitnessPublisher:
    return WitnessPublisher()


@pytest.fixture
def ids() -> RecordingIds:
    return RecordingIds()


# Autouse: pytest-bdd asks for step fixtures only while the scenario runs, too late for pytest
# to parametrize; every scenario here runs on both stores.
@pytest.fixture(
    autouse=True, params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def container(
    request: pytest.FixtureRequest,
    runner: asyncio.Runner,
    publisher: WitnessPublisher,
    ids: RecordingIds,
) -> Iterator[Container]:
    """The application's own container, on the in-memory store or a fresh migrated PostgreSQL."""
    if request.param == "memory":
        settings = Settings(jwt_secret=JWT_SECRET, database_url=MEMORY_DATABASE_URL)
        container = in_memory(Container(settings=settings))
    else:
        url: str = request.getfixturevalue("migrated_postgres_url")
        container = Container(settings=Settings(jwt_secret=JWT_SECRET, database_url=url))
    # Clients are told before each use case returns, so a step can check what they were told.
    inline_delivery(container)
    container.publisher.override(providers.Object(publisher))
    container.clock.override(providers.Object(TickingClock()))
    container.ids.override(providers.Object(ids))
    publisher.look = (
        committed_in_memory(memory_store(container))
        if request.param == "memory"
        else fresh_request(container)
    )
    yield container
    if request.param == "postgres":
        # The read side keeps a pool of its own: closed here, or its tasks outlive the loop.
        runner.run(container.inbox_queries().close())
        runner.run(container.engine().dispose())


@pytest.fixture
def herald(
    container: Container, run: Run, publisher: WitnessPublisher, ids: RecordingIds
) -> Herald:
    return Herald(container, run, publisher, ids)


# --- Given: how things came to be ----------------------------------------------------------------


@given(phrase("{people:People} have signed in"))
def _team_signed_in(herald: Herald, people: list[str]) -> None:
    for person in people:
        user = herald.sign_in(person, person, f"{person.lower()}@example.com").value
        assert user.id == herald.user_id(person)


@given(phrase("{person:Person} has signed in"))
def _signed_in(herald: Herald, person: str) -> None:
    _team_signed_in(herald, [person])


@given(phrase('{person:Person} has signed in as "{name:Text}" with the email "{email:Text}"'))
def _signed_in_as(herald: Herald, person: str, name: str, email: str) -> None:
    user = herald.sign_in(person, name, email).value
    assert (user.name, user.email) == (name, email)
    herald.story.registrations[person] = user


@given(phrase("{person:Person} has signed in without a name"))
def _signed_in_without_name(herald: Herald, person: str) -> None:
    user = herald.sign_in(person, None, None).value
    assert user.name is None


@given(phrase('{person:Person} has created the lead "{lead:Text}"'))
def _has_created_lead(herald: Herald, person: str, lead: str) -> None:
    assert herald.create_lead(person, name=lead).value.name == lead.strip()


@given(
    phrase(
        '{person:Person} has created the lead "{lead:Text}" at the company "{company:Text}"'
        ' with the email "{email:Text}" and a score of {score:Number}'
    )
)
def _has_created_full_lead(
    herald: Herald, person: str, lead: str, company: str, email: str, score: int
) -> None:
    created = herald.create_lead(person, name=lead, company=company, email=email, score=score)
    assert created.value.name == lead


@given(phrase('{person:Person} has created the lead "{lead:Text}" with a score of {score:Number}'))
def _has_created_scored_lead(herald: Herald, person: str, lead: str, score: int) -> None:
    assert herald.create_lead(person, name=lead, score=score).value.score == score


@given(phrase('{person:Person} has handed the lead "{lead:Text}" to {owner:Person}'))
def _has_handed(herald: Herald, person: str, lead: str, owner: str) -> None:
    handed = herald.assign_lead(person, herald.lead_ref(lead), owner).value
    assert handed.owner_id == herald.user_id(owner)


@given(phrase('{person:Person} has changed the score of "{lead:Text}" to {score:Number}'))
def _has_changed_score(herald: Herald, person: str, lead: str, score: int) -> None:
    assert herald.update_score(person, herald.lead_ref(lead), score).value.score == score


@given(phrase('{person:Person} has created the task "{task:Text}" on "{lead:Text}"'))
def _has_created_task(herald: Herald, person: str, task: str, lead: str) -> None:
    assert herald.create_task(person, herald.lead_ref(lead), task).value.title == task


@given(
    phrase('{person:Person} has created the task "{task:Text}" on "{lead:Text}" for {who:Person}')
)
def _has_created_task_for(herald: Herald, person: str, task: str, lead: str, who: str) -> None:
    created = herald.create_task(person, herald.lead_ref(lead), task, who).value
    assert created.assignee_id == herald.user_id(who)


@given(phrase('{person:Person} has completed the task "{task:Text}"'))
def _has_completed_task(herald: Herald, person: str, task: str) -> None:
    completed = herald.complete_task(person, str(herald.story.tasks[task].id)).value
    assert completed.completed_at is not None


@given(phrase('{person:Person} has commented "{body:Text}" on "{lead:Text}"'))
def _has_commented(herald: Herald, person: str, body: str, lead: str) -> None:
    assert herald.add_comment(person, herald.lead_ref(lead), body).value.body == body


@given("these leads were created, oldest first:")
def _leads_created(herald: Herald, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert header == ["creator", "lead"], header
    for creator, lead in rows:
        _has_created_lead(herald, creator, lead)


@given(phrase('{person:Person} has read {_:Pronoun} notification about "{lead:Text}"'))
def _has_read(herald: Herald, person: str, lead: str) -> None:
    entry: InboxEntry = herald.mark_as_read(person, str(herald.notification_id(lead))).value
    assert entry.read_at is not None
    herald.story.read_at[person, lead] = entry.read_at


@given(phrase("{person:Person} has read all {_:Pronoun} notifications"))
def _has_read_all(herald: Herald, person: str) -> None:
    herald.mark_all_as_read(person)
    for lead, entry in zip(herald.leads_in(inbox := herald.inbox(person)), inbox, strict=True):
        assert entry.read_at is not None
        herald.story.read_at[person, lead] = entry.read_at


@given(phrase('{person:Person} has deleted {_:Pronoun} notification about "{lead:Text}"'))
def _has_deleted(herald: Herald, person: str, lead: str) -> None:
    assert herald.delete(person, str(herald.notification_id(lead))).value is True


@given(phrase("{person:Person} has opened {_:Pronoun} notifications"))
def _has_opened(herald: Herald, person: str) -> None:
    herald.mark_all_as_seen(person)
    assert all(entry.seen_at is not None for entry in herald.inbox(person))


@given(phrase('{person:Person} has archived {_:Pronoun} notification about "{lead:Text}"'))
def _has_archived(herald: Herald, person: str, lead: str) -> None:
    entry: InboxEntry = herald.archive(person, str(herald.notification_id(lead))).value
    assert entry.archived_at is not None


@given("a day has passed")
def _a_day_passed(herald: Herald) -> None:
    clock = herald.container.clock()
    assert isinstance(clock, TickingClock)
    clock.advance(timedelta(days=1))


# --- When: the actions every feature uses --------------------------------------------------------


@when(phrase('{person:Person} creates the lead "{lead:Text}"'), target_fixture="outcome")
def _creates_lead(herald: Herald, person: str, lead: str) -> Outcome:
    return herald.create_lead(person, name=lead)


@when(
    phrase('{person:Person} reads {_:Pronoun} notification about "{lead:Text}"'),
    target_fixture="outcome",
)
def _reads(herald: Herald, person: str, lead: str) -> Outcome:
    return herald.mark_as_read(person, str(herald.notification_id(lead)))


@when(phrase("{person:Person} reads all {_:Pronoun} notifications"), target_fixture="outcome")
def _reads_all(herald: Herald, person: str) -> Outcome:
    return herald.mark_all_as_read(person)


@when(phrase("{person:Person} opens {_:Pronoun} notifications"), target_fixture="outcome")
def _opens(herald: Herald, person: str) -> Outcome:
    return herald.mark_all_as_seen(person)


@when(
    phrase('{person:Person} archives {_:Pronoun} notification about "{lead:Text}"'),
    target_fixture="outcome",
)
def _archives(herald: Herald, person: str, lead: str) -> Outcome:
    return herald.archive(person, str(herald.notification_id(lead)))


@when(
    phrase('{person:Person} deletes {_:Pronoun} notification about "{lead:Text}"'),
    target_fixture="outcome",
)
def _deletes(herald: Herald, person: str, lead: str) -> Outcome:
    return herald.delete(person, str(herald.notification_id(lead)))


@when(
    phrase('{person:Person} hands the lead "{lead:Text}" to {owner:Person}'),
    target_fixture="outcome",
)
def _hands(herald: Herald, person: str, lead: str, owner: str) -> Outcome:
    return herald.assign_lead(person, herald.lead_ref(lead), owner)


@when(
    phrase('{person:Person} changes the score of "{lead:Text}" to {score:Number}'),
    target_fixture="outcome",
)
def _changes_score(herald: Herald, person: str, lead: str, score: int) -> Outcome:
    return herald.update_score(person, herald.lead_ref(lead), score)


@when(
    phrase('{person:Person} completes the task "{task:Text}"'),
    target_fixture="outcome",
)
def _completes_task(herald: Herald, person: str, task: str) -> Outcome:
    return herald.complete_task(person, str(herald.story.tasks[task].id))


@when(
    phrase('{person:Person} comments "{body:Text}" on "{lead:Text}"'),
    target_fixture="outcome",
)
def _comments(herald: Herald, person: str, body: str, lead: str) -> Outcome:
    return herald.add_comment(person, herald.lead_ref(lead), body)


# --- Then: what everyone's inbox holds ----------------------------------------------------------


@then(phrase("{person:Person}'s inbox is empty"))
def _inbox_empty(herald: Herald, person: str) -> None:
    assert herald.inbox(person) == []


@then(phrase("{person:Person}'s inbox holds only the notifications about {leads:Leads}"))
def _inbox_holds(herald: Herald, person: str, leads: list[str]) -> None:
    assert herald.leads_in(herald.inbox(person)) == leads


@then(phrase("{person:Person} has {count:Number} unread {_:Notifications}"))
def _unread_count(herald: Herald, person: str, count: int) -> None:
    assert herald.unread(person) == count


@then(phrase("{person:Person} has {count:Number} unseen {_:Notifications}"))
def _unseen_count(herald: Herald, person: str, count: int) -> None:
    assert herald.counts(person).unseen == count
    assert sum(entry.seen_at is None for entry in herald.inbox(person)) == count


@then(phrase("{count:Number} {_:Notifications} became {state:State}"))
def _became(outcome: Outcome, count: int) -> None:
    assert outcome.value == count


@then(phrase('{person:Person}\'s notification about "{lead:Text}" is seen'))
def _is_seen(herald: Herald, person: str, lead: str) -> None:
    assert herald.entry(person, lead).seen_at is not None


@then(phrase('{person:Person}\'s notification about "{lead:Text}" is unseen'))
def _is_unseen(herald: Herald, person: str, lead: str) -> None:
    assert herald.entry(person, lead).seen_at is None


@then(phrase('{person:Person} has an unread notification about "{lead:Text}"'))
def _has_unread_about(herald: Herald, person: str, lead: str) -> None:
    assert not herald.entry(person, lead).is_read


@then(phrase('{person:Person} has an unread notification "{title:Text}" reading "{message:Text}"'))
def _has_unread_reading(herald: Herald, person: str, title: str, message: str) -> None:
    unread = [
        (entry.notification.title, entry.notification.message)
        for entry in herald.inbox(person)
        if not entry.is_read
    ]
    assert (title, message) in unread


@then(phrase('{person:Person}\'s notification about "{lead:Text}" is read'))
def _is_read(herald: Herald, person: str, lead: str) -> None:
    entry = herald.entry(person, lead)
    assert entry.is_read
    assert entry.read_at is not None


@then(phrase('{person:Person}\'s notification about "{lead:Text}" is unread'))
def _is_unread(herald: Herald, person: str, lead: str) -> None:
    entry = herald.entry(person, lead)
    assert not entry.is_read
    assert entry.read_at is None


@then(
    phrase('{person:Person}\'s notification about "{lead:Text}" is still read since the first time')
)
def _still_read(herald: Herald, person: str, lead: str) -> None:
    assert herald.entry(person, lead).read_at == herald.story.read_at[person, lead]


# --- Then: the team's leads ----------------------------------------------------------------------


@then(phrase('the lead "{lead:Text}" is owned by {person:Person}'))
def _lead_owned_by(herald: Herald, lead: str, person: str) -> None:
    assert herald.lead(lead).owner_id == herald.user_id(person)


@then(phrase('the lead "{lead:Text}" has a score of {score:Number}'))
def _lead_scored(herald: Herald, lead: str, score: int) -> None:
    assert herald.lead(lead).score == score


@then(phrase('the lead "{lead:Text}" is unchanged'))
def _lead_unchanged(herald: Herald, lead: str) -> None:
    # As it was before the last action on it, down to when it last changed.
    before = herald.story.leads_before.get(lead, herald.story.leads[lead])
    assert herald.lead(lead) == before
    assert herald.story.leads[lead] == before  # and as that action gave it back


# --- Then: refusals ----------------------------------------------------------------------------


@then("the request is refused as malformed")
def _refused_malformed(outcome: Outcome) -> None:
    assert outcome.refused_with(InvalidInput).field == "id"


@then("there is no such lead")
def _no_such_lead(outcome: Outcome) -> None:
    outcome.refused_with(LeadNotFound)


@then("the request is refused for its page size")
def _refused_page_size(outcome: Outcome) -> None:
    assert outcome.refused_with(InvalidInput).field == "limit"


@then("there is no such group")
def _no_such_group(outcome: Outcome) -> None:
    outcome.refused_with(GroupNotFound)


@then("the notification is not found")
def _notification_not_found(outcome: Outcome) -> None:
    outcome.refused_with(NotificationNotFound)


# --- Then: what clients were told ---------------------------------------------------------------


@then("nobody is told anything")
def _nobody_told(herald: Herald) -> None:
    assert herald.publisher.published == []


@then(phrase("{person:Person} is told nothing"))
def _told_nothing(herald: Herald, person: str) -> None:
    assert herald.news(person) == []


@then(phrase("{person:Person} is told {_:Pronoun} unseen count is {count:Number}"))
def _told_unseen(herald: Herald, person: str, count: int) -> None:
    told = herald.badges_told(person)
    assert told, f"{person} was told no count"
    assert told[-1][1] == count


@then(phrase("only {person:Person} is told anything"))
def _only_told(herald: Herald, person: str) -> None:
    assert herald.told() == {person}


@then(
    phrase(
        'only {people:People} are told of the new notification "{title:Text}"'
        ' reading "{message:Text}"'
    )
)
@then(
    phrase(
        'the new notification "{title:Text}" reading "{message:Text}"'
        " goes to {people:People}, and to nobody else"
    )
)
def _team_told(herald: Herald, people: list[str], title: str, message: str) -> None:
    created = [e for e in herald.publisher.published if isinstance(e, NotificationCreated)]
    assert len(created) == 1
    notification, recipients = created[0].notification, created[0].recipients
    assert (notification.title, notification.message) == (title, message)
    assert sorted(recipients) == sorted(herald.user_id(person) for person in people)
    assert herald.told() == set(people)
    for person in people:
        assert [kind for kind, _ in herald.news(person)].count("new") == 1


@then(
    phrase(
        '{person:Person} is told at once of a new notification "{title:Text}"'
        ' reading "{message:Text}", with {count:Number} unread'
    )
)
def _told_new_reading(herald: Herald, person: str, title: str, message: str, count: int) -> None:
    [notification] = herald.notifications_told(person)
    assert (notification.title, notification.message) == (title, message)
    assert herald.news(person) == [("new", notification.id), ("unread", count)]
    # What the told client reads back: the notification already saved, unread.
    seen = herald.publisher.seen[herald.user_id(person)]
    entries = {entry.notification.id: entry for entry in seen.entries}
    assert not entries[notification.id].is_read
    assert seen.unread == count


@then(
    phrase(
        '{person:Person} is told at once of a new notification about "{lead:Text}",'
        " with {count:Number} unread"
    )
)
def _told_new(herald: Herald, person: str, lead: str, count: int) -> None:
    assert herald.news(person) == [("new", herald.notification_id(lead)), ("unread", count)]


@then(
    phrase(
        "by the time {person:Person} was told, the notification about"
        ' "{lead:Text}" was already saved, unread, in {owner:Person}\'s inbox'
    )
)
def _saved_unread_when_told(herald: Herald, person: str, lead: str, owner: str) -> None:
    assert person in herald.told()
    seen = herald.publisher.seen[herald.user_id(owner)]
    entries = {e.notification.id: e for e in seen.entries}
    assert not entries[herald.notification_id(lead)].is_read
    assert seen.unread == dict(herald.news(owner))["unread"]
