"""NotificationFeed: the caller's inbox page by page, newest first, with opaque signed cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import msgspec
import pytest

from adapters.cursors import HmacCursorCodec
from adapters.memory import InMemoryInboxQueries, InMemoryStore, InMemoryUnitOfWork
from application.commands import ListNotificationsQuery, NotificationFeedQuery
from application.notifications.list_notifications import ListNotifications
from application.notifications.notification_feed import FeedPage, NotificationFeed
from domain.errors import InvalidInput
from domain.notifications import InboxEntry, Notification, NotificationType

START = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
SECRET = "a server secret of at least 32 bytes"
LEAD = UUID("00000000-0000-4000-a000-00000000000a")
OTHER_LEAD = UUID("00000000-0000-4000-a000-00000000000b")


@pytest.fixture
def feed(store: InMemoryStore) -> NotificationFeed:
    return NotificationFeed(InMemoryInboxQueries(store), HmacCursorCodec(SECRET))


class Inboxes:
    """Writes notifications straight into the store, at chosen instants, with chosen ids."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._count = 0

    async def deliver(
        self,
        *recipients: str,
        minute: int = 0,
        kind: NotificationType = NotificationType.LEAD_CREATED,
        lead_id: UUID | None = None,
    ) -> UUID:
        self._count += 1
        notification = Notification(
            id=UUID(f"00000000-0000-4000-8000-{self._count:012x}"),
            type=kind,
            title=f"Notification {self._count}",
            message="Something happened",
            related_lead_id=lead_id,
            actor_id="alice",
            created_at=START + timedelta(minutes=minute),
        )
        async with InMemoryUnitOfWork(self._store) as uow:
            await uow.inbox.add(notification, recipients)
            await uow.commit()
        return notification.id

    async def read(self, user_id: str, notification_id: UUID) -> None:
        async with InMemoryUnitOfWork(self._store) as uow:
            entry = await uow.inbox.get(user_id, notification_id)
            assert entry is not None
            entry.mark_read(START + timedelta(days=1))
            await uow.inbox.save(entry)
            await uow.commit()

    async def remove(self, user_id: str, notification_id: UUID) -> None:
        async with InMemoryUnitOfWork(self._store) as uow:
            assert await uow.inbox.remove(user_id, notification_id)
            await uow.commit()


@pytest.fixture
def inboxes(store: InMemoryStore) -> Inboxes:
    return Inboxes(store)


def ids_of(page: FeedPage) -> list[UUID]:
    return [edge.entry.notification.id for edge in page.edges]


def entry_ids(entries: list[InboxEntry]) -> list[UUID]:
    return [entry.notification.id for entry in entries]


async def walk(feed: NotificationFeed, query: NotificationFeedQuery) -> list[list[UUID]]:
    """Every page, following each page's end cursor until there is no next page."""
    pages: list[list[UUID]] = []
    after = query.after
    while True:
        page = await feed(msgspec.structs.replace(query, after=after))
        pages.append(ids_of(page))
        if not page.has_next_page:
            return pages
        after = page.end_cursor
        assert after is not None


async def test_the_first_page_is_the_newest_entries(
    inboxes: Inboxes, feed: NotificationFeed
) -> None:
    ids = [await inboxes.deliver("bob", minute=minute) for minute in range(5)]

    page = await feed(NotificationFeedQuery("bob", first=2))

    assert ids_of(page) == [ids[4], ids[3]]
    assert page.has_next_page
    assert page.end_cursor == page.edges[-1].cursor
    assert [edge.entry.user_id for edge in page.edges] == ["bob", "bob"]


async def test_pages_follow_one_another_without_gaps_or_repeats(
    inboxes: Inboxes, feed: NotificationFeed
) -> None:
    ids = [await inboxes.deliver("bob", minute=minute) for minute in range(7)]

    pages = await walk(feed, NotificationFeedQuery("bob", first=3))

    assert pages == [ids[6:3:-1], ids[3:0:-1], ids[0:1]]


async def test_the_feed_has_the_order_of_get_notifications(
    inboxes: Inboxes, feed: NotificationFeed, store: InMemoryStore
) -> None:
    for minute in (3, 1, 3, 2, 3, 1):  # ties at the same instant, out of order
        await inboxes.deliver("bob", minute=minute)

    pages = await walk(feed, NotificationFeedQuery("bob", first=2))
    listed = await ListNotifications(InMemoryInboxQueries(store))(ListNotificationsQuery("bob"))

    assert [i for page in pages for i in page] == entry_ids(listed)


async def test_entries_of_one_instant_are_ordered_by_id_across_a_page_break(
    inboxes: Inboxes, feed: NotificationFeed
) -> None:
    tied = [await inboxes.deliver("bob", minute=1) for _ in range(4)]

    pages = await walk(feed, NotificationFeedQuery("bob", first=3))

    assert pages == [sorted(tied, reverse=True)[:3], sorted(tied, reverse=True)[3:]]


async def test_a_page_that_ends_the_inbox_has_no_next_page(
    inboxes: Inboxes, feed: NotificationFeed
) -> None:
    ids = [await inboxes.deliver("bob", minute=minute) for minute in range(2)]

    page = await feed(NotificationFeedQuery("bob", first=2))

    assert ids_of(page) == ids[::-1]
    assert not page.has_next_page
    assert page.end_cursor == page.edges[-1].cursor


async def test_an_empty_inbox_is_an_empty_page_without_a_cursor(feed: NotificationFeed) -> None:
    page = await feed(NotificationFeedQuery("bob"))

    assert page == FeedPage(edges=[], has_next_page=False, end_cursor=None)


async def test_the_page_after_the_last_is_empty(inboxes: Inboxes, feed: NotificationFeed) -> None:
    await inboxes.deliver("bob")
    last = await feed(NotificationFeedQuery("bob"))

    page = await feed(NotificationFeedQuery("bob", after=last.end_cursor))

    assert page == FeedPage(edges=[], has_next_page=False, end_cursor=None)


async def test_newer_notifications_arriving_between_pages_move_nothing(
    inboxes: Inboxes, feed: NotificationFeed
) -> None:
    ids = [await inboxes.deliver("bob", minute=minute) for minute in range(6)]
    first = await feed(NotificationFeedQuery("bob", first=2))

    newer = [await inboxes.deliver("bob", minute=10 + minute) for minute in range(3)]
    rest = await walk(feed, NotificationFeedQuery("bob", first=2, after=first.end_cursor))

    assert ids_of(first) + [i for page in rest for i in page] == ids[::-1]
    assert ids_of(await feed(NotificationFeedQuery("bob", first=3))) == newer[::-1]


async def test_a_cursor_outlives_the_entry_it_was_taken_from(
    inboxes: Inboxes, feed: NotificationFeed
) -> None:
    ids = [await inboxes.deliver("bob", minute=minute) for minute in range(4)]
    first = await feed(NotificationFeedQuery("bob", first=2))

    await inboxes.remove("bob", ids[2])
    page = await feed(NotificationFeedQuery("bob", first=2, after=first.end_cursor))

    assert ids_of(page) == [ids[1], ids[0]]


async def test_only_the_callers_entries_are_given(inboxes: Inboxes, feed: NotificationFeed) -> None:
    shared = await inboxes.deliver("bob", "carol", minute=1)
    await inboxes.deliver("carol", minute=2)
    bobs = await inboxes.deliver("bob", minute=3)

    assert ids_of(await feed(NotificationFeedQuery("bob"))) == [bobs, shared]
    assert ids_of(await feed(NotificationFeedQuery("dave"))) == []


async def test_unread_only_skips_what_was_read(inboxes: Inboxes, feed: NotificationFeed) -> None:
    ids = [await inboxes.deliver("bob", "carol", minute=minute) for minute in range(5)]
    for read in (ids[4], ids[2], ids[1]):
        await inboxes.read("bob", read)

    pages = await walk(feed, NotificationFeedQuery("bob", first=1, unread_only=True))
    everything = await walk(feed, NotificationFeedQuery("bob", first=10))

    assert pages == [[ids[3]], [ids[0]]]
    assert everything == [ids[::-1]]
    assert ids_of(await feed(NotificationFeedQuery("carol", unread_only=True))) == ids[::-1]


async def test_reading_what_a_page_showed_moves_nothing_in_the_unread_feed(
    inboxes: Inboxes, feed: NotificationFeed
) -> None:
    ids = [await inboxes.deliver("bob", minute=minute) for minute in range(5)]
    first = await feed(NotificationFeedQuery("bob", first=2, unread_only=True))
    for edge in first.edges:  # the client reads what it was shown, as a user would
        await inboxes.read("bob", edge.entry.notification.id)

    rest = await feed(
        NotificationFeedQuery("bob", first=5, unread_only=True, after=first.end_cursor)
    )

    assert ids_of(first) == [ids[4], ids[3]]
    assert ids_of(rest) == [ids[2], ids[1], ids[0]]


async def test_types_keep_those_types_only(inboxes: Inboxes, feed: NotificationFeed) -> None:
    created = await inboxes.deliver("bob", minute=1)
    scored = await inboxes.deliver("bob", minute=2, kind=NotificationType.SCORE_UPDATED)
    commented = await inboxes.deliver("bob", minute=3, kind=NotificationType.COMMENT_ADDED)

    def of(*kinds: NotificationType) -> NotificationFeedQuery:
        return NotificationFeedQuery("bob", types=kinds)

    assert ids_of(await feed(of(NotificationType.SCORE_UPDATED))) == [scored]
    both = of(NotificationType.LEAD_CREATED, NotificationType.COMMENT_ADDED)
    assert ids_of(await feed(both)) == [commented, created]
    assert ids_of(await feed(of(NotificationType.TASK_COMPLETED))) == []
    assert ids_of(await feed(of())) == []


async def test_related_lead_keeps_that_leads_notifications(
    inboxes: Inboxes, feed: NotificationFeed
) -> None:
    first = await inboxes.deliver("bob", minute=1, lead_id=LEAD)
    await inboxes.deliver("bob", minute=2, lead_id=OTHER_LEAD)
    await inboxes.deliver("bob", minute=3)
    last = await inboxes.deliver("bob", minute=4, lead_id=LEAD)

    pages = await walk(feed, NotificationFeedQuery("bob", first=1, related_lead_id=str(LEAD)))

    assert pages == [[last], [first]]


async def test_filters_combine(inboxes: Inboxes, feed: NotificationFeed) -> None:
    wanted = await inboxes.deliver(
        "bob", minute=1, kind=NotificationType.COMMENT_ADDED, lead_id=LEAD
    )
    read = await inboxes.deliver("bob", minute=2, kind=NotificationType.COMMENT_ADDED, lead_id=LEAD)
    await inboxes.deliver("bob", minute=3, kind=NotificationType.SCORE_UPDATED, lead_id=LEAD)
    await inboxes.deliver("bob", minute=4, kind=NotificationType.COMMENT_ADDED, lead_id=OTHER_LEAD)
    await inboxes.read("bob", read)

    page = await feed(
        NotificationFeedQuery(
            "bob",
            unread_only=True,
            types=(NotificationType.COMMENT_ADDED,),
            related_lead_id=str(LEAD),
        )
    )

    assert ids_of(page) == [wanted]


@pytest.mark.parametrize("first", [1, 100])
async def test_first_of_1_to_100_is_accepted(
    first: int, inboxes: Inboxes, feed: NotificationFeed
) -> None:
    await inboxes.deliver("bob")

    assert len((await feed(NotificationFeedQuery("bob", first=first))).edges) == 1


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_first_outside_1_to_100_is_invalid_input(first: int, feed: NotificationFeed) -> None:
    with pytest.raises(InvalidInput) as caught:
        await feed(NotificationFeedQuery("bob", first=first))

    assert caught.value.field == "first"


@pytest.mark.parametrize("lead_id", ["", "lead-1", str(LEAD).upper()])
async def test_a_malformed_related_lead_is_invalid_input(
    lead_id: str, feed: NotificationFeed
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await feed(NotificationFeedQuery("bob", related_lead_id=lead_id))

    assert caught.value.field == "relatedLeadId"


async def test_another_users_cursor_is_invalid_input(
    inboxes: Inboxes, feed: NotificationFeed
) -> None:
    for minute in range(3):
        await inboxes.deliver("bob", "carol", minute=minute)
    carols = await feed(NotificationFeedQuery("carol", first=1))

    with pytest.raises(InvalidInput) as caught:
        await feed(NotificationFeedQuery("bob", after=carols.end_cursor))

    assert caught.value.field == "after"


async def test_a_cursor_signed_with_another_secret_is_invalid_input(
    inboxes: Inboxes, store: InMemoryStore
) -> None:
    for minute in range(3):
        await inboxes.deliver("bob", minute=minute)
    elsewhere = NotificationFeed(InMemoryInboxQueries(store), HmacCursorCodec("another " + SECRET))
    forged = await elsewhere(NotificationFeedQuery("bob", first=1))

    with pytest.raises(InvalidInput) as caught:
        await NotificationFeed(InMemoryInboxQueries(store), HmacCursorCodec(SECRET))(
            NotificationFeedQuery("bob", after=forged.end_cursor)
        )

    assert caught.value.field == "after"


@pytest.mark.parametrize("cursor", ["", "garbage", "YWJj", "!!!!", "a" * 5_000])
async def test_a_cursor_that_is_not_one_is_invalid_input(
    cursor: str, feed: NotificationFeed
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await feed(NotificationFeedQuery("bob", after=cursor))

    assert caught.value.field == "after"
