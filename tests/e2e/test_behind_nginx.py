"""End to end behind nginx: the shipped configuration in front of two `herald serve` processes
that share Redis, with a client on Socket.IO's default transports (long-polling, then the
upgrade to WebSocket) that sticky sessions keep on one process."""

from __future__ import annotations

import asyncio
import os
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
)
from redis_server import RedisServer, own_redis_server  # noqa: F401 - the fixture

from adapters.jwt.tokens import JwtTokenIssuer
from network import free_port

pytestmark = pytest.mark.e2e

SHIPPED = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
CREATE_LEAD = "mutation($n: String!) { createLead(input: {name: $n}) { id } }"
WAIT_SECONDS = 15


def nginx_executable() -> str:
    executable = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if executable is None:
        reason = "nginx is needed for the load-balancer test (apt-get install nginx)"
        if os.environ.get("HERALD_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return executable


def site_config(upstreams: list[int], port: int) -> str:
    """The shipped configuration, with the test's addresses where the example ones are."""
    text = SHIPPED.read_text()
    for example, used in (
        ("server 127.0.0.1:3001;", f"server 127.0.0.1:{upstreams[0]};"),
        ("server 127.0.0.1:3002;", f"server 127.0.0.1:{upstreams[1]};"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
    ):
        assert text.count(example) == 1, example
        text = text.replace(example, used)
    return text


@dataclass
class Nginx:
    url: str
    process: subprocess.Popen[bytes]


def start_nginx(prefix: Path, upstreams: list[int]) -> Nginx:
    """nginx in the foreground, with its own prefix, pid file, logs and temporary files."""
    port = free_port()
    (prefix / "herald.conf").write_text(site_config(upstreams, port))
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
    process.kill()
    process.wait()
    raise RuntimeError(f"nginx did not start: {(prefix / 'error.log').read_text()}")


@pytest.fixture
def two_processes(own_database_url: str, redis_server: RedisServer) -> Iterator[list[HeraldServer]]:
    env = herald_env(DATABASE_URL=own_database_url, REDIS_URL=redis_server.url)
    servers = [start_server(env), start_server(env)]
    try:
        yield servers
    finally:
        for server in servers:
            if server.process.poll() is None:
                stop_server(server.process)


@pytest.fixture
def nginx(tmp_path: Path, two_processes: list[HeraldServer]) -> Iterator[Nginx]:
    ports = [int(server.url.rsplit(":", 1)[1]) for server in two_processes]
    running = start_nginx(tmp_path, ports)
    try:
        yield running
    finally:
        running.process.kill()
        running.process.wait()


def token(user_id: str) -> str:
    return JwtTokenIssuer(SECRET).issue(user_id)


async def create_lead(url: str, actor: str, name: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        response = await http.post(
            "/graphql",
            json={"query": CREATE_LEAD, "variables": {"n": name}},
            headers={"Authorization": f"Bearer {token(actor)}"},
        )
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text


async def connected_sockets(server: HeraldServer) -> float:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        metrics = (await http.get("/metrics")).text
    return next(
        float(line.split()[1])
        for line in metrics.splitlines()
        if line.startswith("herald_connected_sockets ")
    )


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
            counts = [await connected_sockets(server) for server in servers]
            if sorted(counts) == [0, 1]:
                return counts.index(1)
            await asyncio.sleep(0.1)


async def test_through_nginx_a_socket_gets_events_from_the_other_process_and_replays_after_a_crash(
    nginx: Nginx, two_processes: list[HeraldServer]
) -> None:
    alice, bob = f"alice-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"
    await create_lead(two_processes[0].url, alice, "Registers both")  # bob is not told yet
    first = await through_nginx(nginx.url, bob)
    async with asyncio.timeout(WAIT_SECONDS):
        while first.client.transport() != "websocket":  # noqa: ASYNC110 - the upgrade is async
            await asyncio.sleep(0.05)
    held_by = await holder(two_processes)
    other = two_processes[1 - held_by]

    await create_lead(other.url, alice, "Through the other process")
    [created] = await first.wait_for("notification:created", within=WAIT_SECONDS)
    last_event_id = max(first.event_ids())

    two_processes[held_by].process.kill()  # a crash: the socket drops
    two_processes[held_by].process.wait()
    async with asyncio.timeout(WAIT_SECONDS):
        while first.client.connected:  # noqa: ASYNC110 - the client notices the drop
            await asyncio.sleep(0.05)
    await create_lead(other.url, alice, "While the client was away")
    again = await through_nginx(nginx.url, bob, last_event_id)
    [missed] = await again.wait_for("notification:created", within=WAIT_SECONDS)
    await again.client.disconnect()

    assert created["title"] == "New lead: Through the other process"
    assert missed["title"] == "New lead: While the client was away"
    assert min(again.event_ids()) > last_event_id
