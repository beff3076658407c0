"""The soak: `uv run python -m bench soak [--seconds 120] [--warmup 20] [--keep]`.

Mixed traffic against one `herald serve` on a fresh PostgreSQL database for `--seconds`: reads
and every mutation from a few users at once, on the same leads, tasks and notifications (so
that requests race each other), one request in `DROP_EVERY` dropped half-way through its body,
and Socket.IO clients connecting and leaving all the while. One listening socket per user stays
connected from start to end. It reports:

- answers >= 500 (target 0) and the GraphQL error codes met (`CONFLICT` is a lost race);
- events lost (target 0): every event of the outbox addressed to a user, committed after the
  listeners connected, that the user's listener did not receive (the unread counts, which the
  server may coalesce, are left out);
- the server's resident memory after the warm-up and at the end (target: no growth past the
  warm-up), and the lines it logged at ERROR.

The figures go to stdout and to `soak.json` in the workdir (`/tmp/herald-bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import socketio

from adapters.jwt.tokens import JwtTokenIssuer
from bench.seed import HERALD, create_database, drop_database, migrate
from bench.servers import SECRET, Server, base_env, free_port, start, stop

USERS = [f"soak-{number:02d}" for number in range(12)]
WORKERS = 8  # requests in flight at once
CHURNERS = 4  # sockets connecting and leaving at once
DROP_EVERY = 25  # one request in so many is dropped half-way through its body
SAMPLE_SECONDS = 5  # memory
POOL = 40  # the newest leads and tasks that the traffic works on
TYPES = ["LEAD_CREATED", "TASK_COMPLETED", "SCORE_UPDATED", "COMMENT_ADDED"]
COALESCED = "UnreadCountsChanged"

issuer = JwtTokenIssuer(SECRET)


def token(user: str) -> str:
    return issuer.issue(user, name=user.capitalize(), ttl=timedelta(hours=2))


@dataclass
class Traffic:
    """What the clients saw."""

    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    dropped: int = 0
    sockets_opened: int = 0
    sockets_refused: Counter[str] = field(default_factory=Counter)
    leads: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    inboxes: dict[str, list[str]] = field(default_factory=dict)


class Client:
    """One user's GraphQL calls; each answer is tallied."""

    def __init__(self, http: httpx.AsyncClient, user: str, traffic: Traffic) -> None:
        self.user, self._http, self._traffic = user, http, traffic
        self._headers = {"Authorization": f"Bearer {token(user)}"}

    async def call(self, name: str, query: str, **variables: Any) -> Any:
        self._traffic.operations[name] += 1
        try:
            response = await self._http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=self._headers
            )
        except httpx.TransportError as error:
            self._traffic.transport_errors[type(error).__name__] += 1
            return None
        self._traffic.statuses[response.status_code] += 1
        body = response.json() if response.status_code < 500 else {}
        for refusal in body.get("errors") or ():
            self._traffic.codes[refusal.get("extensions", {}).get("code", "?")] += 1
        return body.get("data")


def newest(pool: list[str], item: str) -> None:
    pool.append(item)
    del pool[:-POOL]


async def one_action(client: Client, traffic: Traffic, rng: random.Random) -> None:
    """A read or a mutation, picked at random, on the shared leads, tasks and inboxes."""
    lead = rng.choice(traffic.leads) if traffic.leads else None
    task = rng.choice(traffic.tasks) if traffic.tasks else None
    mine = traffic.inboxes.get(client.user) or []
    notification = rng.choice(mine) if mine else None
    roll = rng.random()
    if roll < 0.12:
        await client.call("getUnreadCount", "{ getUnreadCount }")
    elif roll < 0.24:
        data = await client.call("getNotifications", "{ getNotifications(limit: 20) { id } }")
        if data:
            traffic.inboxes[client.user] = [n["id"] for n in data["getNotifications"]]
    elif roll < 0.32:
        await client.call(
            "notificationFeed",
            "{ notificationFeed(first: 20) { edges { cursor node { id isRead } } } }",
        )
    elif roll < 0.38:
        await client.call("leads", "{ leads(limit: 20) { id score ownerId } }")
    elif roll < 0.44 or lead is None:
        data = await client.call(
            "createLead",
            'mutation { createLead(input: {name: "Soak Corp", company: "Soak"}) { id } }',
        )
        if data:
            newest(traffic.leads, data["createLead"]["id"])
    elif roll < 0.50:
        data = await client.call(
            "createTask",
            'mutation T($lead: ID!) { createTask(input: {leadId: $lead, title: "Call"}) { id } }',
            lead=lead,
        )
        if data:
            newest(traffic.tasks, data["createTask"]["id"])
    elif roll < 0.56 and task is not None:
        await client.call(
            "completeTask", "mutation C($id: ID!) { completeTask(id: $id) { id } }", id=task
        )
    elif roll < 0.62:
        await client.call(
            "updateLeadScore",
            "mutation S($id: ID!, $s: Int!) { updateLeadScore(id: $id, score: $s) { id } }",
            id=lead,
            s=rng.choice([10, 42, 77]),
        )
    elif roll < 0.66:
        await client.call(
            "assignLead",
            "mutation A($id: ID!, $to: String!) { assignLead(id: $id, ownerId: $to) { id } }",
            id=lead,
            to=rng.choice(USERS),
        )
    elif roll < 0.72:
        await client.call(
            "addComment",
            'mutation M($lead: ID!) { addComment(input: {leadId: $lead, body: "Hi"}) { id } }',
            lead=lead,
        )
    elif roll < 0.82 and notification is not None:
        await client.call(
            "markAsRead", "mutation R($id: String!) { markAsRead(id: $id) { id } }", id=notification
        )
    elif roll < 0.86:
        await client.call("markAllAsRead", "mutation { markAllAsRead }")
    elif roll < 0.94 and notification is not None:
        await client.call(
            "deleteNotification",
            "mutation D($id: String!) { deleteNotification(id: $id) }",
            id=notification,
        )
    else:
        await client.call(
            "setNotificationPreference",
            "mutation P($t: NotificationType!, $on: Boolean!) { "
            "setNotificationPreference(type: $t, enabled: $on) { type } }",
            t=rng.choice(TYPES),
            on=rng.random() < 0.7,
        )


async def drop_half_way(port: int, user: str, traffic: Traffic) -> None:
    """A request whose client goes away while sending its body."""
    body = b'{"query": "mutation { markAllAsRead }"}'
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {token(user)}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body[: len(body) // 2]
    )
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    traffic.dropped += 1


async def worker(
    http: httpx.AsyncClient, port: int, traffic: Traffic, until: float, seed: int
) -> None:
    rng = random.Random(seed)
    clients = {user: Client(http, user, traffic) for user in USERS}
    while time.monotonic() < until:
        user = rng.choice(USERS)
        if rng.randrange(DROP_EVERY) == 0:
            await drop_half_way(port, user, traffic)
        else:
            await one_action(clients[user], traffic, rng)


async def churner(url: str, traffic: Traffic, until: float, seed: int) -> None:
    """Sockets that connect, listen a little and leave, one after the other."""
    rng = random.Random(seed)
    while time.monotonic() < until:
        client = socketio.AsyncClient(reconnection=False)
        refused: list[Any] = []
        client.on("connect_error", refused.append)
        try:
            await client.connect(
                url,
                auth={"token": token(rng.choice(USERS))},
                transports=["websocket"],
                wait_timeout=10,
            )
        except socketio.exceptions.ConnectionError:
            traffic.sockets_refused[str(refused[0] if refused else "no answer")] += 1
            continue
        traffic.sockets_opened += 1
        await asyncio.sleep(rng.uniform(0.2, 2.0))
        await client.disconnect()


class Listener:
    """One socket per user for the whole soak, keeping the ids of the events it received."""

    def __init__(self, user: str) -> None:
        self.user = user
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: set[int] = set()
        self.client.on("*", self._on_event)

    async def _on_event(self, event: str, data: Any) -> None:
        if isinstance(data, dict) and isinstance(data.get("eventId"), int):
            self.received.add(data["eventId"])

    async def connect(self, url: str) -> None:
        await self.client.connect(
            url, auth={"token": token(self.user)}, transports=["websocket"], wait_timeout=10
        )


async def outbox_position(dsn: str, name: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(
            await connection.fetchval("SELECT position FROM outbox_state WHERE name = $1", name)
        )
    finally:
        await connection.close()


async def lost_events(dsn: str, after: int, listeners: list[Listener]) -> dict[str, int]:
    """Per user, the events after `after` addressed to them that their listener did not get."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT id, recipients FROM outbox_events WHERE id > $1 AND kind <> $2",
            after,
            COALESCED,
        )
    finally:
        await connection.close()
    lost: dict[str, int] = {}
    for listener in listeners:
        expected = {row["id"] for row in rows if listener.user in row["recipients"]}
        lost[listener.user] = len(expected - listener.received)
    return lost


async def settled(dsn: str, seconds: float = 30) -> None:
    """Until the relay has published everything committed (or `seconds` have passed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await outbox_position(dsn, "published") >= await outbox_position(dsn, "assigned"):
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)  # the sockets' last frames


async def sample_memory(server: Server, samples: list[tuple[float, int]], until: float) -> None:
    started = time.monotonic()
    while time.monotonic() < until:
        samples.append((round(time.monotonic() - started, 1), server.rss_kib()))
        await asyncio.sleep(SAMPLE_SECONDS)


async def soak(seconds: float, warmup: float, workdir: Path, keep: bool) -> dict[str, Any]:
    database = await create_database()
    log = workdir / f"herald-{database.name}.log"
    try:
        env = {**base_env(), "LOG_LEVEL": "INFO"}
        migrate(database, env)
        port = free_port()
        server = await start(
            [HERALD, "serve"],
            {**env, "DATABASE_URL": database.url, "HERALD_PORT": str(port)},
            port,
            log,
        )
        try:
            return await _traffic(server, port, database.dsn, seconds, warmup, log)
        finally:
            stop(server)
    finally:
        if not keep:
            await drop_database(database)


async def _traffic(
    server: Server, port: int, dsn: str, seconds: float, warmup: float, log: Path
) -> dict[str, Any]:
    traffic = Traffic()
    limits = httpx.Limits(max_connections=WORKERS * 2)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http:
        for user in USERS:  # registered: the audience of new leads
            await Client(http, user, traffic).call("getUnreadCount", "{ getUnreadCount }")
        listeners = [Listener(user) for user in USERS]
        await asyncio.gather(*(listener.connect(server.url) for listener in listeners))
        after = await outbox_position(dsn, "assigned")
        until = time.monotonic() + seconds
        memory: list[tuple[float, int]] = []
        await asyncio.gather(
            sample_memory(server, memory, until),
            *(worker(http, port, traffic, until, seed) for seed in range(WORKERS)),
            *(churner(server.url, traffic, until, 100 + seed) for seed in range(CHURNERS)),
        )
        await settled(dsn)
        lost = await lost_events(dsn, after, listeners)
        still_connected = sum(listener.client.connected for listener in listeners)
        await asyncio.gather(*(listener.client.disconnect() for listener in listeners))
    after_warmup = next((kib for at, kib in memory if at >= warmup), memory[-1][1])
    return {
        "seconds": seconds,
        "requests": sum(traffic.operations.values()),
        "operations": dict(traffic.operations),
        "statuses": {str(status): n for status, n in sorted(traffic.statuses.items())},
        "answers_5xx": sum(n for status, n in traffic.statuses.items() if status >= 500),
        "error_codes": dict(traffic.codes),
        "transport_errors": dict(traffic.transport_errors),
        "dropped_half_way": traffic.dropped,
        "sockets_opened": traffic.sockets_opened,
        "sockets_refused": dict(traffic.sockets_refused),
        "listeners_connected_at_end": f"{still_connected}/{len(listeners)}",
        "events_lost": sum(lost.values()),
        "rss_kib": {
            "after_warmup": after_warmup,
            "end": memory[-1][1],
            "max": max(kib for _, kib in memory),
        },
        "rss_samples": memory,
        "server_log": str(log),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=120, help="of traffic (default 120)")
    parser.add_argument("--warmup", type=float, default=20, help="memory counts from then on")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/herald-bench"))
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = asyncio.run(soak(args.seconds, args.warmup, args.workdir, args.keep))
    logged = Path(results["server_log"]).read_text(errors="replace").splitlines()
    results["server_error_lines"] = sum(" ERROR " in line for line in logged)
    results["server_tracebacks"] = sum(line.startswith("Traceback") for line in logged)
    (args.workdir / "soak.json").write_text(json.dumps(results, indent=2))
    summary = {key: value for key, value in results.items() if key != "rss_samples"}
    print(json.dumps(summary, indent=2))
