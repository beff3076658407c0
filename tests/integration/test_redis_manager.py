"""The Redis manager on a real Redis, through a proxy whose connections can go silent: a listener
whose connection is gone without a word subscribes again, and its clients catch up; a publish
on such a connection fails in bounded time, and the next one goes through."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlparse

import pytest
import socketio

from adapters.socketio.managers import HoldingRedisManager, PublishFailed
from redis_service import redis_url
from silent_proxy import SilentProxy

WAIT_SECONDS = 15  # for what takes a few of the manager's short periods below


class QuickManager(HoldingRedisManager):
    """The manager with periods short enough for a test."""

    HEARTBEAT_SECONDS = 0.2
    SILENCE_SECONDS = 1.0
    COMMAND_TIMEOUT_SECONDS = 0.5


@pytest.fixture
async def proxy() -> AsyncIterator[SilentProxy]:
    redis = urlparse(await redis_url())
    made = SilentProxy(redis.hostname or "127.0.0.1", redis.port or 6379)
    await made.start()
    yield made
    await made.close()


@pytest.fixture
async def manager(proxy: SilentProxy) -> AsyncIterator[QuickManager]:
    # A channel of the test's own: other tests may use the same Redis meanwhile.
    made = QuickManager(f"redis://127.0.0.1:{proxy.port}/0", channel=f"t-{uuid.uuid4().hex}")
    socketio.AsyncServer(client_manager=made, async_mode="asgi")
    made.initialize()  # the listener and the heartbeat start
    yield made
    tasks = [made.thread, made._heartbeat]
    # A cancellation that meets redis-py's own timeout (a command through the silent proxy) can
    # be lost on Python 3.11, and the task loops on: each is cancelled again until it ends.
    async with asyncio.timeout(WAIT_SECONDS):
        while not all(task.done() for task in tasks):
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks, timeout=0.1)
    await asyncio.gather(*tasks, return_exceptions=True)


async def until(done: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT_SECONDS):
        while not done():  # noqa: ASYNC110 - the manager's own tasks are watched
            await asyncio.sleep(0.02)


async def published(manager: HoldingRedisManager, event_id: int) -> int:
    """Publish an event of the outbox as the relay does, trying again after a failure; how many
    tries failed."""
    for failed in range(5):
        try:
            await manager.emit("notification:created", {"eventId": event_id}, to=["user:bob"])
        except PublishFailed:
            continue
        return failed
    raise AssertionError("five publishes in a row failed")


def subscribed_and_caught_up(manager: QuickManager) -> list[int]:
    resumed: list[int] = []
    manager.on_resumed.append(resumed.append)
    return resumed


async def test_a_listener_whose_connection_went_silent_subscribes_again_and_catches_up(
    proxy: SilentProxy, manager: QuickManager
) -> None:
    resumed = subscribed_and_caught_up(manager)
    await until(lambda: resumed == [0] and manager.listener_alive())
    assert await published(manager, 1) == 0
    await until(lambda: manager.heard_event_id == 1)

    assert proxy.silence_open_connections() >= 2  # the listener's and the publisher's

    # Its connection carries nothing, and no read of a subscription times out: the heartbeats
    # Redis takes (on a new connection) go unheard, and it gives that connection up.
    await until(lambda: resumed == [0, 1])
    assert manager.listener_alive()
    assert await published(manager, 2) <= 1  # the first may still go to the silent connection
    await until(lambda: manager.heard_event_id == 2)


async def test_a_publish_on_a_silent_connection_fails_and_the_next_one_goes_through(
    proxy: SilentProxy, manager: QuickManager
) -> None:
    await until(manager.listener_alive)
    manager._heartbeat.cancel()  # only this test's publishes use the publisher's connection
    assert await published(manager, 1) == 0
    proxy.silence_open_connections()

    # In the manager's own time (redis-py's default would wait 5 s).
    async with asyncio.timeout(manager.COMMAND_TIMEOUT_SECONDS * 4):
        with pytest.raises(PublishFailed, match="Timeout"):
            await manager.emit("notification:created", {"eventId": 2}, to=["user:bob"])
    assert await published(manager, 3) == 0


async def test_a_quiet_listener_that_hears_its_heartbeats_keeps_its_connection(
    manager: QuickManager,
) -> None:
    resumed = subscribed_and_caught_up(manager)
    await until(lambda: resumed == [0])

    await asyncio.sleep(manager.SILENCE_SECONDS * 3)

    assert resumed == [0]
    assert manager.listener_alive()
