"""End to end: nothing is lost across disconnects, crashes, restarts and Redis outages."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio
import sqlalchemy as sa
from e2e_support import (
    Clients,
    HeraldServer,
    Socket,
    herald_env,
    start_server,
    stop_server,
    subscribed,
)
from redis_server import RedisServer, own_redis_server  # noqa: F401 - the fixture

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.tables import outbox_state

pytestmark = pytest.mark.e2e

CREATE_LEAD = "mutation($n: String!) { createLead(input: {name: $n}) { id } }"
REDIS_DOWN_SECONDS = 30
LISTENER_BACK_SECONDS = 2  # python-socketio subscribes again 1 s after a dropped connection


def someone(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def reconnect(server: HeraldServer, user_id: str, last_event_id: int | None) -> Socket:
    socket = Socket()
    auth: dict[str, Any] = {"token": server.token(user_id)}
    if last_event_id is not None:
        auth["lastEventId"] = last_event_id
    await socket.connect(server.url, auth)
    return socket


async def create_lead(server: HeraldServer, actor: str, name: str) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        response = await http.post(
            "/graphql",
            json={"query": CREATE_LEAD, "variables": {"n": name}},
            headers={"Authorization": f"Bearer {server.token(actor)}"},
        )
    assert "errors" not in response.json(), response.text


async def test_a_client_that_comes_back_gets_what_it_missed_in_order_then_live(
    clients: Clients,
) -> None:
    alice, bob = someone("alice"), someone("bob")
    first = await clients.socket(bob)
    await clients.graphql(alice).data(CREATE_LEAD, n="Before")
    await first.wait_for("notifications:unread-count")
    last_seen = max(first.event_ids())
    await first.client.disconnect()

    for name in ("Missed 1", "Missed 2", "Missed 3"):
        await clients.graphql(alice).data(CREATE_LEAD, n=name)
    back = await reconnect(clients.server, bob, last_seen)
    clients.sockets.append(back)
    await back.wait_for("notification:created", 3)
    await clients.graphql(alice).data(CREATE_LEAD, n="Live")

    created = await back.wait_for("notification:created", 4)
    counts = await back.wait_for("notifications:unread-count", 4)
    assert [n["title"] for n in created] == [
        "New lead: Missed 1",
        "New lead: Missed 2",
        "New lead: Missed 3",
        "New lead: Live",
    ]
    assert [c["count"] for c in counts] == [2, 3, 4, 5]
    ids = back.event_ids()
    assert ids == sorted(set(ids))
    assert ids[0] > last_seen


async def test_a_client_without_last_event_id_gets_only_what_comes_after(
    clients: Clients,
) -> None:
    alice, bob = someone("alice"), someone("bob")
    await clients.socket(bob)
    await clients.graphql(alice).data(CREATE_LEAD, n="Earlier")

    late = await reconnect(clients.server, bob, None)
    clients.sockets.append(late)
    await clients.graphql(alice).data(CREATE_LEAD, n="Later")

    [created] = await late.wait_for("notification:created")
    assert created["title"] == "New lead: Later"


@pytest.fixture
def lone_server(own_database_url: str) -> Iterator[HeraldServer]:
    running = start_server(herald_env(DATABASE_URL=own_database_url))
    yield running
    if running.process.poll() is None:
        stop_server(running.process)


async def test_an_event_committed_before_a_crash_reaches_the_client_after_restart(
    lone_server: HeraldServer, own_database_url: str
) -> None:
    alice, bob = someone("alice"), someone("bob")
    waiting = await reconnect(lone_server, bob, None)
    await create_lead(lone_server, alice, "Warm-up")
    await waiting.wait_for("notification:created")
    last_seen = max(waiting.event_ids())

    await create_lead(lone_server, alice, "Committed, then crash")
    lone_server.process.kill()  # kill -9: no shutdown, no flush
    lone_server.process.wait()
    await waiting.client.disconnect()
    port = int(lone_server.url.rsplit(":", 1)[1])
    restarted = start_server(herald_env(DATABASE_URL=own_database_url), port=port)
    try:
        back = await reconnect(restarted, bob, last_seen)
        [created] = await back.wait_for("notification:created")
        await back.client.disconnect()
    finally:
        stop_server(restarted.process)

    assert created["title"] == "New lead: Committed, then crash"


async def test_history_older_than_what_is_retained_asks_for_a_resync(
    lone_server: HeraldServer, own_database_url: str
) -> None:
    alice, bob = someone("alice"), someone("bob")
    await reconnect(lone_server, bob, None)
    await create_lead(lone_server, alice, "Soon purged")
    engine = make_engine(own_database_url)
    try:
        async with engine.begin() as connection:  # what a retention purge records
            await connection.execute(
                sa.update(outbox_state).where(outbox_state.c.name == "purged").values(position=1)
            )
    finally:
        await engine.dispose()

    expired = await reconnect(lone_server, bob, 0)
    await create_lead(lone_server, alice, "After the resync")

    [resync] = await expired.wait_for("notifications:resync")
    [created] = await expired.wait_for("notification:created")
    await expired.client.disconnect()
    assert resync == {"reason": "history-expired"}
    assert expired.events[0][0] == "notifications:resync"
    assert created["title"] == "New lead: After the resync"


def test_sigterm_stops_the_server_cleanly(lone_server: HeraldServer) -> None:
    lone_server.process.send_signal(signal.SIGTERM)

    assert lone_server.process.wait(timeout=15) == 0


async def wait_ready(server: HeraldServer, status: int) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        async with asyncio.timeout(REDIS_DOWN_SECONDS):
            while (await http.get("/ready")).status_code != status:  # noqa: ASYNC110 - polling a server
                await asyncio.sleep(0.2)


async def test_two_processes_behind_redis_act_as_one_and_lose_nothing_when_redis_restarts(
    own_database_url: str, redis_server: RedisServer
) -> None:
    env = herald_env(DATABASE_URL=own_database_url, REDIS_URL=redis_server.url)
    first, second = start_server(env), start_server(env)
    alice, bob = someone("alice"), someone("bob")
    try:
        await wait_ready(first, 200)
        await wait_ready(second, 200)
        on_second = await reconnect(second, bob, None)
        on_first = await reconnect(first, bob, None)  # where the leads are created
        async with subscribed(second, second.token(bob)) as subscription:
            await asyncio.sleep(0.3)  # the subscription is in place once its first message is read
            await create_lead(first, alice, "Through Redis")
            for socket in (on_second, on_first):
                [created] = await socket.wait_for("notification:created")
                assert created["title"] == "New lead: Through Redis"
            await asyncio.sleep(0.5)  # in the normal case, once per socket, not once per process
            assert len(on_second.named("notification:created")) == 1
            assert len(on_first.named("notification:created")) == 1

            redis_server.stop()
            await wait_ready(first, 503)
            await wait_ready(second, 503)
            await create_lead(first, alice, "While Redis is down")
            redis_server.start()
            await wait_ready(first, 200)
            await wait_ready(second, 200)
            await create_lead(first, alice, "After Redis is back")

            await told(on_second, 3)
            # Every listener's connection dropped for a moment, Redis up: what is published
            # meanwhile reaches no process; each catches up once subscribed again.
            await kill_listeners(redis_server)
            await create_lead(first, alice, "While the listeners are deaf")
            await asyncio.sleep(LISTENER_BACK_SECONDS)
            await create_lead(first, alice, "After they hear again")

            titles = await told(on_second, 5)
            titles_on_first = await told(on_first, 5)
            subscribed_titles = await created_titles(subscription, 5)
        await on_second.client.disconnect()
        await on_first.client.disconnect()
    finally:
        stop_server(first.process)
        stop_server(second.process)

    assert titles[0] == "New lead: Through Redis"
    assert set(titles[:3]) == {
        "New lead: Through Redis",
        "New lead: While Redis is down",
        "New lead: After Redis is back",
    }
    assert titles[3:] == [
        "New lead: While the listeners are deaf",
        "New lead: After they hear again",
    ]
    # The socket on the process that publishes gets its own events as heard, the same way.
    assert set(titles_on_first[:3]) == set(titles[:3])
    assert titles_on_first[3:] == titles[3:]
    # The subscription on the second process reads what its listener missed too.
    assert subscribed_titles[0] == "New lead: Through Redis"
    assert set(subscribed_titles[:3]) == set(titles[:3])
    assert subscribed_titles[3:] == titles[3:]


async def kill_listeners(redis_server: RedisServer) -> None:
    """Close every subscribed connection to Redis (each process's listener); they reconnect."""
    client = redis.asyncio.Redis.from_url(redis_server.url)
    try:
        assert await client.client_kill_filter(_type="pubsub") == 2
    finally:
        await client.aclose()


async def told(socket: Socket, count: int) -> list[str]:
    """The titles of the socket's first `count` new notifications, in the order each first
    came (delivery is at least once: a catch-up may send one again)."""
    for _ in range(int(REDIS_DOWN_SECONDS / 0.1)):
        titles = list(dict.fromkeys(n["title"] for n in socket.named("notification:created")))
        if len(titles) >= count:
            return titles
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} notifications expected, {titles} came")


async def created_titles(received: asyncio.Queue[dict[str, Any]], count: int) -> list[str]:
    """The titles of the subscription's first `count` new notifications, as `told` gives a
    socket's (its counts and other events skipped)."""
    titles: dict[str, None] = {}
    async with asyncio.timeout(REDIS_DOWN_SECONDS):
        while len(titles) < count:
            event = await received.get()
            if event["event"] == "notification:created":
                titles[event["notification"]["title"]] = None
    return list(titles)
