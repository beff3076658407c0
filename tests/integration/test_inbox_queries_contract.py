"""One contract for the inbox's read side (`InboxQueries`): in memory, on SQLite (SQLAlchemy
Core), on PostgreSQL (asyncpg, and SQLAlchemy Core too). What it reads was written through the
unit of work of the same backend, and it reads what the repository reads."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from test_repository_contract import (
    NOW,
    a_lead,
    a_user,
    assert_utc,
    deliver,
    given_lead,
    minutes,
    page_of,
)

from adapters.asyncpg.queries import AsyncpgInboxQueries
from adapters.memory import InMemoryInboxQueries, InMemoryStore, InMemoryUnitOfWork
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.queries import SqlAlchemyInboxQueries
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.ports import GroupSlice, InboxQueries, InboxSlice, UnitOfWork
from domain.events import NotificationCreated
from domain.notifications import (
    Badge,
    InboxCounts,
    InboxEntry,
    Notification,
    NotificationGroup,
    NotificationType,
    Receipt,
)


@dataclass
class Backend:
    new_uow: Callable[[], UnitOfWork]
    queries: InboxQueries
    kind: str = "memory"


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("postgres-core", marks=pytest.mark.postgres),
    ]
)
def read_side(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """Which read side, on which migrated database (None in memory); a sync fixture, so that
    it may pick an async one."""
    if request.param == "memory":
        return request.param, None
    database = {"postgres-core": "postgres", "postgres-icu": "icu_postgres"}.get(
        request.param, request.param
    )
    url: str = request.getfixturevalue(f"migrated_{database}_url")
    return request.param, url


# What depends on the order of strings runs on a database whose collation is not in code point
# order too (ICU's en-US: "_u1", "amy", "Bob"), where the contract's order still holds.
ANY_COLLATION = pytest.mark.parametrize(
    "read_side",
    [
        "memory",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("postgres-icu", marks=pytest.mark.postgres),
    ],
    indirect=True,
)


@pytest.fixture
async def backend(read_side: tuple[str, str | None]) -> AsyncIterator[Backend]:
    """A backend's unit of work to write with, and its read side to read with."""
    kind, url = read_side
    if url is None:
        store = InMemoryStore()
        yield Backend(lambda: InMemoryUnitOfWork(store), InMemoryInboxQueries(store))
        return
    engine = make_engine(url)
    session_factory = make_session_factory(engine)
    queries: AsyncpgInboxQueries | SqlAlchemyInboxQueries = (
        AsyncpgInboxQueries(url) if kind == "postgres" else SqlAlchemyInboxQueries(engine)
    )
    try:
        yield Backend(lambda: SqlAlchemyUnitOfWork(session_factory), queries, kind)
    finally:
        await queries.close()
        await engine.dispose()


async def read_page(backend: Backend, user_id: str, limit: int = 100, **options: Any) -> list[UUID]:
    return [
        entry.notification.id
        for entry in await backend.queries.page(InboxSlice(user_id, limit, **options))
    ]


async def walk_pages(backend: Backend, limit: int) -> list[UUID]:
    """Bob's inbox, a page at a time, each page after the last entry of the one before."""
    seen: list[UUID] = []
    before = None
    while True:
        entries = await backend.queries.page(InboxSlice("bob", limit, before))
        seen += [entry.notification.id for entry in entries]
        if len(entries) < limit:
            return seen
        last = entries[-1].notification
        before = (last.created_at, last.id)


async def mark_read(backend: Backend, user_id: str, *notification_ids: UUID) -> None:
    async with backend.new_uow() as uow:
        for notification_id in notification_ids:
            entry = await uow.inbox.get(user_id, notification_id)
            assert entry is not None
            entry.mark_read(minutes(30))
            await uow.inbox.save(entry)
        await uow.commit()


async def test_the_unread_count_is_the_callers_unread_entries(backend: Backend) -> None:
    ids = [await deliver(backend.new_uow, ["bob", "carol"], minutes(at)) for at in range(4)]
    await deliver(backend.new_uow, ["carol"], minutes(5))

    assert await backend.queries.unread_count("bob") == 4
    await mark_read(backend, "bob", ids[0], ids[2])

    assert await backend.queries.unread_count("bob") == 2
    assert await backend.queries.unread_count("carol") == 5
    assert await backend.queries.unread_count("stranger") == 0


async def test_a_page_is_the_callers_newest_first_up_to_the_limit(backend: Backend) -> None:
    # Ties at one instant, across page breaks, and another user's entries between them.
    ids = {}
    for at in (1, 3, 3, 3, 2, 0, 3, 2, 4):
        ids[await deliver(backend.new_uow, ["bob"], minutes(at))] = at
        await deliver(backend.new_uow, ["carol"], minutes(at))

    entries = await backend.queries.page(InboxSlice("bob", 100))
    newest = sorted(ids, key=lambda i: (ids[i], i), reverse=True)

    assert [entry.notification.id for entry in entries] == newest
    assert {entry.user_id for entry in entries} == {"bob"}
    assert await read_page(backend, "bob", limit=4) == newest[:4]
    assert await read_page(backend, "stranger") == []


async def test_pages_after_a_position_walk_the_inbox_without_repeats_or_gaps(
    backend: Backend,
) -> None:
    for at in (0, 1, 1, 2, 3, 3, 3, 4):
        await deliver(backend.new_uow, ["bob"], minutes(at))
    everything = await read_page(backend, "bob")

    for limit in (1, 2, 3, 8):
        assert await walk_pages(backend, limit) == everything


async def test_read_and_unread_entries_keep_one_order_at_ties_and_across_pages(
    backend: Backend,
) -> None:
    # PostgreSQL reads the read and the unread entries apart (an index each), then merges them.
    at = {}
    for minute in (0, 1, 1, 1, 2, 2, 3, 3):
        at[await deliver(backend.new_uow, ["bob"], minutes(minute))] = minute
    ids = list(at)
    await mark_read(backend, "bob", ids[1], ids[3], ids[4], ids[6])
    newest = sorted(at, key=lambda i: (at[i], i), reverse=True)

    assert await read_page(backend, "bob") == newest
    for limit in (1, 2, 3):
        assert await walk_pages(backend, limit) == newest, limit


async def test_an_entry_reads_back_whole_with_its_microseconds_in_utc(backend: Backend) -> None:
    lead = await given_lead(backend.new_uow)
    at = NOW + timedelta(microseconds=1)
    notification_id = await deliver(
        backend.new_uow, ["bob"], at, NotificationType.COMMENT_ADDED, lead_id=lead.id
    )
    await mark_read(backend, "bob", notification_id)

    [entry] = await backend.queries.page(InboxSlice("bob", 1))

    async with backend.new_uow() as uow:
        assert entry == await uow.inbox.get("bob", notification_id)
    assert type(entry.notification.type) is NotificationType
    assert entry.notification.related_lead_id == lead.id
    assert str(entry.notification.id) == str(notification_id)
    for moment in (entry.notification.created_at, entry.read_at, entry.updated_at):
        assert_utc(moment)
    assert entry.notification.created_at == at
    assert entry.is_read


async def test_filters_select_as_the_repository_does(backend: Backend) -> None:
    umbrella, acme = await given_lead(backend.new_uow), await given_lead(backend.new_uow)
    kinds = itertools.cycle(NotificationType)
    leads = itertools.cycle([umbrella.id, acme.id, None])
    ids = [
        await deliver(backend.new_uow, ["bob", "carol"], minutes(at % 7), next(kinds), next(leads))
        for at in range(24)
    ]
    await mark_read(backend, "bob", *ids[::3])
    filters: list[dict[str, Any]] = [
        {},
        {"unread_only": True},
        {"types": [NotificationType.SCORE_UPDATED]},
        {"types": [NotificationType.COMMENT_ADDED, NotificationType.LEAD_CREATED]},
        {"types": []},
        {"related_lead_id": umbrella.id},
        {"related_lead_id": uuid4()},
        {
            "unread_only": True,
            "types": [NotificationType.TASK_COMPLETED],
            "related_lead_id": acme.id,
        },
    ]
    middle = (minutes(3), ids[10])

    for options in filters:
        for before in (None, middle):
            expected: list[InboxEntry] = await page_of(
                backend.new_uow, "bob", 5, before=before, **options
            )
            read = await backend.queries.page(InboxSlice("bob", 5, before, **options))
            assert read == expected, options
    assert await read_page(backend, "bob", types=[]) == []
    unread = await read_page(backend, "bob", unread_only=True)
    assert len(unread) == 16
    assert not set(unread) & set(ids[::3])


async def test_reads_see_each_commit_at_once(backend: Backend) -> None:
    first = await deliver(backend.new_uow, ["bob"], minutes(1))
    assert await read_page(backend, "bob") == [first]

    second = await deliver(backend.new_uow, ["bob"], minutes(2))
    async with backend.new_uow() as uow:
        assert await uow.inbox.remove("bob", first)
        await uow.commit()

    assert await read_page(backend, "bob") == [second]
    assert await backend.queries.unread_count("bob") == 1


# Engagement: counts, the archive, receipts.


async def change(
    backend: Backend, user_id: str, notification_id: UUID, how: Callable[[InboxEntry], Any]
) -> None:
    async with backend.new_uow() as uow:
        entry = await uow.inbox.get_for_update(user_id, notification_id)
        assert entry is not None
        how(entry)
        await uow.inbox.save(entry)
        await uow.commit()


async def test_counts_leave_the_archive_out(backend: Backend) -> None:
    ids = [await deliver(backend.new_uow, ["bob", "carol"], minutes(at)) for at in range(5)]
    await change(backend, "bob", ids[0], lambda entry: entry.mark_read(minutes(10)))
    await change(backend, "bob", ids[1], lambda entry: entry.mark_seen(minutes(10)))
    await change(backend, "bob", ids[2], lambda entry: entry.archive(minutes(10)))
    await change(backend, "bob", ids[3], lambda entry: entry.mark_read(minutes(10)))
    await change(backend, "bob", ids[3], lambda entry: entry.archive(minutes(11)))

    assert await backend.queries.counts("bob") == InboxCounts(unread=2, unseen=1, total=3)
    assert await backend.queries.unread_count("bob") == 2
    assert await backend.queries.counts("carol") == InboxCounts(unread=5, unseen=5, total=5)
    assert await backend.queries.counts("stranger") == InboxCounts(0, 0, 0)


async def test_the_archived_filter_selects_as_the_repository_does(backend: Backend) -> None:
    lead = await given_lead(backend.new_uow)
    kinds = itertools.cycle(NotificationType)
    ids = [
        await deliver(backend.new_uow, ["bob"], minutes(at % 5), next(kinds), lead.id)
        for at in range(12)
    ]
    for notification_id in ids[::2]:
        await change(backend, "bob", notification_id, lambda entry: entry.archive(minutes(9)))
    await mark_read(backend, "bob", *ids[::3])

    for options in (
        {"archived": True},
        {"archived": True, "unread_only": True},
        {"archived": True, "types": [NotificationType.LEAD_CREATED]},
        {"archived": True, "related_lead_id": lead.id},
        {"archived": False, "unread_only": True},
    ):
        for before in (None, (minutes(2), ids[7])):
            expected = await page_of(backend.new_uow, "bob", 4, before=before, **options)
            read = await backend.queries.page(InboxSlice("bob", 4, before, **options))
            assert read == expected, options
    assert set(await read_page(backend, "bob", archived=True)) == set(ids[::2])
    assert set(await read_page(backend, "bob")) == set(ids[1::2])


async def test_sent_about_lists_the_leads_notifications_newest_first(backend: Backend) -> None:
    umbrella, acme = await given_lead(backend.new_uow), await given_lead(backend.new_uow)
    lead_created = await deliver(backend.new_uow, ["bob", "carol", "dave"], minutes(0))
    comment = NotificationType.COMMENT_ADDED
    # Ties at one instant come by the larger id first.
    tied = [
        await deliver(backend.new_uow, ["bob", "carol"], minutes(2), comment, umbrella.id)
        for _ in range(2)
    ]
    older = await deliver(
        backend.new_uow, ["bob", "carol", "dave"], minutes(1), comment, umbrella.id
    )
    await deliver(backend.new_uow, ["bob"], minutes(3), comment, acme.id)
    forgotten = await deliver(backend.new_uow, ["carol"], minutes(4), comment, umbrella.id)
    async with backend.new_uow() as uow:
        assert await uow.inbox.remove("carol", forgotten)
        assert await uow.inbox.remove("dave", older)
        await uow.commit()
    await change(backend, "bob", older, lambda entry: entry.mark_read(minutes(5)))
    await change(backend, "carol", older, lambda entry: entry.mark_seen(minutes(5)))
    await change(backend, "carol", older, lambda entry: entry.confirm_delivered(minutes(5)))
    # Archived, it is still held.
    await change(backend, "carol", older, lambda entry: entry.archive(minutes(6)))
    del lead_created  # about no lead: `deliver` gives it none

    sent = await backend.queries.sent_about(umbrella.id, 20)

    tied.sort(reverse=True)
    assert [s.notification.id for s in sent] == [*tied, older]
    counts = {s.notification.id: (s.recipients, s.delivered, s.seen, s.read) for s in sent}
    assert counts[older] == (2, 1, 2, 1)
    assert counts[tied[0]] == (2, 0, 0, 0)
    async with backend.new_uow() as uow:
        assert (await uow.inbox.get("bob", older)) is not None
    [first] = await backend.queries.sent_about(umbrella.id, 1)
    assert first.notification.id == tied[0]
    assert first.notification.related_lead_id == umbrella.id
    assert_utc(first.notification.created_at)
    assert await backend.queries.sent_about(uuid4(), 20) == []


async def test_sent_counts_and_receipts_read_the_delivery_confirmations(backend: Backend) -> None:
    umbrella = await given_lead(backend.new_uow)
    told: list[Notification] = []
    for at in range(2):
        notification = Notification(
            uuid4(), NotificationType.COMMENT_ADDED, "T", "M", umbrella.id, "alice", minutes(at)
        )
        async with backend.new_uow() as uow:
            await uow.inbox.add(notification, ["bob", "carol", "dave"])
            await uow.events.add([NotificationCreated(notification, ("bob", "carol", "dave"))])
            await uow.commit()
        told.append(notification)
    async with backend.new_uow() as uow:
        history = await uow.events.history("bob", 0, 100)
    first_id, second_id = (
        stored.id for stored in history if isinstance(stored.event, NotificationCreated)
    )
    async with backend.new_uow() as uow:
        # bob has both, carol the first; dave confirms nothing.
        await uow.inbox.confirm_delivered_uncounted({"bob": second_id}, minutes(5))
        await uow.inbox.confirm_delivered_uncounted({"carol": first_id}, minutes(6))
        await uow.commit()

    sent = await backend.queries.sent_about(umbrella.id, 20)

    assert [(s.notification.id, s.recipients, s.delivered) for s in sent] == [
        (told[1].id, 3, 1),
        (told[0].id, 3, 2),
    ]
    assert [
        (r.user_id, r.delivered_at) for r in await backend.queries.receipts(told[0].id, 50)
    ] == [
        ("bob", minutes(5)),
        ("carol", minutes(6)),
        ("dave", None),
    ]
    assert [
        (r.user_id, r.delivered_at) for r in await backend.queries.receipts(told[1].id, 50)
    ] == [
        ("bob", minutes(5)),
        ("carol", None),
        ("dave", None),
    ]


async def test_receipts_are_the_holders_by_user_id(backend: Backend) -> None:
    async with backend.new_uow() as uow:
        for user_id in ("carol", "bob"):
            await uow.users.add(a_user(user_id))
        await uow.commit()
    notification_id = await deliver(backend.new_uow, ["dave", "carol", "bob", "erin"], minutes(0))
    async with backend.new_uow() as uow:
        assert await uow.inbox.remove("erin", notification_id)
        await uow.commit()
    at = minutes(1) + timedelta(microseconds=3)
    await change(backend, "bob", notification_id, lambda entry: entry.mark_read(at))
    await change(backend, "carol", notification_id, lambda entry: entry.confirm_delivered(at))
    await change(backend, "carol", notification_id, lambda entry: entry.archive(at))

    receipts = await backend.queries.receipts(notification_id, 50)

    assert receipts == [
        Receipt("bob", "Bob", delivered_at=None, seen_at=at, read_at=at),
        Receipt("carol", "Carol", delivered_at=at, seen_at=None, read_at=None),
        Receipt("dave", None, delivered_at=None, seen_at=None, read_at=None),
    ]
    assert_utc(receipts[0].read_at)
    assert [r.user_id for r in await backend.queries.receipts(notification_id, 2)] == [
        "bob",
        "carol",
    ]
    assert await backend.queries.receipts(uuid4(), 50) == []


@ANY_COLLATION
async def test_receipts_go_by_user_id_in_code_point_order(backend: Backend) -> None:
    told = ["amy", "_u1", "émile", "Bob", "bob"]
    notification_id = await deliver(backend.new_uow, told, minutes(0))

    receipts = await backend.queries.receipts(notification_id, 50)

    assert [r.user_id for r in receipts] == ["Bob", "_u1", "amy", "bob", "émile"] == sorted(told)
    assert [r.user_id for r in await backend.queries.receipts(notification_id, 2)] == [
        "Bob",
        "_u1",
    ]


# Groups.


async def notify(
    backend: Backend,
    at: datetime,
    kind: NotificationType = NotificationType.COMMENT_ADDED,
    lead_id: UUID | None = None,
    actor_id: str | None = "alice",
    recipients: tuple[str, ...] = ("bob",),
    title: str = "Something happened",
) -> Notification:
    notification = Notification(uuid4(), kind, title, "…", lead_id, actor_id, at)
    async with backend.new_uow() as uow:
        await uow.inbox.add(notification, recipients)
        await uow.commit()
    return notification


async def read_groups(
    backend: Backend, user_id: str = "bob", limit: int = 100, **options: Any
) -> list[NotificationGroup]:
    return await backend.queries.groups(GroupSlice(user_id, limit, **options))


async def walk_groups(backend: Backend, limit: int, **options: Any) -> list[NotificationGroup]:
    """Every group, a page at a time, each page after the last group of the one before."""
    groups: list[NotificationGroup] = []
    after = None
    while True:
        page = await backend.queries.groups(GroupSlice("bob", limit, after, **options))
        groups += page
        if len(page) < limit:
            return groups
        after = (page[-1].last_at, page[-1].key)


def grouped(entries: list[InboxEntry]) -> list[tuple[str, list[UUID]]]:
    """The groups these entries (newest first) make, in the groups' order, each with its
    members' ids newest first: what `groups` must give, worked out from a feed page."""
    members: dict[str, list[InboxEntry]] = {}
    for entry in entries:
        members.setdefault(entry.notification.group_key, []).append(entry)
    ordered = sorted(members.items())
    ordered.sort(key=lambda group: group[1][0].notification.created_at, reverse=True)
    return [(key, [e.notification.id for e in group]) for key, group in ordered]


async def given_groups(backend: Backend) -> dict[str, Any]:
    """A mixed inbox: comments, tasks and scores on two leads, new leads by two actors over two
    days, ties at one instant across groups and within one, some read, some archived."""
    umbrella = a_lead("Umbrella")
    acme = a_lead("Acme")
    async with backend.new_uow() as uow:
        await uow.leads.add(umbrella)
        await uow.leads.add(acme)
        await uow.commit()
    comment, task = NotificationType.COMMENT_ADDED, NotificationType.TASK_COMPLETED
    score, new_lead = NotificationType.SCORE_UPDATED, NotificationType.LEAD_CREATED
    plan = [
        (0, comment, umbrella.id, "alice"),
        (1, new_lead, umbrella.id, "alice"),
        (1, new_lead, acme.id, "carol"),
        (2, task, umbrella.id, "carol"),
        (3, comment, acme.id, "dave"),
        (3, score, umbrella.id, None),  # a tie across groups
        (4, comment, umbrella.id, "carol"),
        (4, comment, umbrella.id, "dave"),  # a tie within a group
        (5, task, acme.id, "alice"),
        (6, comment, umbrella.id, "erin"),
        (24 * 60 + 1, new_lead, acme.id, "alice"),  # the next day: another group
        (24 * 60 + 2, score, acme.id, "alice"),
        (24 * 60 + 2, comment, acme.id, "bob"),
    ]
    ids = [
        (await notify(backend, minutes(at), kind, lead_id, actor)).id
        for at, kind, lead_id, actor in plan
    ]
    await mark_read(backend, "bob", ids[0], ids[4], ids[8])
    await change(backend, "bob", ids[3], lambda entry: entry.archive(minutes(2000)))
    await change(backend, "bob", ids[9], lambda entry: entry.archive(minutes(2000)))
    return {"umbrella": umbrella, "acme": acme, "ids": ids}


GROUP_FILTERS: list[dict[str, Any]] = [
    {},
    {"unread_only": True},
    {"archived": True},
    {"types": [NotificationType.COMMENT_ADDED]},
    {"types": [NotificationType.LEAD_CREATED, NotificationType.SCORE_UPDATED]},
    {"types": []},
    {"unread_only": True, "types": [NotificationType.COMMENT_ADDED]},
]


async def test_groups_are_their_members_in_order_newest_first_then_by_key(
    backend: Backend,
) -> None:
    given = await given_groups(backend)
    filters = [*GROUP_FILTERS, {"related_lead_id": given["umbrella"].id}]

    for options in filters:
        entries = await backend.queries.page(InboxSlice("bob", 100, **options))
        expected = grouped(entries)
        groups = await read_groups(backend, **options)
        assert [(g.key, g.latest.notification.id) for g in groups] == [
            (key, members[0]) for key, members in expected
        ], options
        assert [g.count for g in groups] == [len(members) for _, members in expected], options
        by_id = {entry.notification.id: entry for entry in entries}
        for group, (_, members) in zip(groups, expected, strict=True):
            assert group.latest == by_id[members[0]]
            assert group.unread_count == sum(not by_id[m].is_read for m in members)
            assert group.first_at == by_id[members[-1]].notification.created_at
            assert group.last_at == group.latest.notification.created_at
            assert_utc(group.first_at)


async def test_ties_go_by_key_across_groups_and_by_id_within_one(backend: Backend) -> None:
    given = await given_groups(backend)
    umbrella = given["umbrella"].id
    ids = given["ids"]

    groups = await read_groups(backend, limit=100)

    keys = [g.key for g in groups]
    # At minute 3: Acme's comments and Umbrella's scores, by key ascending.
    assert keys.index(f"comment_added:{given['acme'].id}") < keys.index(f"score_updated:{umbrella}")
    [comments] = [g for g in groups if g.key == f"comment_added:{umbrella}"]
    # Erin's (minute 6) is archived: the newest is one of the two at minute 4, the larger id.
    assert comments.latest.notification.id == max(ids[6], ids[7])


@ANY_COLLATION
async def test_groups_at_one_instant_go_by_key_in_code_point_order(backend: Backend) -> None:
    # New leads are grouped by actor: three groups whose newest members came at one instant.
    for actor in ("amy", "_u1", "Bob"):
        await notify(backend, minutes(1), NotificationType.LEAD_CREATED, actor_id=actor)
    day = minutes(1).date().isoformat()
    keys = [f"lead_created:{day}:{actor}" for actor in ("Bob", "_u1", "amy")]

    assert [g.key for g in await read_groups(backend)] == keys == sorted(keys)
    assert [g.key for g in await walk_groups(backend, 1)] == keys


async def test_read_and_unread_groups_at_one_instant_go_by_key_across_pages(
    backend: Backend,
) -> None:
    # Five groups whose newest members came at one instant, two of them read, and an older
    # one, read: PostgreSQL walks the unread and the read entries apart, then merges the
    # groups they lead, ties by key at every page break.
    actors = ("a3", "a1", "a5", "a2", "a4")
    newest = {
        actor: await notify(backend, minutes(1), NotificationType.LEAD_CREATED, actor_id=actor)
        for actor in actors
    }
    older = await notify(backend, minutes(0), NotificationType.LEAD_CREATED, actor_id="a0")
    await mark_read(backend, "bob", newest["a2"].id, newest["a4"].id, older.id)
    day = minutes(1).date().isoformat()
    keys = [f"lead_created:{day}:{actor}" for actor in ("a1", "a2", "a3", "a4", "a5", "a0")]

    assert [g.key for g in await read_groups(backend)] == keys
    for limit in (1, 2, 3, 4):
        assert [g.key for g in await walk_groups(backend, limit)] == keys, limit


async def test_pages_of_groups_walk_every_group_once(backend: Backend) -> None:
    await given_groups(backend)

    for options in GROUP_FILTERS:
        everything = await read_groups(backend, **options)
        for limit in (1, 2, 3, 5):
            walked = await walk_groups(backend, limit, **options)
            assert [g.key for g in walked] == [g.key for g in everything], (options, limit)
            assert walked == everything


async def test_a_groups_title_actors_and_lead_name(backend: Backend) -> None:
    umbrella = a_lead("Umbrella")
    async with backend.new_uow() as uow:
        await uow.leads.add(umbrella)
        await uow.commit()
    comment = NotificationType.COMMENT_ADDED
    for at, actor in (
        (1, "alice"),
        (2, "carol"),
        (3, None),
        (4, "dave"),
        (5, "carol"),
        (6, "erin"),
    ):
        await notify(backend, minutes(at), comment, umbrella.id, actor)
    # Two actors at one instant: the smaller id first.
    for actor in ("zoe", "yann"):
        await notify(backend, minutes(7), NotificationType.TASK_COMPLETED, umbrella.id, actor)
    alone = await notify(
        backend,
        minutes(8),
        NotificationType.SCORE_UPDATED,
        umbrella.id,
        None,
        title="Score of Umbrella: 90",
    )
    for at in (9, 10):
        await notify(backend, minutes(at), NotificationType.LEAD_CREATED, None, "alice")

    leads_by_alice, scores, tasks, comments = await read_groups(backend)

    assert (comments.count, comments.title) == (6, "6 new comments on Umbrella")
    assert comments.actor_ids == ("erin", "carol", "dave")
    assert comments.actor_count == 4
    assert (comments.type, comments.related_lead_id) == (comment, umbrella.id)
    assert comments.lead_name == "Umbrella"
    assert comments.first_at == minutes(1)
    assert tasks.title == "2 tasks completed on Umbrella"
    assert (tasks.actor_ids, tasks.actor_count) == (("yann", "zoe"), 2)
    assert (scores.count, scores.title) == (1, "Score of Umbrella: 90")
    assert scores.latest.notification.id == alone.id
    assert (scores.actor_ids, scores.actor_count) == ((), 0)
    assert leads_by_alice.title == "2 new leads"
    assert leads_by_alice.related_lead_id is None
    assert leads_by_alice.lead_name is None
    assert (leads_by_alice.actor_ids, leads_by_alice.actor_count) == (("alice",), 1)
    # A filter counts the members it selects.
    [unread_comments] = await read_groups(backend, unread_only=True, types=[comment])
    assert unread_comments.count == 6


async def test_a_groups_actors_are_its_three_latest_distinct_ones(backend: Backend) -> None:
    lead = await given_lead(backend.new_uow)
    # Newest first: erin, bob, bob, carol, dave.
    for at, actor in ((1, "dave"), (2, "carol"), (3, "bob"), (4, "bob"), (5, "erin")):
        await notify(backend, minutes(at), NotificationType.COMMENT_ADDED, lead.id, actor)
    for actor in ("alice", "Bob"):
        await notify(backend, minutes(6), NotificationType.TASK_COMPLETED, lead.id, actor)

    tasks, comments = await read_groups(backend)

    assert (comments.actor_ids, comments.actor_count) == (("erin", "bob", "carol"), 4)
    # At one instant, in code point order, whatever the database's collation: "B" before "a".
    assert (tasks.actor_ids, tasks.actor_count) == (("Bob", "alice"), 2)


async def test_a_new_member_moves_its_group_to_the_top_unread(backend: Backend) -> None:
    lead = await given_lead(backend.new_uow)
    old = await notify(backend, minutes(1), NotificationType.COMMENT_ADDED, lead.id, "carol")
    await notify(backend, minutes(2), NotificationType.TASK_COMPLETED, lead.id, "dave")
    async with backend.new_uow() as uow:
        assert await uow.inbox.mark_group_read("bob", old.group_key, minutes(3)) == 1
        await uow.commit()
    before = await read_groups(backend)
    assert [(g.key, g.unread_count) for g in before][1] == (old.group_key, 0)

    newer = await notify(backend, minutes(4), NotificationType.COMMENT_ADDED, lead.id, "erin")

    first, _ = await read_groups(backend)
    assert (first.key, first.count, first.unread_count) == (old.group_key, 2, 1)
    assert first.latest.notification.id == newer.id
    assert first.actor_ids == ("erin", "carol")
    [unread] = await read_groups(backend, unread_only=True, types=[NotificationType.COMMENT_ADDED])
    assert (unread.key, unread.count) == (old.group_key, 1)


async def test_group_pages_are_the_callers_own(backend: Backend) -> None:
    await notify(backend, minutes(1), recipients=("bob", "carol"))
    await notify(backend, minutes(2), recipients=("carol",))

    assert [g.count for g in await read_groups(backend, "bob")] == [1]
    assert await read_groups(backend, "stranger") == []


async def test_purged_and_deleted_notifications_leave_nothing_behind(backend: Backend) -> None:
    lead = await given_lead(backend.new_uow)
    comment = NotificationType.COMMENT_ADDED
    old = await notify(backend, minutes(1), comment, lead.id, recipients=("bob", "carol"))
    kept = await notify(backend, minutes(3), comment, lead.id, recipients=("bob", "carol"))
    await change(backend, "carol", old.id, lambda entry: entry.archive(minutes(4)))
    async with backend.new_uow() as uow:
        assert (await uow.inbox.purge_before(minutes(2), 10, 100)).notifications == 1
        assert await uow.inbox.remove("bob", kept.id)
        await uow.commit()

    assert await backend.queries.receipts(old.id, 50) == []
    assert [r.user_id for r in await backend.queries.receipts(kept.id, 50)] == ["carol"]
    [sent] = await backend.queries.sent_about(lead.id, 20)
    assert (sent.notification.id, sent.recipients) == (kept.id, 1)
    assert await read_groups(backend, "bob") == []
    assert await backend.queries.counts("bob") == InboxCounts(0, 0, 0)
    [carols] = await read_groups(backend, "carol")
    assert (carols.count, carols.latest.notification.id) == (1, kept.id)
    assert await read_groups(backend, "carol", archived=True) == []
    async with backend.new_uow() as uow:  # the last holder gone, the lead was told nothing
        assert await uow.inbox.remove("carol", kept.id)
        await uow.commit()
    assert await backend.queries.sent_about(lead.id, 20) == []


# Counts kept up with every change: each one equals a fresh count of the user's entries.


async def counted(backend: Backend, user_id: str) -> InboxCounts:
    """The user's counts, counted off their whole inbox (archive left out)."""
    async with backend.new_uow() as uow:
        entries = await uow.inbox.page(user_id, limit=10_000)
    return InboxCounts(
        unread=sum(not entry.is_read for entry in entries),
        unseen=sum(entry.seen_at is None for entry in entries),
        total=len(entries),
    )


async def assert_counts_are_counted(backend: Backend, *user_ids: str) -> None:
    for user_id in user_ids:
        truth = await counted(backend, user_id)
        assert await backend.queries.counts(user_id) == truth, user_id
        assert await backend.queries.unread_count(user_id) == truth.unread, user_id
        async with backend.new_uow() as uow:
            assert await uow.inbox.unread_count(user_id) == truth.unread, user_id
            badges = await uow.inbox.badges([user_id])
        assert badges == {user_id: Badge(truth.unread, truth.unseen)}, user_id


async def test_counts_of_notifications_to_most_users_are_counted(backend: Backend) -> None:
    # On SQL, a notification to most users is counted as a broadcast: the reads add it.
    users = [f"user-{number:02d}" for number in range(80)]
    await deliver(backend.new_uow, users[:2], minutes(0))
    kept = await deliver(backend.new_uow, users[1:75], minutes(1))
    await deliver(backend.new_uow, users[5:], minutes(2))
    await change(backend, "user-01", kept, lambda entry: entry.archive(minutes(10)))
    await change(backend, "user-10", kept, lambda entry: entry.mark_read(minutes(10)))

    await assert_counts_are_counted(backend, "user-00", "user-01", "user-10", "user-79")
    assert await backend.queries.counts("user-10") == InboxCounts(unread=1, unseen=1, total=2)


async def change_entry(
    backend: Backend,
    user_id: str,
    notification_id: UUID,
    *changes: Callable[[InboxEntry], bool],
    locked: bool = True,
) -> None:
    async with backend.new_uow() as uow:
        read = uow.inbox.get_for_update if locked else uow.inbox.get
        entry = await read(user_id, notification_id)
        assert entry is not None
        for change in changes:
            assert change(entry)
            await uow.inbox.save(entry)
        await uow.commit()


async def test_counts_follow_every_change_of_the_entries(backend: Backend) -> None:
    made = [an_entry_notification(minutes(at)) for at in range(4)]
    async with backend.new_uow() as uow:
        await uow.inbox.add(made[0], ["bob", "carol"])
        await uow.inbox.add(made[1], ["bob"])
        await uow.commit()
    async with backend.new_uow() as uow:
        await uow.inbox.add(made[2], ["bob", "carol", "dave"])
        await uow.inbox.add(made[3], [])
        await uow.commit()
    users = ("bob", "carol", "dave", "nobody")
    await assert_counts_are_counted(backend, *users)

    later = minutes(10)
    await change_entry(backend, "bob", made[0].id, lambda entry: entry.mark_seen(later))
    await assert_counts_are_counted(backend, *users)
    # Saved twice in one unit of work, and without being read for update.
    await change_entry(
        backend,
        "bob",
        made[1].id,
        lambda entry: entry.mark_read(later),
        lambda entry: entry.archive(later),
        locked=False,
    )
    await assert_counts_are_counted(backend, *users)
    await change_entry(backend, "bob", made[1].id, lambda entry: entry.unarchive(later))
    await assert_counts_are_counted(backend, *users)
    await change_entry(backend, "bob", made[1].id, lambda entry: entry.mark_unread(later))
    await assert_counts_are_counted(backend, *users)
    await change_entry(backend, "carol", made[2].id, lambda entry: entry.archive(later))
    await assert_counts_are_counted(backend, *users)

    async with backend.new_uow() as uow:
        assert await uow.inbox.mark_all_seen("dave", later) == 1
        await uow.commit()
    await assert_counts_are_counted(backend, *users)
    async with backend.new_uow() as uow:
        assert await uow.inbox.mark_all_read("bob", later) == 3
        await uow.commit()
    await assert_counts_are_counted(backend, *users)
    async with backend.new_uow() as uow:
        assert await uow.inbox.mark_group_read("carol", made[0].group_key, later) == 1
        assert await uow.inbox.confirm_delivered({"carol": 10**9}, later) == 0
        await uow.commit()
    await assert_counts_are_counted(backend, *users)

    async with backend.new_uow() as uow:
        assert await uow.inbox.remove("dave", made[2].id)
        assert await uow.inbox.remove("carol", made[2].id)  # archived: counted nowhere
        assert not await uow.inbox.remove("carol", made[2].id)
        await uow.commit()
    await assert_counts_are_counted(backend, *users)

    async with backend.new_uow() as uow:
        await uow.inbox.add(an_entry_notification(minutes(20)), ["bob", "carol"])
        assert (await uow.inbox.purge_before(minutes(2), 10, 100)).notifications == 2
        await uow.commit()
    await assert_counts_are_counted(backend, *users)


async def test_counts_read_in_a_unit_of_work_include_its_own_changes(backend: Backend) -> None:
    kept = an_entry_notification(minutes(0))
    async with backend.new_uow() as uow:
        await uow.inbox.add(kept, ["bob"])
        await uow.commit()
    async with backend.new_uow() as uow:
        await uow.inbox.add(an_entry_notification(minutes(1)), ["bob", "carol"])
        await uow.events.take_turn()
        assert await uow.inbox.badges(["bob", "carol", "dave"]) == {
            "bob": Badge(2, 2),
            "carol": Badge(1, 1),
            "dave": Badge(0, 0),
        }
        assert await uow.inbox.mark_all_seen("bob", minutes(2)) == 2
        assert await uow.inbox.remove("carol", kept.id) is False
        assert await uow.inbox.badges(["bob"]) == {"bob": Badge(2, 0)}
        assert await uow.inbox.mark_all_read("bob", minutes(2)) == 2
        assert await uow.inbox.unread_count("bob") == 0
        # Not committed yet: what others read is the committed state.
        assert await backend.queries.counts("bob") == InboxCounts(1, 1, 1)
        await uow.commit()
    await assert_counts_are_counted(backend, "bob", "carol")

    async with backend.new_uow() as uow:  # rolled back: the counts with it
        await uow.inbox.add(an_entry_notification(minutes(3)), ["bob"])
        assert await uow.inbox.remove("bob", kept.id)
        assert await uow.inbox.badges(["bob"]) == {"bob": Badge(1, 1)}
    assert await backend.queries.counts("bob") == InboxCounts(0, 0, 2)
    await assert_counts_are_counted(backend, "bob", "carol")


def an_entry_notification(at: datetime) -> Notification:
    return Notification(uuid4(), NotificationType.COMMENT_ADDED, "T", "M", None, "alice", at)


# markAllAsRead on PostgreSQL answers with a mark, and writes its entries afterwards
# (`apply_deferred`): every read gives the same answers before and after.


async def announce(
    backend: Backend, at: datetime, lead_id: UUID, *, with_event: bool = True
) -> Notification:
    """A comment on the lead told to bob and carol, with its `notification:created` event as
    `notify` writes it (`with_event=False`: as before event ids existed)."""
    notification = Notification(
        uuid4(), NotificationType.COMMENT_ADDED, "A comment", "…", lead_id, "alice", at
    )
    async with backend.new_uow() as uow:
        await uow.inbox.add(notification, ["bob", "carol"])
        if with_event:
            await uow.events.add([NotificationCreated(notification, ("bob", "carol"))])
        await uow.commit()
    return notification


async def what_bob_reads(backend: Backend, lead_id: UUID, told: list[UUID]) -> dict[str, Any]:
    queries = backend.queries
    async with backend.new_uow() as uow:
        entries = [await uow.inbox.get("bob", notification_id) for notification_id in told]
    return {
        "page": await queries.page(InboxSlice("bob", 100)),
        "unread": await queries.page(InboxSlice("bob", 100, unread_only=True)),
        "archived": await queries.page(InboxSlice("bob", 100, archived=True)),
        "archived unread": await queries.page(
            InboxSlice("bob", 100, unread_only=True, archived=True)
        ),
        "counts": await queries.counts("bob"),
        "unread count": await queries.unread_count("bob"),
        "groups": await read_groups(backend),
        "unread groups": await read_groups(backend, unread_only=True),
        "sent": await queries.sent_about(lead_id, 20),
        "receipts": [await queries.receipts(notification_id, 50) for notification_id in told],
        "entries": entries,
    }


async def test_mark_all_read_reads_the_same_before_and_after_its_entries_are_written(
    backend: Backend,
) -> None:
    lead = await given_lead(backend.new_uow)
    unread = await announce(backend, minutes(1), lead.id)
    seen = await announce(backend, minutes(2), lead.id)
    read = await announce(backend, minutes(3), lead.id)
    archived = await announce(backend, minutes(4), lead.id)
    legacy = await announce(backend, minutes(5), lead.id, with_event=False)
    await change(backend, "bob", seen.id, lambda entry: entry.mark_seen(minutes(6)))
    await change(backend, "bob", read.id, lambda entry: entry.mark_read(minutes(7)))
    await change(backend, "bob", archived.id, lambda entry: entry.archive(minutes(8)))
    async with backend.new_uow() as uow:
        assert await uow.inbox.mark_all_read("bob", minutes(30)) == 3
        await uow.commit()
    # Committed after the mark, though made before its time: not read by it.
    newer = await announce(backend, minutes(9), lead.id)
    told = [n.id for n in (unread, seen, read, archived, legacy, newer)]

    before = await what_bob_reads(backend, lead.id, told)
    async with backend.new_uow() as uow:
        applied = await uow.inbox.apply_deferred("bob")
        await uow.commit()
    after = await what_bob_reads(backend, lead.id, told)

    moments = {
        entry.notification.id: (entry.read_at, entry.seen_at, entry.updated_at)
        for entry in before["page"]
    }
    at = minutes(30)
    assert moments == {
        newer.id: (None, None, minutes(9)),
        legacy.id: (at, at, at),
        read.id: (minutes(7), minutes(7), minutes(7)),
        seen.id: (at, minutes(6), at),
        unread.id: (at, at, at),
    }
    assert [e.notification.id for e in before["unread"]] == [newer.id]
    assert [(e.notification.id, e.read_at) for e in before["archived"]] == [(archived.id, None)]
    assert before["archived unread"] == before["archived"]
    assert (before["counts"], before["unread count"]) == (InboxCounts(1, 1, 5), 1)
    [group] = before["groups"]
    assert (group.count, group.unread_count, group.latest.notification.id) == (5, 1, newer.id)
    assert [(g.count, g.unread_count) for g in before["unread groups"]] == [(1, 1)]
    assert [(s.notification.id, s.seen, s.read) for s in before["sent"]] == [
        (newer.id, 0, 0),
        (legacy.id, 1, 1),
        (archived.id, 0, 0),
        (read.id, 1, 1),
        (seen.id, 1, 1),
        (unread.id, 1, 1),
    ]
    bobs_receipts = [receipts[0] for receipts in before["receipts"]]
    assert [(r.user_id, r.seen_at, r.read_at) for r in bobs_receipts] == [
        ("bob", at, at),
        ("bob", minutes(6), at),
        ("bob", minutes(7), minutes(7)),
        ("bob", None, None),
        ("bob", at, at),
        ("bob", None, None),
    ]
    assert [e.seen_at if e else None for e in before["entries"]] == [
        r.seen_at for r in bobs_receipts
    ]
    # Written to the entries (on PostgreSQL; elsewhere they were at once), nothing reads
    # differently.
    assert applied == (backend.kind != "memory" and "postgres" in backend.kind)
    assert after == before
