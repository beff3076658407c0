"""The Redis manager's listener: the messages of its channel, decoded once, and its
subscriptions. Redis keeps nothing for a listener whose connection dropped: each subscription
tells that it may have missed messages, before any message published since, and the clients
catch up from the newest event heard before. Events of the outbox reach this process's sockets
only as heard, its own included: one order, the channel's."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import socketio

from adapters.socketio.managers import HoldingRedisManager

CHANNEL = b"socketio"


class Redis:
    """What the manager publishes with: a Redis client that keeps what it is given."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    async def publish(self, channel: str, message: str) -> None:
        self.published.append({"type": "message", "channel": CHANNEL, "data": message.encode()})


def manager() -> HoldingRedisManager:
    made = HoldingRedisManager("redis://127.0.0.1:6379/0")
    made.redis, made.connected = Redis(), True
    socketio.AsyncServer(client_manager=made, async_mode="asgi")  # no socket: nothing to send
    return made


def subscribed(channel: bytes = CHANNEL) -> dict[str, Any]:
    return {"type": "subscribe", "channel": channel, "data": 1}


def emitted(event_id: int, channel: bytes = CHANNEL) -> dict[str, Any]:
    data = {"method": "emit", "event": "notification:created", "data": [{"eventId": event_id}]}
    return {"type": "message", "channel": channel, "data": json.dumps(data).encode()}


def heartbeat() -> dict[str, Any]:
    data = {"method": "heartbeat", "host_id": "another"}
    return {"type": "message", "channel": CHANNEL, "data": json.dumps(data).encode()}


async def heard(listener: HoldingRedisManager, *messages: dict[str, Any]) -> list[Any]:
    """What the listener hands python-socketio of these messages from Redis, with `("caught
    up", N)` where it called `resumed(N)`."""
    handed: list[Any] = []
    listener.on_resumed.append(lambda after: handed.append(("caught up", after)))

    async def from_redis() -> AsyncIterator[dict[str, Any]]:
        for each in messages:
            yield each

    listener._redis_listen_with_retries = from_redis  # type: ignore[method-assign]
    async for data in listener._listen():
        handed.append(data)
    return handed


async def test_a_subscription_after_the_first_catches_up_from_the_newest_event_heard() -> None:
    handed = await heard(
        manager(),
        subscribed(),
        emitted(1),
        heartbeat(),
        emitted(2),
        subscribed(),  # the connection dropped: what was published meanwhile is lost
        emitted(5),
        subscribed(),  # again, nothing heard in between
    )

    assert handed == [
        ("caught up", 0),  # sockets may have connected before it first subscribed
        json.loads(emitted(1)["data"]),
        json.loads(heartbeat()["data"]),
        json.loads(emitted(2)["data"]),
        ("caught up", 2),
        json.loads(emitted(5)["data"]),
        ("caught up", 5),
    ]


async def test_an_event_of_the_outbox_is_published_and_delivered_here_only_once_heard() -> None:
    publisher = manager()

    await publisher.emit("notification:created", {"eventId": 7}, to=["user:alice"])

    assert publisher.last_event_id == 0  # not delivered here yet
    [published] = publisher.redis.published
    handed = await heard(publisher, subscribed(), published)
    # python-socketio skips what its own process published: this one is handed on as another's.
    assert handed[-1] == {**json.loads(published["data"]), "host_id": None}
    assert publisher.heard_event_id == 7


async def test_other_channels_and_what_is_not_a_json_object_are_not_handed_on() -> None:
    not_json = {"type": "message", "channel": CHANNEL, "data": b"not json"}
    not_an_object = {"type": "message", "channel": CHANNEL, "data": b"[1, 2]"}

    handed = await heard(
        manager(), subscribed(), emitted(1, b"elsewhere"), not_json, not_an_object, emitted(2)
    )

    assert handed == [("caught up", 0), json.loads(emitted(2)["data"])]


def test_the_listener_is_given_its_subscriptions() -> None:
    listener = manager()

    listener._redis_connect()  # a client object: nothing connects until it is used

    assert listener.pubsub.ignore_subscribe_messages is False


class Subscription:
    """What the listener reads from: replies in turn, each a message, or None for a read that
    found nothing in its time (a function is called first, to set the scene)."""

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.closed = False

    async def subscribe(self, channel: str) -> None:
        pass

    async def get_message(self, timeout: float) -> dict[str, Any] | None:  # noqa: ASYNC109 - redis-py's
        reply = self.replies.pop(0)
        return reply() if callable(reply) else reply

    async def aclose(self) -> None:
        self.closed = True


async def read_through(listener: HoldingRedisManager, *subscriptions: Subscription) -> list[Any]:
    """What the listener hands on of these subscriptions, one per connection it makes, until
    the last reply of the last one."""
    connections = iter(subscriptions)

    def connect() -> None:
        listener.pubsub = next(connections)

    listener._redis_connect = connect  # type: ignore[method-assign]
    handed: list[Any] = []
    # Past the last subscription, `connect` fails and the listener would try again forever.
    async with asyncio.timeout(5), contextlib.aclosing(listener._listen()) as messages:
        async for data in messages:
            handed.append(data)
            if not subscriptions[-1].replies:
                break
    return handed


def past_its_deadline(listener: HoldingRedisManager) -> None:
    """Nothing heard since a heartbeat that Redis took longer ago than the silence allowed."""
    listener._heartbeat_taken = time.monotonic() - listener.SILENCE_SECONDS - 1
    listener._last_heard = listener._heartbeat_taken - 1


async def test_a_read_that_finds_nothing_past_a_heartbeats_deadline_is_read_again() -> None:
    listener = manager()

    def stalled() -> None:
        # The loop stalled: the read timed out with the heartbeat, taken long ago, on its way.
        past_its_deadline(listener)

    subscription = Subscription(subscribed(), stalled, heartbeat())
    handed = await read_through(listener, subscription)

    assert handed == [json.loads(heartbeat()["data"])]
    assert not subscription.closed


async def test_two_reads_in_a_row_that_find_nothing_past_it_give_the_connection_up() -> None:
    listener = manager()
    resumed: list[int] = []
    listener.on_resumed.append(resumed.append)

    def deaf() -> None:
        past_its_deadline(listener)

    deafened = Subscription(subscribed(), emitted(1), deaf, None)
    again = Subscription(subscribed(), emitted(2))
    handed = await read_through(listener, deafened, again)

    assert deafened.closed
    assert resumed == [0, 1]  # subscribed again: its clients catch up from the event heard
    assert [data["data"][0]["eventId"] for data in handed] == [1, 2]
