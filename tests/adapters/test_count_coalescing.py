"""Coalesced unread counts: at most one per user every 250 ms under a burst, the last one always
current, and every user's event ids still increasing, through the real publisher's messages."""

from __future__ import annotations

import itertools
from collections.abc import Container
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
import socketio

from adapters.socketio.coalescing import WINDOW_SECONDS
from adapters.socketio.managers import HoldingManager
from adapters.socketio.payloads import user_room
from adapters.socketio.publisher import CREATED, UNREAD_COUNT, messages_for
from domain.events import (
    InboxEvent,
    NotificationCreated,
    NotificationDeleted,
    NotificationsBulkUpdated,
    NotificationUpdated,
    StoredEvent,
    UnreadCountsChanged,
)
from domain.notifications import InboxEntry, Notification, NotificationType

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Everyone:
    """Another live transport with a client in every room."""

    def __contains__(self, room: object) -> bool:
        return True

    def __bool__(self) -> bool:
        return True


class Delivery:
    """A manager with no sockets, seen through its observers: what each room was sent, when.
    The rooms listened to are those of another live transport (`listening`; every room unless
    told)."""

    def __init__(self, listening: Container[str] | None = None) -> None:
        self.clock = Clock()
        self.manager = HoldingManager(clock=self.clock)
        self.sent: list[tuple[float, str, dict[str, Any], str]] = []
        self.manager.observers.append(self._observe)
        self.manager.listened.append(Everyone() if listening is None else listening)
        self._ids = itertools.count(1)

    def _observe(self, event: str, data: dict[str, Any], rooms: list[str]) -> None:
        self.sent.extend((self.clock.now, event, data, room) for room in rooms)

    async def publish(self, *events: InboxEvent) -> None:
        for event in events:
            for message in messages_for(StoredEvent(next(self._ids), event)):
                rooms = [user_room(user_id) for user_id in message.user_ids]
                await self.manager.emit(message.event, message.payload, to=rooms)

    def wait(self, seconds: float) -> None:
        """Time passes; the window's end is reached as the event loop's timer would reach it."""
        self.clock.now += seconds
        self.manager.counts.due()

    def of(self, user_id: str, event: str | None = None) -> list[tuple[float, str, dict[str, Any]]]:
        return [
            (at, name, data)
            for at, name, data, room in self.sent
            if room == user_room(user_id) and event in (None, name)
        ]


def notification(number: int) -> Notification:
    return Notification(
        id=UUID(int=number),
        type=NotificationType.LEAD_CREATED,
        title=f"New lead: {number}",
        message="Alice created a lead",
        related_lead_id=UUID(int=10_000 + number),
        actor_id="alice",
        created_at=AT,
    )


async def test_a_lone_count_goes_at_once() -> None:
    delivery = Delivery()

    await delivery.publish(NotificationCreated(notification(1), ("bob",)))
    await delivery.publish(UnreadCountsChanged({"bob": 1}))

    assert [name for _, name, _ in delivery.of("bob")] == [CREATED, UNREAD_COUNT]


async def test_counts_within_the_window_wait_and_only_the_newest_goes() -> None:
    delivery = Delivery()
    await delivery.publish(UnreadCountsChanged({"bob": 1}))
    delivery.clock.now += 0.05
    await delivery.publish(UnreadCountsChanged({"bob": 2}))
    delivery.clock.now += 0.05
    await delivery.publish(UnreadCountsChanged({"bob": 3}))

    assert [data["count"] for _, _, data in delivery.of("bob")] == [1]
    delivery.wait(WINDOW_SECONDS)
    counts = [(at, data["count"]) for at, _, data in delivery.of("bob")]
    assert [count for _, count in counts] == [1, 3]
    assert counts[1][0] - counts[0][0] >= WINDOW_SECONDS


async def test_a_waiting_count_goes_before_a_later_event_of_its_user() -> None:
    delivery = Delivery()
    entry = InboxEntry.deliver(notification(1), "bob")
    entry.mark_read(AT)
    await delivery.publish(UnreadCountsChanged({"bob": 4}), UnreadCountsChanged({"bob": 3}))

    await delivery.publish(NotificationDeleted("bob", entry.notification.id))

    names = [(name, data.get("count")) for _, name, data in delivery.of("bob")]
    assert names == [(UNREAD_COUNT, 4), (UNREAD_COUNT, 3), ("notification:deleted", None)]
    ids = [data["eventId"] for _, _, data in delivery.of("bob")]
    assert ids == sorted(ids)


async def test_other_users_counts_are_not_held_by_one_users_window() -> None:
    delivery = Delivery()
    await delivery.publish(UnreadCountsChanged({"bob": 1}))

    await delivery.publish(UnreadCountsChanged({"bob": 2, "carol": 7}))

    assert [data["count"] for _, _, data in delivery.of("carol")] == [7]
    assert [data["count"] for _, _, data in delivery.of("bob")] == [1]


@pytest.mark.parametrize("leads_per_second", [4, 20, 200])
async def test_under_a_burst_the_last_count_is_current_and_ids_keep_their_order(
    leads_per_second: int,
) -> None:
    delivery = Delivery()
    users = ("bob", "carol", "dave")
    unread = dict.fromkeys(users, 0)
    for number in range(1, 41):
        told = users if number % 5 else users[:2]  # dave turned some off
        for user in told:
            unread[user] += 1
        await delivery.publish(
            NotificationCreated(notification(number), told),
            UnreadCountsChanged({user: unread[user] for user in told}),
        )
        if number == 17:  # bob reads one in the middle of the burst
            entry = InboxEntry.deliver(notification(3), "bob")
            entry.mark_read(AT)
            unread["bob"] -= 1
            await delivery.publish(
                NotificationUpdated(entry), UnreadCountsChanged({"bob": unread["bob"]})
            )
        delivery.wait(1 / leads_per_second)
    delivery.wait(WINDOW_SECONDS)

    assert delivery.manager.counts.waiting == 0
    for user in users:
        sent = delivery.of(user)
        ids = [data["eventId"] for _, _, data in sent]
        assert ids == sorted(set(ids))
        created = [data["relatedLeadId"] for _, _, data in delivery.of(user, CREATED)]
        expected = [str(UUID(int=10_000 + n)) for n in range(1, 41) if n % 5 or user != "dave"]
        assert created == expected
        counts = delivery.of(user, UNREAD_COUNT)
        assert counts[-1][2]["count"] == unread[user]
        if user != "bob":  # bob's own read sends his waiting count ahead of its window
            gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(counts)]
            assert min(gaps) >= WINDOW_SECONDS - 1e-9, gaps
            if leads_per_second > 1 / WINDOW_SECONDS:
                assert len(counts) < len(created)


async def test_a_waiting_count_keeps_its_unseen_count_and_the_newest_pair_goes() -> None:
    delivery = Delivery()
    await delivery.publish(UnreadCountsChanged({"bob": 3}, {"bob": 3}))
    delivery.clock.now += 0.05
    # The bell opened: nothing unread changed, but nothing is unseen any more.
    await delivery.publish(UnreadCountsChanged({"bob": 3}, {"bob": 0}))
    delivery.clock.now += 0.05
    await delivery.publish(UnreadCountsChanged({"bob": 4}, {"bob": 1}))
    delivery.clock.now += 0.05
    await delivery.publish(UnreadCountsChanged({"bob": 4}, {"bob": 0}))

    delivery.wait(WINDOW_SECONDS)

    sent = [(data["count"], data["unseen"]) for _, _, data in delivery.of("bob", UNREAD_COUNT)]
    assert sent == [(3, 3), (4, 0)]


async def test_a_bulk_update_sends_the_waiting_counts_with_their_unseen_first() -> None:
    delivery = Delivery()
    await delivery.publish(UnreadCountsChanged({"bob": 2}, {"bob": 2}))
    await delivery.publish(UnreadCountsChanged({"bob": 2}, {"bob": 1}))

    await delivery.publish(NotificationsBulkUpdated("bob", 1, "markAllAsSeen"))

    sent = [(name, data.get("unseen")) for _, name, data in delivery.of("bob")]
    assert sent == [
        (UNREAD_COUNT, 2),
        (UNREAD_COUNT, 1),
        ("notifications:bulk-updated", None),
    ]
    assert delivery.manager.counts.waiting == 0


async def test_users_share_a_payload_only_when_both_their_counts_agree() -> None:
    delivery = Delivery()

    await delivery.publish(
        UnreadCountsChanged({"bob": 2, "carol": 2, "dave": 2}, {"bob": 1, "carol": 2, "dave": 1})
    )

    assert [data["unseen"] for _, _, data in delivery.of("bob")] == [1]
    assert [data["unseen"] for _, _, data in delivery.of("carol")] == [2]
    assert [data["unseen"] for _, _, data in delivery.of("dave")] == [1]
    assert delivery.of("bob")[0][2] is delivery.of("dave")[0][2]  # one payload, encoded once


async def test_a_count_stored_before_unseen_existed_counts_every_unread_one_unseen() -> None:
    delivery = Delivery()

    await delivery.publish(UnreadCountsChanged({"bob": 5}))

    assert [data for _, _, data in delivery.of("bob")] == [{"count": 5, "unseen": 5, "eventId": 1}]


async def test_a_flush_sends_every_waiting_count_before_its_window_ends() -> None:
    delivery = Delivery()
    await delivery.publish(UnreadCountsChanged({"bob": 1, "carol": 1}))
    await delivery.publish(UnreadCountsChanged({"bob": 2}), UnreadCountsChanged({"carol": 3}))
    assert delivery.manager.counts.waiting == 2

    delivery.manager.counts.flush()

    assert delivery.manager.counts.waiting == 0
    assert [data["count"] for _, _, data in delivery.of("bob")] == [1, 2]
    assert [data["count"] for _, _, data in delivery.of("carol")] == [1, 3]
    # A flush starts each window again: a count within it waits for its end, and only it goes.
    await delivery.publish(UnreadCountsChanged({"bob": 4}))
    assert delivery.manager.counts.waiting == 1
    delivery.wait(WINDOW_SECONDS)
    assert [data["count"] for _, _, data, _ in delivery.sent[4:]] == [4]


async def test_a_count_for_a_room_where_nobody_listens_is_neither_sent_nor_kept() -> None:
    listening = {user_room("bob")}  # carol is not connected to this process
    delivery = Delivery(listening)

    await delivery.publish(
        NotificationCreated(notification(1), ("bob", "carol")),
        UnreadCountsChanged({"bob": 1, "carol": 7}),
    )
    await delivery.publish(UnreadCountsChanged({"bob": 2, "carol": 8}))

    assert [name for _, name, _ in delivery.of("carol")] == [CREATED]  # sent to no socket
    assert [data["count"] for _, _, data in delivery.of("bob", UNREAD_COUNT)] == [1]
    assert delivery.manager.counts.waiting == 1  # bob's newest, for his window's end
    # Carol connects within what would have been her window: her next count goes at once.
    listening.add(user_room("carol"))
    await delivery.publish(UnreadCountsChanged({"carol": 9}))
    assert [data["count"] for _, _, data in delivery.of("carol", UNREAD_COUNT)] == [9]
    delivery.wait(WINDOW_SECONDS)
    assert [data["count"] for _, _, data in delivery.of("bob", UNREAD_COUNT)] == [1, 2]


async def test_a_newer_count_replaces_a_waiting_one_after_its_listener_left() -> None:
    listening = {user_room("bob")}
    delivery = Delivery(listening)
    await delivery.publish(UnreadCountsChanged({"bob": 1}))
    await delivery.publish(UnreadCountsChanged({"bob": 2}))  # waits for the window's end

    listening.discard(user_room("bob"))  # his last client goes
    await delivery.publish(UnreadCountsChanged({"bob": 3}))
    listening.add(user_room("bob"))  # and one comes back (after a resync, say)
    delivery.wait(WINDOW_SECONDS)

    assert [data["count"] for _, _, data in delivery.of("bob")] == [1, 3]
    assert delivery.manager.counts.waiting == 0


async def test_a_sockets_room_is_listened_to_while_it_has_a_socket() -> None:
    delivery = Delivery(listening=set())
    manager = delivery.manager
    socketio.AsyncServer(client_manager=manager, async_mode="asgi")
    sid = await manager.connect("eio-1", "/")
    await manager.enter_room(sid, "/", user_room("bob"))

    await delivery.publish(UnreadCountsChanged({"bob": 1, "carol": 7}))
    await delivery.publish(UnreadCountsChanged({"bob": 2, "carol": 8}))
    assert [data["count"] for _, _, data in delivery.of("bob")] == [1]
    assert delivery.of("carol") == []
    assert manager.counts.waiting == 1  # bob's newest

    await manager.leave_room(sid, "/", user_room("bob"))
    delivery.wait(WINDOW_SECONDS)  # his waiting count goes, to nobody now
    await delivery.publish(UnreadCountsChanged({"bob": 3}))
    assert manager.counts.waiting == 0
    assert [data["count"] for _, _, data in delivery.of("bob")] == [1, 2]
