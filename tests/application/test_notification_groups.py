"""NotificationGroups: the caller's inbox as groups ("4 new comments on Umbrella Corp"), newest
group first, a page at a time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pytest

from application.commands import (
    ArchiveNotificationCommand,
    MarkGroupAsReadCommand,
    NotificationFeedQuery,
    NotificationGroupsQuery,
)
from application.notifications.archive_notification import ArchiveNotification
from application.notifications.mark_group_as_read import MarkGroupAsRead
from application.notifications.notification_feed import NotificationFeed
from application.notifications.notification_groups import GroupPage, NotificationGroups
from domain.comments import Comment
from domain.errors import InvalidInput
from domain.leads import Lead
from domain.notifications import NotificationType

if TYPE_CHECKING:
    from conftest import FixedClock, StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[Lead]]
Comments = Callable[..., Awaitable[list[Comment]]]


def lines(page: GroupPage) -> list[tuple[str, int, int]]:
    """Each group as the inbox shows it: its title, its count and its unread count."""
    return [(edge.group.title, edge.group.count, edge.group.unread_count) for edge in page.edges]


async def test_four_comments_on_a_lead_are_one_group(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    notification_groups: NotificationGroups,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol", "dave", "erin")
    umbrella = await new_lead("bob", "Umbrella Corp")
    comments = await given_comments(umbrella, "alice", "carol", "dave", "erin")

    page = await notification_groups(NotificationGroupsQuery("bob"))

    assert lines(page) == [("4 new comments on Umbrella Corp", 4, 4)]
    group = page.edges[0].group
    newest = (await read.inbox("bob"))[0]
    assert group.key == f"comment_added:{umbrella.id}"
    assert (group.type, group.related_lead_id) == (NotificationType.COMMENT_ADDED, umbrella.id)
    assert group.latest == newest
    assert (group.actor_ids, group.actor_count) == (("erin", "dave", "carol"), 4)
    assert group.first_at == comments[0].created_at
    assert group.last_at == comments[-1].created_at
    assert (page.has_next_page, page.end_cursor) == (False, page.edges[0].cursor)


async def test_a_new_member_moves_its_group_to_the_top_and_makes_it_unread(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    mark_group_as_read: MarkGroupAsRead,
    notification_groups: NotificationGroups,
) -> None:
    await given_users("alice", "bob", "carol", "dave", "erin")
    umbrella = await new_lead("bob", "Umbrella Corp")
    await given_comments(umbrella, "alice", "carol", "dave", "erin")
    await mark_group_as_read(MarkGroupAsReadCommand("bob", f"comment_added:{umbrella.id}"))
    await new_lead("carol", "Globex")
    before = await notification_groups(NotificationGroupsQuery("bob"))
    assert lines(before) == [
        ("New lead: Globex", 1, 1),
        ("4 new comments on Umbrella Corp", 4, 0),
    ]

    await given_comments(umbrella, "alice")

    after = await notification_groups(NotificationGroupsQuery("bob"))
    assert lines(after) == [
        ("5 new comments on Umbrella Corp", 5, 1),
        ("New lead: Globex", 1, 1),
    ]
    assert after.edges[0].group.actor_ids == ("alice", "erin", "dave")


async def test_new_leads_are_grouped_by_actor_and_day(
    given_users: Users,
    new_lead: NewLead,
    notification_groups: NotificationGroups,
    clock: FixedClock,
) -> None:
    await given_users("alice", "bob", "carol")
    await new_lead("alice", "A")
    await new_lead("carol", "C")
    await new_lead("alice", "B")
    clock.advance(days=1)
    await new_lead("alice", "Tomorrow")

    page = await notification_groups(NotificationGroupsQuery("bob"))

    assert lines(page) == [
        ("New lead: Tomorrow", 1, 1),
        ("2 new leads", 2, 2),
        ("New lead: C", 1, 1),
    ]
    two = page.edges[1].group
    assert two.key == "lead_created:2025-03-14:alice"
    assert (two.related_lead_id, two.actor_ids) == (None, ("alice",))


async def test_the_filter_selects_the_members(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    notification_groups: NotificationGroups,
    archive: ArchiveNotification,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    umbrella = await new_lead("bob", "Umbrella Corp")
    await new_lead("alice", "Globex")
    await given_comments(umbrella, "alice", "carol")
    newest = (await read.inbox("bob"))[0]
    await archive(ArchiveNotificationCommand("bob", str(newest.notification.id)))

    only_comments = await notification_groups(
        NotificationGroupsQuery("bob", types=(NotificationType.COMMENT_ADDED,))
    )
    about_umbrella = await notification_groups(
        NotificationGroupsQuery("bob", related_lead_id=str(umbrella.id))
    )
    archived = await notification_groups(NotificationGroupsQuery("bob", archived=True))
    nothing = await notification_groups(NotificationGroupsQuery("bob", types=()))

    # Of the two comments, one is archived: the default views count the other alone.
    assert lines(only_comments) == [("New comment on Umbrella Corp", 1, 1)]
    assert lines(about_umbrella) == lines(only_comments)
    assert [edge.group.latest for edge in archived.edges] == [
        (await read.entry("bob", newest.notification.id))
    ]
    assert nothing.edges == []


async def test_unread_only_counts_the_unread_members(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    mark_group_as_read: MarkGroupAsRead,
    notification_groups: NotificationGroups,
) -> None:
    await given_users("alice", "bob", "carol")
    umbrella = await new_lead("bob", "Umbrella Corp")
    await given_comments(umbrella, "alice", "carol")
    await mark_group_as_read(MarkGroupAsReadCommand("bob", f"comment_added:{umbrella.id}"))
    await given_comments(umbrella, "carol")

    page = await notification_groups(NotificationGroupsQuery("bob", unread_only=True))

    assert [(edge.group.count, edge.group.unread_count) for edge in page.edges] == [(1, 1)]


async def test_pages_follow_one_another_without_gaps_or_repeats(
    given_users: Users,
    new_lead: NewLead,
    notification_groups: NotificationGroups,
    clock: FixedClock,
) -> None:
    await given_users("alice", "bob", "carol", "dave")
    for day in range(3):
        for actor in ("alice", "carol", "dave"):
            await new_lead(actor, f"{actor} {day}")
        clock.advance(days=1)
    whole = await notification_groups(NotificationGroupsQuery("bob", first=100))
    assert len(whole.edges) == 9

    keys, after = [], None
    while True:
        page = await notification_groups(NotificationGroupsQuery("bob", first=2, after=after))
        keys += [edge.group.key for edge in page.edges]
        if not page.has_next_page:
            break
        after = page.end_cursor

    assert keys == [edge.group.key for edge in whole.edges]


async def test_groups_of_the_same_instant_are_ordered_by_key(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    notification_groups: NotificationGroups,
) -> None:
    await given_users("alice", "bob", "carol")
    first = await new_lead("bob", "Umbrella Corp")
    second = await new_lead("bob", "Globex")
    await given_comments(first, "alice")
    await given_comments(second, "alice")

    page = await notification_groups(NotificationGroupsQuery("bob"))

    assert [edge.group.key for edge in page.edges] == [
        f"comment_added:{second.id}",
        f"comment_added:{first.id}",
    ]


async def test_a_cursor_of_another_user_or_of_the_feed_is_refused(
    given_users: Users,
    new_lead: NewLead,
    notification_groups: NotificationGroups,
    notification_feed: NotificationFeed,
) -> None:
    await given_users("alice", "bob", "carol")
    await new_lead("alice", "A")
    await new_lead("carol", "C")
    bobs = await notification_groups(NotificationGroupsQuery("bob", first=1))
    feed = await notification_feed(NotificationFeedQuery("bob", first=1))
    assert bobs.end_cursor is not None
    assert feed.end_cursor is not None

    for user, cursor in (
        ("carol", bobs.end_cursor),
        ("bob", feed.end_cursor),
        ("bob", bobs.end_cursor[:-1]),
        ("bob", "not a cursor"),
    ):
        with pytest.raises(InvalidInput) as caught:
            await notification_groups(NotificationGroupsQuery(user, after=cursor))
        assert caught.value.field == "after"


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_a_page_size_out_of_bounds_is_refused(
    first: int, notification_groups: NotificationGroups
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await notification_groups(NotificationGroupsQuery("bob", first=first))
    assert caught.value.field == "first"


async def test_a_malformed_lead_filter_is_refused(notification_groups: NotificationGroups) -> None:
    with pytest.raises(InvalidInput) as caught:
        await notification_groups(NotificationGroupsQuery("bob", related_lead_id="nope"))
    assert caught.value.field == "relatedLeadId"
