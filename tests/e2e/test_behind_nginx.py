"""End to end behind nginx: the shipped configuration in front of three `herald serve` processes
that share Redis, one answering GraphQL and two holding the sockets, with a client on Socket.IO's
default transports (long-polling, then the upgrade to WebSocket) that sticky sessions keep on one
process."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from e2e_support import (
    SECRET,
    HeraldServer,
    Socket,
    herald_env,
    start_server,
    stop_server,
    subscribed,
)
from redis_server import RedisServer, own_redis_server  # noqa: F401 - the fixture

from adapters.jwt.tokens import JwtTokenIssuer
from network import free_port

pytestmark = pytest.mark.e2e

SHIPPED = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
CREATE_LEAD = "mutation CreateLead($n: String!) { createLead(input: {name: $n}) { id } }"
WAIT_SECONDS = 15
SOCKETS = "herald_connected_sockets"
CREATED_LEADS = 'herald_graphql_operations_total{operation="CreateLead",outcome="ok"}'
SUBSCRIPTIONS = 'herald_graphql_operations_total{operation="Events",outcome="ok"}'


def nginx_executable() -> str:
    executable = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if executable is None:
        reason = "nginx is needed for the load-balancer test (apt-get install nginx)"
        if os.environ.get("HERALD_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return executable


def site_config(groups: dict[str, list[int]], port: int) -> str:
    """The shipped configuration, with the test's processes in each upstream group in place of
    the example ones, and the test's listen address."""
    text, unused = SHIPPED.read_text(), dict(groups)

    def with_ours(block: re.Match[str]) -> str:
        name = block["name"]
        assert name in unused, f"the test gives no servers for upstream {name}"
        lines = block[0].splitlines(keepends=True)
        servers = [i for i, line in enumerate(lines) if line.lstrip().startswith("server ")]
        assert servers, f"upstream {name} lists no server"
        kept = [line for i, line in enumerate(lines) if i not in servers]
        ours = [f"    server 127.0.0.1:{number};\n" for number in unused.pop(name)]
        return "".join(kept[: servers[0]] + ours + kept[servers[0] :])

    text = re.sub(r"(?ms)^upstream (?P<name>\w+) \{$.*?^\}$", with_ours, text)
    assert not unused, f"no upstream {set(unused)} in {SHIPPED}"
    assert text.count("listen 80;") == 1
    return text.replace("listen 80;", f"listen 127.0.0.1:{port};")


@dataclass
class Nginx:
    url: str
    process: subprocess.Popen[bytes]


def start_nginx(prefix: Path, groups: dict[str, list[int]]) -> Nginx:
    """nginx in the foreground, with its own prefix, pid file, logs and temporary files."""
    port = free_port()
    (prefix / "herald.conf").write_text(site_config(groups, port))
    temporary = "\n".join(
        f"  {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (prefix / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n  access_log off;\n{temporary}\n  include {prefix / 'herald.conf'};\n}}\n"
    )
    command = [nginx_executable(), "-p", str(prefix), "-e", str(prefix / "error.log")]
    process = subprocess.Popen(
        [*command, "-c", str(prefix / "nginx.conf")],
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return Nginx(url, process)
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    stop_server(process)  # SIGTERM: killed, nginx's master would leave its workers running
    raise RuntimeError(f"nginx did not start: {(prefix / 'error.log').read_text()}")


@dataclass
class Processes:
    api: HeraldServer
    sockets: list[HeraldServer]


@pytest.fixture
def processes(own_database_url: str, redis_server: RedisServer) -> Iterator[Processes]:
    env = herald_env(DATABASE_URL=own_database_url, REDIS_URL=redis_server.url)
    started: list[HeraldServer] = []
    try:
        for _ in range(3):
            started.append(start_server(env))
        yield Processes(api=started[0], sockets=started[1:])
    finally:
        for server in started:
            if server.process.poll() is None:
                stop_server(server.process)


def port_of(server: HeraldServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


@pytest.fixture
def nginx(tmp_path: Path, processes: Processes) -> Iterator[Nginx]:
    groups = {
        "herald_api": [port_of(processes.api)],
        "herald_sockets": [port_of(server) for server in processes.sockets],
    }
    running = start_nginx(tmp_path, groups)
    try:
        yield running
    finally:
        stop_server(running.process)  # SIGTERM, as above


def token(user_id: str) -> str:
    return JwtTokenIssuer(SECRET).issue(user_id)


async def create_lead(url: str, actor: str, name: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        response = await http.post(
            "/graphql",
            json={"query": CREATE_LEAD, "variables": {"n": name}},
            headers={"Authorization": f"Bearer {token(actor)}", "X-Request-ID": "the-clients"},
        )
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    return response


async def metric(server: HeraldServer, series: str) -> float:
    """The value of one series of the process's metrics, 0 if it has none."""
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        metrics = (await http.get("/metrics")).text
    values = [line.split()[-1] for line in metrics.splitlines() if line.startswith(series + " ")]
    return float(values[0]) if values else 0.0


async def through_nginx(url: str, user: str, last_event_id: int | None = None) -> Socket:
    """A client with Socket.IO's default transports: long-polling first, then the upgrade."""
    socket = Socket()
    auth: dict[str, object] = {"token": token(user)}
    if last_event_id is not None:
        auth["lastEventId"] = last_event_id
    await socket.client.connect(url, auth=auth, wait_timeout=5)
    return socket


async def holder(servers: list[HeraldServer]) -> int:
    """The index of the one process that holds the client's socket."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            counts = [await metric(server, SOCKETS) for server in servers]
            if sorted(counts) == [0, 1]:
                return counts.index(1)
            await asyncio.sleep(0.1)


async def test_through_nginx_a_socket_gets_events_from_the_api_process_and_replays_after_a_crash(
    nginx: Nginx, processes: Processes
) -> None:
    alice, bob = f"alice-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"
    answer = await create_lead(nginx.url, alice, "Registers alice")  # bob is not told
    # nginx's request id replaces the client's: the location kept the server's headers.
    assert re.fullmatch("[0-9a-f]{32}", answer.headers["X-Request-ID"])
    first = await through_nginx(nginx.url, bob)
    async with asyncio.timeout(WAIT_SECONDS):
        while first.client.transport() != "websocket":  # noqa: ASYNC110 - the upgrade is async
            await asyncio.sleep(0.05)
    held_by = await holder(processes.sockets)

    await create_lead(nginx.url, alice, "Through the API's process")
    [created] = await first.wait_for("notification:created", within=WAIT_SECONDS)
    last_event_id = max(first.event_ids())

    processes.sockets[held_by].process.kill()  # a crash: the socket drops
    processes.sockets[held_by].process.wait()
    async with asyncio.timeout(WAIT_SECONDS):
        while first.client.connected:  # noqa: ASYNC110 - the client notices the drop
            await asyncio.sleep(0.05)
    await create_lead(nginx.url, alice, "While the client was away")
    again = await through_nginx(nginx.url, bob, last_event_id)
    [missed] = await again.wait_for("notification:created", within=WAIT_SECONDS)
    assert await metric(processes.sockets[1 - held_by], SOCKETS) == 1
    assert await metric(processes.api, SOCKETS) == 0
    await again.client.disconnect()

    assert created["title"] == "New lead: Through the API's process"
    assert missed["title"] == "New lead: While the client was away"
    assert min(again.event_ids()) > last_event_id
    # Each group did its part alone: the mutations on the API's process (which held no socket).
    assert await metric(processes.api, CREATED_LEADS) == 3
    assert await metric(processes.sockets[1 - held_by], CREATED_LEADS) == 0


async def test_through_nginx_a_subscription_goes_to_the_sockets_processes(
    nginx: Nginx, processes: Processes
) -> None:
    alice, bob = f"alice-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"
    # From event 0: what comes before the subscription is in place is replayed.
    async with subscribed(HeraldServer(nginx.url, nginx.process), token(bob), 0) as received:
        await create_lead(nginx.url, alice, "To the subscriber")
        async with asyncio.timeout(WAIT_SECONDS):
            event = await received.get()
    # A subscription is counted once it ends, as the client's close reaches its process.
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            subscriptions = [await metric(server, SUBSCRIPTIONS) for server in processes.sockets]
            if sum(subscriptions):
                break
            await asyncio.sleep(0.1)
    assert event["event"] == "notification:created"
    assert event["notification"]["title"] == "New lead: To the subscriber"
    assert sorted(subscriptions) == [0, 1]
    assert await metric(processes.api, SUBSCRIPTIONS) == 0
