"""End to end under a burst of leads: every event arrives, in order, the last unread count is the
current one, a socket that stops reading does not hold up the others, and the replay index's
pending list is merged in the background."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from e2e_support import Clients, HeraldServer, herald_env, start_server, stop_server
from sqlalchemy import make_url
from websockets.asyncio.client import ClientConnection, connect

pytestmark = pytest.mark.e2e

CREATE_LEAD = (
    "mutation($n: String!, $c: String) { createLead(input: {name: $n, company: $c}) { id } }"
)
COUNT_SETTLES_SECONDS = 1.0  # well past the 250 ms within which the last count is sent
BURST = 40


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[HeraldServer]:
    """This module's server (the `clients` fixture's): its mutation rate limit lets a whole
    burst through at once."""
    env = herald_env(DATABASE_URL=database_url, RATE_LIMIT_PER_SECOND="1000")
    running = start_server(env)
    try:
        yield running
    finally:
        stop_server(running.process)


def someone(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def burst(clients: Clients, actor: str, count: int) -> list[str]:
    """`count` leads created at once (their commits interleave); their names."""
    graphql = clients.graphql(actor, "Alice")
    names = [f"Burst {number:03d}" for number in range(count)]
    await asyncio.gather(*(graphql.data(CREATE_LEAD, n=name, c="C" * 200) for name in names))
    return names


async def test_under_a_burst_every_event_arrives_in_order_and_the_last_count_is_current(
    clients: Clients,
) -> None:
    alice, bob = someone("alice"), someone("bob")
    await clients.graphql(alice).data("{ getUnreadCount }")  # registered before the burst
    listener = await clients.socket(bob)

    names = await burst(clients, alice, BURST)
    created = await listener.wait_for("notification:created", BURST, within=30)
    await asyncio.sleep(COUNT_SETTLES_SECONDS)

    ids = listener.event_ids()
    assert ids == sorted(set(ids))  # strictly increasing: nothing out of order, no repeat
    assert sorted(n["title"] for n in created) == sorted(f"New lead: {name}" for name in names)
    unread = (await clients.graphql(bob).data("{ getUnreadCount }"))["getUnreadCount"]
    counts = listener.named("notifications:unread-count")
    assert unread == BURST
    assert counts[-1] == {"count": unread, "unseen": unread}
    assert listener.events[-1][0] == "notifications:unread-count"


@asynccontextmanager
async def stalled_socket(server: HeraldServer, user: str) -> AsyncIterator[ClientConnection]:
    """A Socket.IO client that connects, then never reads again: once its small queue is
    full, the WebSocket stops reading and TCP pushes back on the server."""
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with connect(url, max_queue=1, compression=None) as websocket:
        assert str(await websocket.recv()).startswith("0")  # Engine.IO open
        await websocket.send("40" + json.dumps({"token": server.token(user)}))
        assert str(await websocket.recv()).startswith("40")  # Socket.IO connected
        yield websocket


async def test_a_socket_that_stops_reading_does_not_hold_up_the_others(
    clients: Clients,
) -> None:
    alice, bob, carol = someone("alice"), someone("bob"), someone("carol")
    await clients.graphql(alice).data("{ getUnreadCount }")
    listener = await clients.socket(carol)
    async with stalled_socket(clients.server, bob):
        await burst(clients, alice, BURST)

        created = await listener.wait_for("notification:created", BURST, within=30)

    assert len(created) == BURST


async def test_after_a_burst_the_replay_indexs_pending_list_is_merged(
    clients: Clients, database_url: str
) -> None:
    alice, bob = someone("alice"), someone("bob")
    await clients.graphql(alice).data("{ getUnreadCount }")
    listener = await clients.socket(bob)
    connection = await asyncpg.connect(
        make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        # Only the server merges the list here: PostgreSQL's autovacuum is kept out of it.
        await connection.execute("ALTER TABLE outbox_events SET (autovacuum_enabled = off)")
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        pending = "SELECT pending_tuples FROM pgstatginindex('ix_outbox_events_recipients')"

        await burst(clients, alice, BURST)
        await listener.wait_for("notification:created", BURST, within=30)

        async with asyncio.timeout(10):  # merged at most every 2 s
            while await connection.fetchval(pending):  # noqa: ASYNC110 - the database is polled
                await asyncio.sleep(0.05)
    finally:
        await connection.execute("ALTER TABLE outbox_events RESET (autovacuum_enabled)")
        await connection.close()
