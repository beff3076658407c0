"""End to end: the limits, the rate limit, /metrics, request ids and JSON logs of a real server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import (
    HERALD,
    START_TIMEOUT_SECONDS,
    Clients,
    GraphQL,
    HeraldServer,
    graphql_ws,
    herald_env,
    start_server,
    stop_server,
)

from network import free_port
from redis_service import redis_url

pytestmark = pytest.mark.e2e

RATE_LIMIT = 5
RATE_LIMITED = {
    "errors": [{"message": "Too many requests", "extensions": {"code": "RATE_LIMITED"}}]
}
MUTATION = "mutation { setNotificationPreference(type: LEAD_CREATED, enabled: true) { enabled } }"
INTROSPECTION = "{ __schema { queryType { name } } }"


def start_logged_server(env: dict[str, str], log: Path) -> HeraldServer:
    """`herald serve` with its output in `log`, unbuffered, so a test can read what it logged."""
    port = free_port()
    env = {**env, "HERALD_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [HERALD, "serve"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return HeraldServer(url, process)
        except httpx.TransportError:
            time.sleep(0.1)
    stop_server(process)
    raise RuntimeError(f"herald serve did not start: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("limits") / "herald.log"


@pytest.fixture(scope="module")
def server(database_url: str, server_log: Path) -> Iterator[HeraldServer]:
    """This module's server: JSON logs at DEBUG, and a rate limit low enough to reach."""
    env = herald_env(
        DATABASE_URL=database_url,
        LOG_FORMAT="json",
        LOG_LEVEL="DEBUG",
        RATE_LIMIT_PER_SECOND=str(RATE_LIMIT),
    )
    running = start_logged_server(env, server_log)
    try:
        yield running
    finally:
        stop_server(running.process)


def _user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def _registered(clients: Clients) -> GraphQL:
    """A new user's client, registered by a first query so a burst does not race to register."""
    caller = clients.graphql(_user())
    await caller.data("{ getUnreadCount }")
    return caller


class _Elsewhere(GraphQL):
    """A client of another server than the module's."""

    def __init__(self, http: httpx.AsyncClient, server: HeraldServer, user: str = "") -> None:
        super().__init__(http, server.token(user or _user()))
        self._url = server.url

    async def post(self, query: str, **variables: Any) -> httpx.Response:
        return await self._http.post(
            f"{self._url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self._token}"},
        )


# Limits


def _doubling_fragments(levels: int) -> str:
    fragments = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"query {{ ...F0 }} {fragments} fragment F{levels} on Query {{ a: getUnreadCount }}"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ getUnreadCount }", {"padding": "x" * 64 * 1024}),
        ("{ getNotifications " + "{ id " * 11 + "}" * 11 + " }", {}),
        ("{ " + " ".join(f"a{i}: getUnreadCount" for i in range(400)) + " }", {}),
        ("{ " + " ".join(f"a{i}: getUnreadCount" for i in range(31)) + " }", {}),
        (_doubling_fragments(80), {}),
        ("{ getNotifications(limit: 101) { id } }", {}),
        ("{ leads(limit: 101) { id } }", {}),
    ],
    ids=[
        "body over 64 KiB",
        "11 levels",
        "1,000 tokens",
        "31 aliases",
        "fragment bomb",
        "101 notifications",
        "101 leads",
    ],
)
async def test_a_request_past_the_limits_is_bad_user_input(
    clients: Clients, query: str, variables: dict[str, Any]
) -> None:
    caller = clients.graphql(_user())

    response = await caller.post(query, **variables)

    assert response.status_code in (200, 413)
    assert {error["extensions"]["code"] for error in response.json()["errors"]} == {
        "BAD_USER_INPUT"
    }


async def test_introspection_is_served_in_development(clients: Clients) -> None:
    data = await clients.graphql(_user()).data(INTROSPECTION)

    assert data == {"__schema": {"queryType": {"name": "Query"}}}


@pytest.fixture
def production_server(database_url: str) -> Iterator[HeraldServer]:
    """For its test alone: without REDIS_URL, its relay may take events committed through the
    module's server, whose sockets would then never hear of them."""
    running = start_server(herald_env(DATABASE_URL=database_url, HERALD_ENV="production"))
    try:
        yield running
    finally:
        stop_server(running.process)


async def test_introspection_is_refused_in_production(
    clients: Clients, production_server: HeraldServer
) -> None:
    caller = _Elsewhere(clients.http, production_server)

    code = await caller.error_code(INTROSPECTION)
    typename = await caller.data("{ __typename }")

    assert code == "BAD_USER_INPUT"
    assert typename == {"__typename": "Query"}


# The rate limit


async def test_past_the_rate_limit_a_mutation_is_429_and_no_one_else_is_held_up(
    clients: Clients,
) -> None:
    hasty, calm = await _registered(clients), await _registered(clients)

    burst = await asyncio.gather(*(hasty.post(MUTATION) for _ in range(RATE_LIMIT + 1)))
    calms = await calm.post(MUTATION)
    query = await hasty.post("{ notificationPreferences { type enabled } }")

    statuses = sorted(response.status_code for response in burst)
    assert statuses == [200] * RATE_LIMIT + [429]
    [refused] = [response for response in burst if response.status_code == 429]
    assert refused.json() == RATE_LIMITED
    assert calms.status_code == 200
    assert "errors" not in calms.json()
    assert query.status_code == 200
    assert "errors" not in query.json()


async def test_past_the_rate_limit_a_mutation_over_a_websocket_is_refused_too(
    clients: Clients,
) -> None:
    """graphql-transport-ws carries queries and mutations as well as subscriptions."""
    user = _user()
    await clients.graphql(user).data("{ getUnreadCount }")
    before = (await clients.http.get("/metrics")).text
    answers: dict[str, str] = {}
    async with graphql_ws(clients.server, clients.server.token(user)) as socket:
        async with asyncio.timeout(10):
            for number in range(RATE_LIMIT + 1):
                subscribe = {"id": str(number), "type": "subscribe", "payload": {"query": MUTATION}}
                await socket.send(json.dumps(subscribe))
            refusals, results = [], []
            while len(answers) < RATE_LIMIT + 1:
                message = json.loads(await socket.recv())
                if message["type"] in ("complete", "error"):
                    answers[message["id"]] = message["type"]
                if message["type"] == "error":
                    refusals.append(message["payload"])
                if message["type"] == "next":
                    results.append(message["payload"])
            # The socket stays open, and a query still runs.
            query = {"id": "query", "type": "subscribe", "payload": {"query": "{ getUnreadCount }"}}
            await socket.send(json.dumps(query))
            answer = json.loads(await socket.recv())

    assert sorted(answers.values()) == ["complete"] * RATE_LIMIT + ["error"]
    assert refusals == [RATE_LIMITED["errors"]]
    assert results == [{"data": {"setNotificationPreference": {"enabled": True}}}] * RATE_LIMIT
    assert answer == {"id": "query", "type": "next", "payload": {"data": {"getUnreadCount": 0}}}
    after = (await clients.http.get("/metrics")).text
    refused = 'herald_graphql_operations_total{operation="(anonymous)",outcome="RATE_LIMITED"}'
    assert _sample(after, refused) - _sample(before, refused) == 1


@pytest.fixture
def redis_servers(own_database_url: str) -> Iterator[tuple[HeraldServer, HeraldServer]]:
    """Two processes behind one Redis, as two replicas behind a load balancer, on a database of
    their own: on the module's, their relays could take its server's events and publish them
    to Redis, which that server does not hear."""
    env = herald_env(
        DATABASE_URL=own_database_url,
        REDIS_URL=asyncio.run(redis_url()),
        RATE_LIMIT_PER_SECOND=str(RATE_LIMIT),
    )
    first = start_server(env)
    try:
        second = start_server(env)
        try:
            yield first, second
        finally:
            stop_server(second.process)
    finally:
        stop_server(first.process)


async def test_with_redis_the_rate_limit_holds_across_processes(
    clients: Clients, redis_servers: tuple[HeraldServer, HeraldServer]
) -> None:
    user = _user()
    callers = [_Elsewhere(clients.http, server, user) for server in redis_servers]
    for caller in callers:
        await caller.data("{ getUnreadCount }")
    await asyncio.sleep(1.05 - time.time() % 1)  # Redis counts per clock second: start one

    burst = await asyncio.gather(
        *(callers[index % 2].post(MUTATION) for index in range(RATE_LIMIT + 1))
    )

    statuses = sorted(response.status_code for response in burst)
    assert statuses == [200] * RATE_LIMIT + [429]


# What operators see


def _sample(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_show_graphql_operations_moving(clients: Clients) -> None:
    caller = clients.graphql(_user())
    series = 'herald_graphql_operations_total{operation="Unread",outcome="ok"}'
    before = await clients.http.get("/metrics")

    await caller.data("query Unread { getUnreadCount }")
    await caller.data("query Unread { getUnreadCount }")
    after = await clients.http.get("/metrics")

    assert after.status_code == 200
    assert after.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert _sample(after.text, series) - _sample(before.text, series) == 2
    for name in ("herald_connected_sockets", "herald_outbox_backlog"):
        assert f"# TYPE {name} gauge" in after.text
    assert "# TYPE herald_events_emitted_total counter" in after.text


async def test_every_response_carries_a_request_id(clients: Clients) -> None:
    responses = [
        await clients.http.get("/health"),
        await clients.http.get("/metrics"),
        await clients.http.post("/graphql", json={"query": "{ getUnreadCount }"}),
        await clients.graphql(_user()).post("{ getUnreadCount }"),
    ]

    ids = [response.headers.get("X-Request-ID") for response in responses]
    assert all(ids)
    assert len(set(ids)) == len(ids)


async def test_json_logs_carry_the_request_id_and_never_the_token(
    clients: Clients, server_log: Path
) -> None:
    token = clients.server.token(_user())
    caller = GraphQL(clients.http, token)
    response = await caller.post("query Logged { getUnreadCount }")
    request_id = response.headers["X-Request-ID"]

    lines: list[dict[str, Any]] = []
    async with asyncio.timeout(5):  # the line is written just after the response is sent
        while not any(line.get("request_id") == request_id for line in lines):
            await asyncio.sleep(0.05)
            text = await asyncio.to_thread(server_log.read_text)
            complete = text[: text.rfind("\n") + 1]  # a line being written is left for later
            lines = [json.loads(line) for line in complete.splitlines() if line.strip()]

    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert token not in text
    assert token.split(".")[2] not in text


async def test_debug_logs_never_show_a_sockets_token(clients: Clients, server_log: Path) -> None:
    """At DEBUG, the WebSocket library logs the frames it receives: a Socket.IO CONNECT and a
    graphql-transport-ws `connection_init` carry the token."""
    user = _user()
    socket = await clients.socket(user)
    token = clients.server.token(user)
    async with graphql_ws(clients.server, token):
        pass
    await socket.client.disconnect()
    await clients.http.get("/health")  # a line logged after the sockets' frames

    text = await asyncio.to_thread(server_log.read_text)
    assert "connection_init" not in text
    assert '"token"' not in text
    assert token.split(".")[2] not in text


async def test_metrics_show_sockets_events_and_the_outbox_moving(clients: Clients) -> None:
    created = 'herald_events_emitted_total{event="notification:created"}'
    before = (await clients.http.get("/metrics")).text
    listener = await clients.socket(_user())

    await clients.graphql(_user()).data('mutation { createLead(input: {name: "Metered"}) { id } }')
    await listener.wait_for("notification:created")
    after = (await clients.http.get("/metrics")).text

    assert _sample(after, "herald_connected_sockets") >= 1
    assert _sample(after, created) > _sample(before, created)
    assert _sample(after, "herald_outbox_backlog") >= 0
