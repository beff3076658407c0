"""MarkGroupAsRead: the caller reads every notification of one of their groups at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pytest

from adapters.memory import RecordingPublisher
from application.commands import (
    ArchiveNotificationCommand,
    MarkAsReadCommand,
    MarkGroupAsReadCommand,
)
from application.notifications.archive_notification import ArchiveNotification
from application.notifications.mark_as_read import MarkAsRead
from application.notifications.mark_group_as_read import MarkGroupAsRead
from domain.comments import Comment
from domain.errors import GroupNotFound
from domain.events import NotificationsBulkUpdated, UnreadCountsChanged
from domain.leads import Lead

if TYPE_CHECKING:
    from conftest import FixedClock, StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[Lead]]
Comments = Callable[..., Awaitable[list[Comment]]]


def comments_on(lead: Lead) -> str:
    return f"comment_added:{lead.id}"


async def test_reads_the_groups_unread_members_and_nothing_else(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    mark_group_as_read: MarkGroupAsRead,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol", "dave")
    umbrella = await new_lead("bob", "Umbrella Corp")
    await new_lead("alice", "Globex")  # a lead_created for bob, in another group
    await given_comments(umbrella, "alice", "carol", "dave")
    now = clock.advance(minutes=1)

    count = await mark_group_as_read(MarkGroupAsReadCommand("bob", comments_on(umbrella)))

    assert count == 3
    by_group: dict[str, list[tuple[object, object]]] = {}
    for entry in await read.inbox("bob"):
        by_group.setdefault(entry.notification.group_key, []).append((entry.read_at, entry.seen_at))
    assert by_group[comments_on(umbrella)] == [(now, now)] * 3
    [others] = [members for key, members in by_group.items() if key != comments_on(umbrella)]
    assert others == [(None, None)]
    assert publisher.published == [
        NotificationsBulkUpdated("bob", 3, "markGroupAsRead", comments_on(umbrella)),
        UnreadCountsChanged({"bob": 1}, {"bob": 1}),
    ]


async def test_counts_only_the_unread_ones_and_keeps_when_the_others_were_read(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    mark_as_read: MarkAsRead,
    mark_group_as_read: MarkGroupAsRead,
    publisher: RecordingPublisher,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    umbrella = await new_lead("bob", "Umbrella Corp")
    await given_comments(umbrella, "alice", "carol")
    first = (await read.inbox("bob"))[-1]
    read_at = clock.advance(minutes=1)
    await mark_as_read(MarkAsReadCommand("bob", str(first.notification.id)))
    publisher.published.clear()
    clock.advance(minutes=1)

    assert await mark_group_as_read(MarkGroupAsReadCommand("bob", comments_on(umbrella))) == 1

    earlier = await read.entry("bob", first.notification.id)
    assert earlier is not None
    assert earlier.read_at == read_at
    assert publisher.published == [
        NotificationsBulkUpdated("bob", 1, "markGroupAsRead", comments_on(umbrella)),
        UnreadCountsChanged({"bob": 0}, {"bob": 0}),
    ]


async def test_a_group_already_read_answers_zero_and_tells_no_one(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    mark_group_as_read: MarkGroupAsRead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    umbrella = await new_lead("bob", "Umbrella Corp")
    await given_comments(umbrella, "alice")
    await mark_group_as_read(MarkGroupAsReadCommand("bob", comments_on(umbrella)))
    publisher.published.clear()
    before = read.snapshot()

    assert await mark_group_as_read(MarkGroupAsReadCommand("bob", comments_on(umbrella))) == 0

    assert read.snapshot() == before
    assert publisher.published == []


async def test_archived_members_are_left_unread(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    archive: ArchiveNotification,
    mark_group_as_read: MarkGroupAsRead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    umbrella = await new_lead("bob", "Umbrella Corp")
    await given_comments(umbrella, "alice", "carol")
    archived = (await read.inbox("bob"))[0].notification.id
    await archive(ArchiveNotificationCommand("bob", str(archived)))
    publisher.published.clear()

    assert await mark_group_as_read(MarkGroupAsReadCommand("bob", comments_on(umbrella))) == 1

    entry = await read.entry("bob", archived)
    assert entry is not None
    assert (entry.read_at, entry.seen_at) == (None, None)
    assert publisher.published == [
        NotificationsBulkUpdated("bob", 1, "markGroupAsRead", comments_on(umbrella)),
        UnreadCountsChanged({"bob": 0}, {"bob": 0}),
    ]


async def test_new_leads_are_read_by_their_actor_and_day(
    given_users: Users,
    new_lead: NewLead,
    mark_group_as_read: MarkGroupAsRead,
    clock: FixedClock,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    await new_lead("alice", "A")
    await new_lead("carol", "C")
    await new_lead("alice", "B")
    clock.advance(days=1)
    await new_lead("alice", "Tomorrow")

    key = "lead_created:2025-03-14:alice"
    assert await mark_group_as_read(MarkGroupAsReadCommand("bob", key)) == 2

    unread = [entry.notification.title for entry in await read.inbox("bob") if not entry.is_read]
    assert unread == ["New lead: Tomorrow", "New lead: C"]


async def test_other_users_are_untouched(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    mark_group_as_read: MarkGroupAsRead,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    umbrella = await new_lead("bob", "Umbrella Corp")
    await given_comments(umbrella, "alice", "carol")  # alice is told of carol's comment
    alices = await read.inbox("alice")

    await mark_group_as_read(MarkGroupAsReadCommand("bob", comments_on(umbrella)))

    assert await read.inbox("alice") == alices
    assert await read.unread("alice") == 2  # the new lead, and carol's comment


async def test_an_unknown_key_is_not_found(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    mark_group_as_read: MarkGroupAsRead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    umbrella = await new_lead("bob", "Umbrella Corp")
    await given_comments(umbrella, "alice")
    before = read.snapshot()

    for key in (
        "no such group",
        f"comment_added:{umbrella.id}".upper(),
        f"score_updated:{umbrella.id}",
        "",
        "x" * 401,
        f"comment_added:{umbrella.id}\x00",  # no database stores a NUL
        "\ud800",  # nor a lone surrogate
    ):
        with pytest.raises(GroupNotFound):
            await mark_group_as_read(MarkGroupAsReadCommand("bob", key))

    assert read.snapshot() == before
    assert publisher.published == []


async def test_another_users_group_is_not_found(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    mark_group_as_read: MarkGroupAsRead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    umbrella = await new_lead("bob", "Umbrella Corp")
    await given_comments(umbrella, "alice")  # bob's group; carol holds none of it
    before = read.snapshot()

    with pytest.raises(GroupNotFound):
        await mark_group_as_read(MarkGroupAsReadCommand("carol", comments_on(umbrella)))

    assert read.snapshot() == before
    assert publisher.published == []


async def test_a_group_of_archived_members_only_is_not_found(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    archive: ArchiveNotification,
    mark_group_as_read: MarkGroupAsRead,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    umbrella = await new_lead("bob", "Umbrella Corp")
    await given_comments(umbrella, "alice")
    [entry] = await read.inbox("bob")
    await archive(ArchiveNotificationCommand("bob", str(entry.notification.id)))
    publisher.published.clear()
    before = read.snapshot()

    with pytest.raises(GroupNotFound):
        await mark_group_as_read(MarkGroupAsReadCommand("bob", comments_on(umbrella)))

    assert read.snapshot() == before
    assert publisher.published == []
