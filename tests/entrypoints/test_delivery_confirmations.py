"""`notifications:delivered` on Socket.IO: confirmations gathered per user, applied at most once a
second through ConfirmDelivery (every waiting user in one unit of work), retried when the
database is busy, flushed at shutdown; a payload that is not `{"eventId": <non-negative int>}`
is dropped quietly."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from dependency_injector import providers
from edge_support import Caller, callers, make_container, token

from application.commands import ConfirmDeliveryCommand
from application.notifications.confirm_delivery import ConfirmDelivery
from application.ports import ConcurrentUpdate, DatabaseBusy
from entrypoints.container import Container, inline_delivery
from entrypoints.realtime import DELIVERED, DeliveryConfirmations, Realtime

EVERY = 0.2  # seconds between two applications of one user's confirmations, in these tests


class Applied:
    """A stand-in for ConfirmDelivery: what was applied, when, and in which call; a call may
    fail a number of times."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.calls: list[tuple[float, str, int]] = []
        self.batches: list[list[str]] = []  # the users of each call, in order
        self.failures = failures or []

    async def apply(self, commands: Sequence[ConfirmDeliveryCommand]) -> int:
        at = asyncio.get_running_loop().time()
        self.batches.append([command.user_id for command in commands])
        for command in commands:
            self.calls.append((at, command.user_id, command.through_event_id))
        if self.failures:
            raise self.failures.pop(0)
        return len(commands)


def batcher(applied: Applied) -> DeliveryConfirmations:
    class UseCase:
        async def all(self, commands: Sequence[ConfirmDeliveryCommand]) -> int:
            return await applied.apply(commands)

    return DeliveryConfirmations(lambda: cast(ConfirmDelivery, UseCase()), every=EVERY)


async def test_a_users_highest_confirmation_is_applied_and_at_most_once_a_window() -> None:
    applied = Applied()
    confirmations = batcher(applied)

    confirmations.confirm("bob", 5)
    await asyncio.sleep(0.02)  # the first goes at once
    for event_id in (9, 7, 12, 3):  # within the window: only the highest counts
        confirmations.confirm("bob", event_id)
    confirmations.confirm("carol", 4)
    await asyncio.sleep(EVERY * 1.5)

    assert [(user, n) for _, user, n in applied.calls] == [("bob", 5), ("bob", 12), ("carol", 4)]
    assert applied.calls[1][0] - applied.calls[0][0] >= EVERY - 0.01
    assert confirmations.waiting == 0


async def test_every_user_waiting_is_applied_in_one_call() -> None:
    applied = Applied()
    confirmations = batcher(applied)
    confirmations.confirm("bob", 1)
    await asyncio.sleep(0.02)  # bob's first goes at once; the rest wait for the window's end

    for number in range(50):
        confirmations.confirm(f"user-{number:02d}", number)
    confirmations.confirm("bob", 2)
    await asyncio.sleep(EVERY * 1.5)

    assert applied.batches == [["bob"], [*(f"user-{number:02d}" for number in range(50)), "bob"]]


@pytest.mark.parametrize("busy", [DatabaseBusy("busy"), ConcurrentUpdate("raced")])
async def test_a_busy_database_is_tried_again_at_the_next_flush(busy: Exception) -> None:
    applied = Applied(failures=[busy])
    confirmations = batcher(applied)

    confirmations.confirm("bob", 5)
    await asyncio.sleep(0.02)
    confirmations.confirm("bob", 4)  # lower: the retried 5 still covers it
    await asyncio.sleep(EVERY * 1.5)

    assert [(user, n) for _, user, n in applied.calls] == [("bob", 5), ("bob", 5)]


async def test_every_user_of_a_batch_that_met_a_busy_database_waits_for_the_next() -> None:
    applied = Applied(failures=[DatabaseBusy("busy")])
    confirmations = batcher(applied)
    confirmations.confirm("bob", 5)
    confirmations.confirm("carol", 7)
    await asyncio.sleep(0.02)
    confirmations.confirm("carol", 9)  # higher: it replaces the retried 7

    await asyncio.sleep(EVERY * 1.5)

    assert applied.batches == [["bob", "carol"], ["bob", "carol"]]
    assert [(user, n) for _, user, n in applied.calls[2:]] == [("bob", 5), ("carol", 9)]


async def test_a_batch_that_failed_otherwise_is_logged_once_and_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    applied = Applied(failures=[RuntimeError("broken")])
    confirmations = batcher(applied)
    confirmations.confirm("bob", 5)
    confirmations.confirm("carol", 7)

    await asyncio.sleep(EVERY * 1.5)

    assert applied.batches == [["bob", "carol"]]
    assert confirmations.waiting == 0
    failures = [r for r in caplog.records if "not applied" in r.getMessage()]
    assert [r.getMessage() for r in failures] == [
        "delivery confirmations of 2 users not applied: broken"
    ]


async def test_what_waits_at_shutdown_is_applied_then_nothing_more() -> None:
    applied = Applied()
    confirmations = batcher(applied)
    confirmations.confirm("bob", 1)
    await asyncio.sleep(0.02)
    confirmations.confirm("bob", 2)  # waits for the window's end

    await confirmations.close()
    confirmations.confirm("bob", 3)
    await asyncio.sleep(EVERY * 1.5)

    assert [n for _, _, n in applied.calls] == [1, 2]


@dataclass
class EngineSocket:
    closed: bool = False
    closing: bool = False
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    sent: list[Any] = field(default_factory=list)

    async def send(self, packet: Any) -> None:
        self.sent.append(packet)


class Sockets:
    """Sockets on the container's Socket.IO server, without a network."""

    def __init__(self, container: Container) -> None:
        self.server = container.socketio_server()
        self.realtime: Realtime = container.realtime()
        self._numbers = itertools.count()

    async def open(self, user_id: str) -> str:
        eio_sid = f"eio-{next(self._numbers)}"
        self.server.eio.sockets[eio_sid] = EngineSocket()
        sid: str = await self.server.manager.pre_connect(eio_sid, "/")
        environ = {"asgi.scope": {"client": ("192.0.2.7", 50000)}}
        await self.realtime.connect(sid, environ, {"token": token(user_id)})
        return sid

    async def send(self, sid: str, *args: Any) -> None:
        """A client's event, as python-socketio hands it to its handler."""
        await self.server._trigger_event(DELIVERED, "/", sid, *args)


class Recorded:
    def __init__(self) -> None:
        self.commands: list[ConfirmDeliveryCommand] = []

    async def all(self, commands: Sequence[ConfirmDeliveryCommand]) -> int:
        self.commands.extend(commands)
        return 0


async def test_only_an_object_with_a_non_negative_integer_event_id_is_a_confirmation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    container = make_container()
    recorded = Recorded()
    container.confirm_delivery.override(providers.Object(recorded))
    sockets = Sockets(container)
    sid = await sockets.open("bob")
    bad: list[Any] = [
        None,
        7,
        "7",
        [7],
        {},
        {"eventId": "7"},
        {"eventId": -1},
        {"eventId": 7.0},
        {"eventId": True},
        {"eventId": None},
        {"eventid": 7},
    ]

    with caplog.at_level(logging.DEBUG, logger="herald"):
        for payload in bad:
            await sockets.send(sid, payload)
        await sockets.send(sid)  # no payload at all
        await sockets.send(sid, {"eventId": 1}, "extra")
        await sockets.send("not-a-socket", {"eventId": 7})
        await sockets.realtime.close()

    assert recorded.commands == []
    assert not [r for r in caplog.records if r.name.startswith("herald")]
    assert sockets.realtime.connected == 1


async def test_a_confirmation_reaches_confirm_delivery_for_the_sockets_user() -> None:
    container = make_container()
    recorded = Recorded()
    container.confirm_delivery.override(providers.Object(recorded))
    sockets = Sockets(container)
    bob = await sockets.open("bob")
    carol = await sockets.open("carol")

    dave = await sockets.open("dave")

    await sockets.send(bob, {"eventId": 0})
    await sockets.send(carol, {"eventId": 41, "more": "ignored"})
    await sockets.send(dave, {"eventId": 2**64})  # beyond any id: everything so far
    await sockets.realtime.close()

    assert sorted((c.user_id, c.through_event_id) for c in recorded.commands) == [
        ("bob", 0),
        ("carol", 41),
        ("dave", 2**63 - 1),
    ]


async def test_a_confirmation_is_taken_as_its_frame_is_read_without_a_task_of_its_own() -> None:
    # Clients that heard the same event confirm in the same tenth of a second, a thousand of
    # them behind a burst: python-socketio would start a task for each one's handler.
    container = make_container()
    container.confirm_delivery.override(providers.Object(Recorded()))
    sockets = Sockets(container)
    sid = await sockets.open("bob")
    await sockets.server.manager.connect(sid, "/")  # accepted, as python-socketio does next
    eio_sid = sockets.server.manager.eio_sid_from_sid(sid, "/")
    tasks = asyncio.all_tasks()

    await sockets.server._handle_eio_message(eio_sid, f'2["{DELIVERED}",{{"eventId":5}}]')

    assert sockets.realtime.confirmations.waiting == 1  # taken before the loop's next turn
    assert asyncio.all_tasks() == tasks  # none started (and none could end: nothing yielded)
    await sockets.realtime.close()


async def test_a_confirmation_asking_for_an_acknowledgement_is_taken_too() -> None:
    # Not the form taken as the frame is read (`on_now`): python-socketio dispatches it to the
    # handler of `on`, which notes it the same way.
    container = make_container()
    container.confirm_delivery.override(providers.Object(Recorded()))
    sockets = Sockets(container)
    sid = await sockets.open("bob")
    await sockets.server.manager.connect(sid, "/")
    eio_sid = sockets.server.manager.eio_sid_from_sid(sid, "/")

    await sockets.server._handle_eio_message(eio_sid, f'21["{DELIVERED}",{{"eventId":5}}]')

    assert sockets.realtime.confirmations.waiting == 1
    [acknowledgement] = sockets.server.eio.sockets[eio_sid].sent
    assert acknowledgement.data == "31[]"
    await sockets.realtime.close()


async def test_confirmed_notifications_become_delivered_in_the_store() -> None:
    container = inline_delivery(make_container())
    alice, bob = callers(container, "alice", "bob")
    sockets = Sockets(container)
    try:
        await bob.data("{ getUnreadCount }")  # registered
        sid = await sockets.open("bob")
        await asyncio.sleep(0.05)  # its catch-up is done: live events flow
        created: list[int] = []
        container.socketio_server().manager.observers.append(
            lambda event, data, rooms: (
                created.append(data["eventId"]) if event == "notification:created" else None
            )
        )
        await alice.data('mutation { createLead(input: {name: "Umbrella"}) { id } }')

        await sockets.send(sid, {"eventId": created[-1]})
        await sockets.realtime.close()

        [notification] = (await bob.data("{ getNotifications { deliveredAt } }"))[
            "getNotifications"
        ]
        assert notification["deliveredAt"] is not None
    finally:
        await close_all(alice, bob)


async def close_all(*users: Caller) -> None:
    for user in users:
        await user.aclose()
