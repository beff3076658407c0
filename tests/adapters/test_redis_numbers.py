"""Each process numbers what it publishes on Redis, one message at a time; a listener that
hears a process skip a number missed messages, and its clients catch up."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio

from adapters.socketio.managers import HoldingRedisManager


class Redis:
    """What the manager uses of a Redis client: publish, one reply at a time."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    async def publish(self, channel: str, message: str) -> None:
        await asyncio.sleep(0)  # the round trip
        self.published.append(json.loads(message))


def manager() -> HoldingRedisManager:
    made = HoldingRedisManager("redis://127.0.0.1:6379/0")
    made.redis, made.connected = Redis(), True
    socketio.AsyncServer(client_manager=made, async_mode="asgi")  # no socket: nothing to send
    return made


def message(host: str, number: int) -> bytes:
    return json.dumps({"method": "heartbeat", "host_id": host, "number": number}).encode()


async def heard(
    listener: HoldingRedisManager, monkeypatch: pytest.MonkeyPatch, *messages: bytes
) -> tuple[list[Any], list[int]]:
    """What the listener hands on of these messages from Redis, and how many it had handed
    on each time it caught its clients up."""
    handed: list[Any] = []
    caught_up: list[int] = []
    listener.on_resumed.append(lambda after: caught_up.append(len(handed)))

    async def from_redis(self: Any) -> AsyncIterator[bytes]:
        for each in messages:
            yield each

    monkeypatch.setattr(socketio.AsyncRedisManager, "_listen", from_redis)
    async for data in listener._listen():
        handed.append(data)
    return handed, caught_up


async def test_messages_are_numbered_in_the_order_they_reach_redis() -> None:
    publisher = manager()

    await asyncio.gather(*(publisher._publish({"method": "emit", "n": n}) for n in range(5)))

    published = publisher.redis.published
    assert [each["number"] for each in published] == [1, 2, 3, 4, 5]
    assert [each["n"] for each in published] == [0, 1, 2, 3, 4]


async def test_a_listener_that_hears_a_process_skip_a_number_catches_its_clients_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listener = manager()

    handed, caught_up = await heard(
        listener,
        monkeypatch,
        message("a", 1),
        message("a", 2),
        message("b", 7),  # a process heard for the first time
        message("a", 4),  # 3 was missed
        message("a", 5),
        message("b", 8),
    )

    assert caught_up == [3]  # before the message that told, which may be newer than 3
    assert [(each["host_id"], each["number"]) for each in handed] == [
        ("a", 1),
        ("a", 2),
        ("b", 7),
        ("a", 4),
        ("a", 5),
        ("b", 8),
    ]


async def test_what_is_not_json_is_handed_on_as_it_came(monkeypatch: pytest.MonkeyPatch) -> None:
    handed, caught_up = await heard(manager(), monkeypatch, b"not json", message("a", 1))

    assert handed == [b"not json", json.loads(message("a", 1))]
    assert caught_up == []
