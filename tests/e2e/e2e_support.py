"""A real `herald serve` process on a free loopback port, and the clients that talk to it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import socketio
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from websockets.asyncio.client import ClientConnection, connect

from adapters.jwt.tokens import JwtTokenIssuer
from network import free_port

SECRET = "e2e-secret-that-is-long-enough-for-hs256"
HERALD = str(Path(sys.executable).with_name("herald"))
START_TIMEOUT_SECONDS = 30
EVENT_TIMEOUT_SECONDS = 5
QUIET_SECONDS = 0.5  # how long "nothing arrives" is watched for


def herald(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs a `herald` command to its end, as an operator would, with its output captured."""
    return subprocess.run(
        [HERALD, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def herald_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HERALD_")}
    env.update({"JWT_SECRET": SECRET, "HERALD_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING"})
    env.update(overrides)
    return env


@dataclass
class HeraldServer:
    url: str
    process: subprocess.Popen[bytes]
    issuer: JwtTokenIssuer = field(default_factory=lambda: JwtTokenIssuer(SECRET))

    def token(self, user_id: str, name: str | None = None, ttl: float = 3600) -> str:
        return self.issuer.issue(user_id, name=name, ttl=timedelta(seconds=ttl))


def start_server(
    env: dict[str, str], cwd: Path | None = None, port: int | None = None
) -> HeraldServer:
    port = port or free_port()
    env = {**env, "HERALD_PORT": str(port)}
    process = subprocess.Popen([HERALD, "serve"], env=env, cwd=cwd)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"herald serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return HeraldServer(url, process)
        except httpx.TransportError:
            time.sleep(0.1)
    stop_server(process)
    raise RuntimeError("herald serve did not answer /health in time")


@contextmanager
def running_server(env: dict[str, str]) -> Iterator[HeraldServer]:
    """A `herald serve` for the time of the block."""
    running = start_server(env)
    try:
        yield running
    finally:
        stop_server(running.process)


@asynccontextmanager
async def clients_of(server: HeraldServer) -> AsyncIterator[Clients]:
    """Clients of the server; their sockets are disconnected at the end of the block."""
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        made = Clients(server, http)
        try:
            yield made
        finally:
            for connected in made.sockets:
                await connected.client.disconnect()


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class GraphQL:
    """A plain GraphQL-over-HTTP client, as a frontend would use one."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self._http, self._token = http, token

    async def post(self, query: str, **variables: Any) -> httpx.Response:
        return await self._http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self._token}"},
        )

    async def data(self, query: str, **variables: Any) -> Any:
        response = await self.post(query, **variables)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body
        return body["data"]

    async def error_code(self, query: str, **variables: Any) -> str:
        body = (await self.post(query, **variables)).json()
        assert body.get("errors"), body
        return str(body["errors"][0]["extensions"]["code"])


class Socket:
    """A Socket.IO client that keeps every event it receives, in order."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.refusal: Any = None
        self._arrived = asyncio.Event()
        self.client.on("*", self._on_event)
        self.client.on("connect_error", self._on_refused)

    async def _on_event(self, event: str, data: Any) -> None:
        self.events.append((event, data))
        self._arrived.set()

    async def _on_refused(self, data: Any) -> None:
        self.refusal = data

    async def connect(self, url: str, auth: Any) -> None:
        await self.client.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)

    def named(self, event: str) -> list[Any]:
        """The payloads of `event`, without their `eventId` (`event_ids` checks those)."""
        return [
            {key: value for key, value in data.items() if key != "eventId"}
            for name, data in self.events
            if name == event
        ]

    def event_ids(self) -> list[int]:
        return [data["eventId"] for _, data in self.events]

    async def wait_for(
        self, event: str, count: int = 1, within: float = EVENT_TIMEOUT_SECONDS
    ) -> list[Any]:
        """The first `count` payloads of `event`, waiting for them at most `within` seconds."""
        async with asyncio.timeout(within):
            while len(self.named(event)) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.named(event)[:count]

    async def wait_until(
        self, done: Callable[[], bool], within: float = EVENT_TIMEOUT_SECONDS
    ) -> None:
        """Until `done()` holds, checked again as each event arrives."""
        async with asyncio.timeout(within):
            while not done():
                self._arrived.clear()
                await self._arrived.wait()


@dataclass
class Clients:
    server: HeraldServer
    http: httpx.AsyncClient
    sockets: list[Socket] = field(default_factory=list)

    def graphql(self, user_id: str, name: str | None = None) -> GraphQL:
        return GraphQL(self.http, self.server.token(user_id, name))

    async def socket(self, user_id: str, name: str | None = None) -> Socket:
        connected = Socket()
        await connected.connect(self.server.url, {"token": self.server.token(user_id, name)})
        self.sockets.append(connected)
        return connected

    async def quiet(self) -> None:
        """Let events that should not arrive have their chance to."""
        await asyncio.sleep(QUIET_SECONDS)


# GraphQL subscriptions ---------------------------------------------------------------------

EVENTS = """
    subscription Events($last: Int) {
      notificationEvents(lastEventId: $last) {
        eventId event count action id reason
        notification { id type title isRead relatedLeadId actorId createdAt }
      }
    }"""


@asynccontextmanager
async def graphql_ws(server: HeraldServer, token: str) -> AsyncIterator[ClientConnection]:
    """A bare graphql-transport-ws connection to the server, its `connection_init` acknowledged:
    for what a client library would refuse to send, or hide."""
    url = server.url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        async with asyncio.timeout(10):
            assert json.loads(await socket.recv())["type"] == "connection_ack"
        yield socket


@asynccontextmanager
async def subscribed(
    server: HeraldServer, token: str, last_event_id: int | None = None
) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """A gql client subscribed to the caller's events; what arrives lands in the queue."""
    url = server.url.replace("http://", "ws://") + "/graphql"
    transport = WebsocketsTransport(
        url=url,
        init_payload={"token": token},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    async with Client(transport=transport) as session:

        async def listen() -> None:
            request = GraphQLRequest(EVENTS, variable_values={"last": last_event_id})
            async for result in session.subscribe(request):
                await received.put(result["notificationEvents"])

        listening = asyncio.create_task(listen())
        try:
            yield received
        finally:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
