"""The benchmark, end to end: `uv run python -m bench [--quick] [--keep] [--profile]`.

1. a fresh database (herald_bench_<hex>), `herald migrate`, 1M inbox rows seeded by SQL;
2. `herald serve` and the bare baseline (bench/bare.py) side by side: GraphQL reads against the
   same SQL without GraphQL, under closed-loop load;
3. markAllAsRead of 10k unread, createLead fanned out to 10k users;
4. 1,000 Socket.IO clients while leads are created at 20/s: delivery latency, losses, memory,
   CPU per delivery; with python-socketio and with the official JavaScript client on Node, on
   one `herald serve` and on two behind Redis, each on a fresh database of the small scale;
   after each run on one process, the same clients and leads against a reference Socket.IO
   server on Node that stores nothing (bench/js/reference.mjs): what delivery costs with each
   client before any database;
5. the reads again on a 10k-row database;
6. docs/benchmarks.md from the figures (the raw ones are kept as JSON beside the profiles).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import socket
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from adapters.jwt.tokens import JwtTokenIssuer
from bench import report
from bench.load import (
    CpuTrace,
    GraphQL,
    Request,
    Stats,
    graphql_request,
    measure,
    percentile,
    postgres_pids,
    tool,
)
from bench.seed import (
    HEAVY,
    RECOUNT,
    Database,
    Scale,
    create_database,
    drop_database,
    migrate,
    seed,
    user_id,
)
from bench.servers import (
    SECRET,
    Server,
    base_env,
    can_profile,
    herald_and_bare,
    herald_processes,
    profiled,
    reference_server,
)
from bench.sockets import Client, Fleet


@dataclass(frozen=True)
class Plan:
    big: Scale
    small: Scale
    concurrency: int  # connections of the read load
    seconds: float  # measured, per operation and server
    warmup: float
    rounds: int  # of each read on each server, taking turns; the figures are their medians
    repeats: int  # of markAllAsRead and of the fan-out
    sockets: int
    per_process: int  # sockets per client process
    lead_rate: int  # leads per second while the sockets listen
    lead_seconds: float
    profile_seconds: float
    socket_rounds: int  # of each socket run, taking turns; the figures are their medians


FULL = Plan(
    big=Scale(rows=1_000_000, users=10_000, heavy_rows=100_000, heavy_unread=10_000),
    small=Scale(rows=10_000, users=100, heavy_rows=2_500, heavy_unread=250),
    concurrency=16,
    seconds=8,
    warmup=2,
    rounds=3,
    repeats=5,
    sockets=1_000,
    per_process=250,
    lead_rate=20,
    lead_seconds=10,
    profile_seconds=8,
    socket_rounds=3,
)
QUICK = Plan(
    big=Scale(rows=20_000, users=200, heavy_rows=5_000, heavy_unread=500),
    small=Scale(rows=2_000, users=20, heavy_rows=2_500, heavy_unread=250),
    concurrency=8,
    seconds=2,
    warmup=1,
    rounds=1,
    repeats=2,
    sockets=100,
    per_process=50,
    lead_rate=20,
    lead_seconds=2,
    profile_seconds=2,
    socket_rounds=1,
)
EMAIL_DELAY_SECONDS = 600  # the fan-out with email on: nothing falls due while it is measured
FEED_PAGE = 100  # the deep page: `first: 20` after the 99th endCursor

FIELDS = "id type title message isRead readAt relatedLeadId actorId createdAt updatedAt"
UNREAD = "query Unread { getUnreadCount }"
NEWEST = f"query Newest {{ getNotifications(limit: 50) {{ {FIELDS} }} }}"
FEED = (
    "query Feed($after: String) { notificationFeed(first: 20, after: $after) { "
    f"edges {{ cursor node {{ {FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)
WALK = (
    "query Walk($after: String) { notificationFeed(first: 20, after: $after) { "
    "pageInfo { endCursor } } }"
)
COUNTS = "query Counts { inboxCounts { unread unseen total } }"
GROUPS = (
    "query Groups { notificationGroups(first: 20) { edges { cursor node { key type title count "
    "unreadCount actorIds actorCount relatedLeadId lastAt latest { id title isRead } } } "
    "pageInfo { hasNextPage endCursor } } }"
)
# The burst's entries whose delivery a client confirmed, by their leads' ids.
# Delivered: the entry's own column, or its user's confirmations reached its event (the user's
# position is their highest delivery mark; see `adapters.sqlalchemy.tables.delivery_marks`).
CONFIRMED = """SELECT count(*) FROM notification_recipients r
    JOIN notifications n ON n.id = r."notificationId"
    WHERE n."relatedLeadId" = ANY($1::uuid[])
      AND (r."deliveredAt" IS NOT NULL OR EXISTS (
          SELECT 1 FROM delivery_positions p
          WHERE p."userId" = r."userId" AND p."throughEventId" >= n."eventId"))"""
CREATE_LEAD = "mutation Create($input: CreateLeadInput!) { createLead(input: $input) { id } }"
MARK_ALL = "mutation MarkAll { markAllAsRead }"

issuer = JwtTokenIssuer(SECRET)


def token(user: str) -> str:
    return issuer.issue(user, ttl=timedelta(hours=2))


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Reads ----------------------------------------------------------------------------------------


async def reads(
    plan: Plan, servers: dict[str, tuple[Server, Server]], profiles: Path | None
) -> dict[str, Any]:
    """Each read of the heavy user's inbox, on Herald's GraphQL and on the bare route, for each
    database in turn, so that both see the same conditions on the machine."""
    pairs = {key: await _read_requests(herald, bare) for key, (herald, bare) in servers.items()}
    figures: dict[str, dict[str, Any]] = {key: {} for key in servers}
    for number, name in enumerate(pairs["big"]):
        rounds: dict[tuple[str, str], list[Stats]] = defaultdict(list)
        for _ in range(plan.rounds):
            for key, (herald, bare) in servers.items():
                say(f"  {key}: {name}")
                for side, request, server in (
                    ("graphql", pairs[key][name][0], herald),
                    ("bare", pairs[key][name][1], bare),
                ):
                    rounds[key, side].append(
                        await measure(
                            request, plan.concurrency, plan.seconds, plan.warmup, server.pid
                        )
                    )
        for (key, side), runs in rounds.items():
            figures[key].setdefault(name, {})[side] = median_of(runs)
        # Twice the clients, on Herald at 1M rows: does the tail stay within reach of the p50?
        herald = servers["big"][0]
        say(f"  big: {name}, {2 * plan.concurrency} clients")
        crowded = await measure(
            pairs["big"][name][0], 2 * plan.concurrency, plan.seconds, plan.warmup, herald.pid
        )
        figures["big"][name]["graphql_crowded"] = crowded.as_dict()
        if profiles is not None:  # a pass of its own: the measured one ran without py-spy
            herald = servers["big"][0]
            path = profiles / f"read-{number}.txt"
            async with profiled(path, herald.pid, plan.profile_seconds):
                await measure(pairs["big"][name][0], plan.concurrency, plan.profile_seconds, 0)
            figures["big"][name]["profile"] = str(path)
    return figures


def median_of(runs: list[Stats]) -> dict[str, Any]:
    """Each figure's median over the rounds, and the rounds themselves."""
    figures = [run.as_dict() for run in runs]
    middle = {key: statistics.median(run[key] for run in figures) for key in figures[0]}
    return {**middle, "errors": sum(run["errors"] for run in figures), "rounds": figures}


async def _read_requests(herald: Server, bare: Server) -> dict[str, tuple[Request, Request]]:
    """The requests of each read, Herald's and the bare app's, checked to give the same data."""
    heavy = token(HEAVY)
    async with httpx.AsyncClient(timeout=30) as http:
        cursor = await _walk(GraphQL(http, herald.url, heavy), FEED_PAGE - 1)
        pairs = {
            "getUnreadCount": (
                graphql_request(herald.url, heavy, UNREAD),
                Request("GET", f"{bare.url}/unread-count", heavy),
            ),
            "getNotifications(limit: 50)": (
                graphql_request(herald.url, heavy, NEWEST),
                Request("GET", f"{bare.url}/notifications?limit=50", heavy),
            ),
            "notificationFeed(first: 20), page 1": (
                graphql_request(herald.url, heavy, FEED, after=None),
                Request("GET", f"{bare.url}/feed?first=20", heavy),
            ),
            f"notificationFeed(first: 20), page {FEED_PAGE}": (
                graphql_request(herald.url, heavy, FEED, after=cursor),
                Request("GET", f"{bare.url}/feed?first=20&after={cursor}", heavy),
            ),
            "inboxCounts": (
                graphql_request(herald.url, heavy, COUNTS),
                Request("GET", f"{bare.url}/inbox-counts", heavy),
            ),
            "notificationGroups(first: 20)": (
                graphql_request(herald.url, heavy, GROUPS),
                Request("GET", f"{bare.url}/groups?first=20", heavy),
            ),
        }
        for pair in pairs.values():
            await _same_answer(http, *pair)
    return pairs


async def _walk(client: GraphQL, pages: int) -> str:
    """The endCursor of page `pages`, walked from the first."""
    cursor = None
    for _ in range(pages):
        data = await client.data(WALK, after=cursor)
        cursor = data["notificationFeed"]["pageInfo"]["endCursor"]
        if cursor is None:
            raise RuntimeError(f"the heavy user's inbox has fewer than {pages} pages")
    assert cursor is not None
    return cursor


async def _same_answer(http: httpx.AsyncClient, graphql: Request, baseline: Request) -> None:
    """Both servers answer, and with the same data: they are doing the same work."""
    answers = []
    for request in (graphql, baseline):
        response = await http.request(
            request.method, request.url, content=request.body, headers=request.headers
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"{request.url} failed ({response.status_code}): {body}")
        answers.append(json.dumps(body["data"], sort_keys=True))
    if answers[0] != answers[1]:
        raise RuntimeError(
            f"Herald and the bare app disagree on {baseline.url}:\n"
            f"{answers[0][:400]}\n{answers[1][:400]}"
        )


# Mutations ------------------------------------------------------------------------------------


async def mark_all(
    plan: Plan, herald: Server, database: Database, profiles: Path | None
) -> dict[str, Any]:
    """markAllAsRead for the heavy user, its unread entries restored between runs."""
    connection = await asyncpg.connect(database.dsn)
    unread = [
        row[0]
        for row in await connection.fetch(
            'SELECT "notificationId" FROM notification_recipients'
            ' WHERE "userId" = $1 AND NOT "isRead" AND "archivedAt" IS NULL',
            HEAVY,
        )
    ]

    async def applied() -> float:
        """Seconds until the serve process has written the mark's entries (a mark per user
        waits in read_marks until then), polled every 2 ms; 0 where none was left."""
        started = time.perf_counter()
        deadline = started + 60
        while await connection.fetchval(
            'SELECT count(*) FROM read_marks WHERE "userId" = $1', HEAVY
        ):
            if time.perf_counter() > deadline:
                raise RuntimeError("markAllAsRead's mark was not applied within 60 s")
            await asyncio.sleep(0.002)
        return time.perf_counter() - started

    async def restore() -> None:
        await connection.execute(
            'UPDATE notification_recipients SET "isRead" = false, "readAt" = NULL,'
            ' "seenAt" = NULL, "updatedAt" = "createdAt"'
            ' WHERE "userId" = $1 AND "notificationId" = ANY($2)',
            HEAVY,
            unread,
        )
        await connection.execute(RECOUNT, HEAVY)
        await connection.execute("VACUUM (ANALYZE) notification_recipients, inbox_counts")

    runs: list[float] = []
    written: list[float] = []  # from the answer until the entries were written
    counts: list[int] = []
    try:
        async with httpx.AsyncClient(timeout=120) as http:
            client = GraphQL(http, herald.url, token(HEAVY))
            for _ in range(plan.repeats):
                started = time.perf_counter()
                counts.append((await client.data(MARK_ALL))["markAllAsRead"])
                runs.append(time.perf_counter() - started)
                written.append(await applied())
                await restore()
            profile = None
            if profiles is not None:
                profile = profiles / "mark-all.txt"
                deadline = time.monotonic() + plan.profile_seconds
                async with profiled(profile, herald.pid, plan.profile_seconds):
                    while time.monotonic() < deadline:
                        await client.data(MARK_ALL)
                        await applied()
                        await restore()
    finally:
        await connection.close()
    return {
        "unread": len(unread),
        "counts": counts,
        "seconds": runs,
        "written_seconds": written,
        "profile": profile and str(profile),
    }


async def fan_out(plan: Plan, herald: Server, database: Database) -> dict[str, Any]:
    """createLead by one user, every other registered user told: until answered, and until the
    relay has published the lead's events (the outbox "published" position reaches them)."""
    connection = await asyncpg.connect(database.dsn)
    try:
        names = [f"Fan-out {number}" for number in range(plan.repeats)]
        answered, published, lead = await _create_leads(plan, herald, connection, names)
        recipients = await connection.fetchval(
            "SELECT count(*) FROM notification_recipients r"
            ' JOIN notifications n ON n.id = r."notificationId"'
            ' WHERE n."relatedLeadId" = $1::uuid',
            lead,
        )
    finally:
        await connection.close()
    return {"recipients": recipients, "answered": answered, "published": published}


async def profile_fan_out(plan: Plan, database: Database, logs: Path, profiles: Path) -> str:
    """The fan-out sampled: leads one after another for `plan.profile_seconds`, on a `herald
    serve` of its own after one lead not sampled. Taken after every measured fan-out: each
    lead it makes adds an unread entry to every user's inbox and to one big group, which
    makes the leads after it touch more index pages (bench/findings.md)."""
    profile = profiles / "fan-out.txt"
    connection = await asyncpg.connect(database.dsn)
    try:
        async with (
            herald_processes(database, 1, logs) as servers,
            httpx.AsyncClient(timeout=120) as http,
        ):
            actor = GraphQL(http, servers[0].url, token(plan.big.actor))
            await actor.data(CREATE_LEAD, input={"name": "Profiled: first"})
            await _published(connection)
            async with profiled(profile, servers[0].pid, plan.profile_seconds):
                deadline = time.monotonic() + plan.profile_seconds
                while time.monotonic() < deadline:
                    await actor.data(CREATE_LEAD, input={"name": "Profiled"})
                    await _published(connection)
    finally:
        await connection.close()
    return str(profile)


async def _create_leads(
    plan: Plan,
    herald: Server,
    connection: asyncpg.Connection,
    names: list[str],
    written: list[float] | None = None,
) -> tuple[list[float], list[float], str]:
    """A lead of each name, by the big scale's actor, half a second apart: the seconds until
    each was answered, and until the relay published its events; and the last lead's id. With
    `written`, email is on: the seconds until its recipients' due emails were written too."""
    answered: list[float] = []
    published: list[float] = []
    lead = ""
    async with httpx.AsyncClient(timeout=120) as http:
        actor = GraphQL(http, herald.url, token(plan.big.actor))
        for name in names:
            started = time.perf_counter()
            lead = (await actor.data(CREATE_LEAD, input={"name": name}))["createLead"]["id"]
            answered.append(time.perf_counter() - started)
            await _published(connection)
            published.append(time.perf_counter() - started)
            if written is not None:
                await _emails_written(connection)
                written.append(time.perf_counter() - started)
            await asyncio.sleep(0.5)
    return answered, published, str(lead)


async def fan_out_with_email(plan: Plan, database: Database, logs: Path) -> dict[str, Any]:
    """The same fan-out with email on (`SMTP_URL`), taken in turn with it off, the reads'
    servers stopped: each lead on a `herald serve` started for it, after one lead not measured
    (the process's first), so that both see the same inbox as it grows. Every seeded user has
    an address, so with email on each `createLead` also schedules its emails, whose rows, one
    per recipient, the process's email scheduler writes after the answer (timed). Those fall
    due after `EMAIL_DELAY_SECONDS` (600 s), long after this: no email is sent, and the SMTP
    server, a port bound here and never listened on, is never asked."""
    connection = await asyncpg.connect(database.dsn)
    taken: dict[str, dict[str, list[float]]] = {
        side: {"answered": [], "published": []} for side in ("on", "off")
    }
    # With email on, how long after the lead was sent its recipients' due emails were written
    # (the scheduler's round, once a second, writes what the request scheduled).
    written: list[float] = []
    try:
        with socket.socket() as nobody:  # a connection to it is refused
            nobody.bind(("127.0.0.1", 0))
            email_on = {
                "SMTP_URL": f"smtp://127.0.0.1:{nobody.getsockname()[1]}",
                "EMAIL_DELAY_SECONDS": str(EMAIL_DELAY_SECONDS),
            }
            for number in range(plan.repeats):
                for side, settings in (("off", None), ("on", email_on)):
                    async with herald_processes(database, 1, logs, settings) as servers:
                        names = [f"Email {side}: first", f"Email {side} {number}"]
                        lead_written: list[float] | None = [] if side == "on" else None
                        answered, published, _ = await _create_leads(
                            plan, servers[0], connection, names, lead_written
                        )
                    if lead_written:
                        written.append(lead_written[-1])
                    taken[side]["answered"].append(answered[-1])
                    taken[side]["published"].append(published[-1])
        # Every recipient with an address of a lead made with email on has an email waiting:
        # scheduled, and none sent (a sent email's row is deleted); and none of a lead made
        # with email off has one. The users whose token the benchmark used have no address: a
        # user's address is their latest token's.
        due_emails = await connection.fetchval("SELECT count(*) FROM due_emails")
        addressed = await connection.fetchval(
            "SELECT count(*) FROM notification_recipients r"
            ' JOIN notifications n ON n.id = r."notificationId"'
            ' JOIN leads l ON l.id = n."relatedLeadId"'
            ' JOIN users u ON u.id = r."userId"'
            " WHERE l.name LIKE 'Email on%' AND u.email IS NOT NULL"
        )
        recipients = await connection.fetchval(
            "SELECT count(*) FROM notification_recipients r"
            ' JOIN notifications n ON n.id = r."notificationId"'
            ' JOIN leads l ON l.id = n."relatedLeadId"'
            " WHERE l.name = 'Email on 0'"
        )
    finally:
        await connection.close()
    return {
        "recipients": recipients,
        **taken["on"],
        "written": written,
        "off": {"recipients": recipients, **taken["off"]},
        "due_emails": due_emails,
        "addressed_recipients": addressed,
    }


async def _emails_written(connection: asyncpg.Connection) -> None:
    """Until no notification is left scheduled: its recipients' due emails written (polled
    every 2 ms, a minute at most)."""
    async with asyncio.timeout(60):
        while await connection.fetchval("SELECT count(*) FROM scheduled_emails"):  # noqa: ASYNC110 - the database is polled
            await asyncio.sleep(0.002)


async def _published(connection: asyncpg.Connection) -> None:
    """Until every event committed so far is published (ten minutes at most)."""
    assigned = await connection.fetchval(
        "SELECT position FROM outbox_state WHERE name = 'assigned'"
    )
    published = "SELECT position FROM outbox_state WHERE name = 'published'"
    async with asyncio.timeout(600):
        while await connection.fetchval(published) < assigned:  # noqa: ASYNC110 - the database is polled
            await asyncio.sleep(0.002)


# Sockets --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SocketRun:
    client: Client
    processes: int
    # The leads created through the first process and every socket on the others (the API apart
    # from the sockets, as deploy/nginx.conf routes them); otherwise the client processes take
    # the serve processes (which share Redis) in turn, and the leads go through the first.
    by_role: bool = False

    @property
    def name(self) -> str:
        label = "python-socketio" if self.client == "python" else "socket.io-client (Node)"
        processes = f"{self.processes} process{'es' * (self.processes > 1)}"
        return f"{label}, {processes}{' by role' * self.by_role}"


SOCKET_RUNS = (
    SocketRun("python", 1),
    SocketRun("node", 1),
    SocketRun("node", 2),
    SocketRun("node", 2, by_role=True),
)


async def seeded(scale: Scale, created: list[Database], what: str) -> tuple[Database, float]:
    """A fresh database (in `created`, to be dropped), migrated and seeded; the seconds the seed
    took."""
    database = await create_database()
    created.append(database)
    say(f"{what}: database {database.name}, {scale.total:,} inbox rows")
    migrate(database, base_env())
    return database, await seed(database, scale)


async def sockets(
    plan: Plan, created: list[Database], logs: Path, profiles: Path | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Many connected users while one creates leads at a fixed rate, once per socket run and
    round; and after each run on one process, its clients and leads against the reference
    server. The runs take turns round by round, so that each sees the machine's hour; each
    figure is the median of its rounds (`middle_of_rounds`).

    Each run on a fresh database of the small scale (the one before would leave it thousands
    of entries its clients never confirmed, which the next run's first confirmations would
    mark): the connected users are (nearly) all the registered users, so each lead is told to
    about as many users as there are sockets. Every run has servers of its own.
    """
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    references: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for number in range(plan.socket_rounds):
        for spec in SOCKET_RUNS:
            which = f", round {number + 1} of {plan.socket_rounds}" * (plan.socket_rounds > 1)
            say(f"  sockets: {spec.name}{which}")
            database, _ = await seeded(plan.small, created, spec.name)
            async with herald_processes(database, spec.processes, logs) as servers:
                profile = None
                if profiles and not spec.by_role and number == 0:
                    profile = profiles / f"sockets-{spec.client}-{spec.processes}.txt"
                runs[spec.name].append(
                    await socket_run(plan, servers, spec, database, plan.small.actor, profile)
                )
            if spec.processes == 1:  # right after, so that both share the machine's hour
                say(f"  sockets against the reference server: {spec.name}{which}")
                try:
                    async with reference_server(logs) as server:
                        references[spec.name].append(await reference_run(plan, server, spec.client))
                except Exception as error:  # a reference that failed loses Herald's runs nothing
                    say(f"    the reference run failed: {error!r}")
                    references[spec.name].append({"error": repr(error)})
    return (
        {name: middle_of_rounds(rounds) for name, rounds in runs.items()},
        {name: _reference_rounds(rounds) for name, rounds in references.items()},
    )


# A socket run's counts, whose figure over its rounds is their total: a notification missing in
# any round is missing.
SOCKET_TOTALS = frozenset(
    ("leads", "lead_errors", "expected", "received", "lost", "failed", "reconnects", "confirmed")
)
# Figures that go together, each the middle round's: the burst's CPU by process group over its
# window, and the servers' memory before and after connecting.
SOCKET_MIDDLE = frozenset(
    (
        "cpu_seconds",
        "postgres_cpu_seconds",
        "clients_cpu_seconds",
        "cpu_window_seconds",
        "rss_before_kib",
        "rss_after_kib",
    )
)


def middle_of_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """A socket run's figures over its rounds: each number the median of the rounds' (the
    counts, `SOCKET_TOTALS`, their total; `max_ms` the largest); the figures that go together
    (`SOCKET_MIDDLE`) and what is not a number (the histograms of the burst) the middle
    round's, the one whose delivery p99 is the median; the profile the round's that made one;
    each round's own figures in `rounds`. A round that delivered nothing has no latency (NaN):
    it counts as the slowest."""
    middle = sorted(rounds, key=lambda run: _slowest_if_none(run["p99_ms"]))[len(rounds) // 2]
    figures = dict(middle)
    for key, value in middle.items():
        if key in SOCKET_MIDDLE or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        values = [_slowest_if_none(run[key]) for run in rounds]
        if key in SOCKET_TOTALS:
            figures[key] = sum(values)
        else:
            merged = max(values) if key == "max_ms" else statistics.median(values)
            figures[key] = math.nan if math.isinf(merged) else merged
    if "profile" in middle:
        figures["profile"] = next((run["profile"] for run in rounds if run["profile"]), None)
    figures["rounds"] = rounds
    return figures


def _slowest_if_none(value: float) -> float:
    return math.inf if math.isnan(value) else value


def _reference_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The reference runs' figures over the rounds that gave some; the first error where none
    did."""
    measured = [run for run in rounds if "error" not in run]
    if not measured:
        return rounds[0]
    return {**middle_of_rounds(measured), "failed_rounds": len(rounds) - len(measured)}


def _leads_http() -> httpx.AsyncClient:
    """The actor's HTTP client in a socket run: the leads are sent open loop, each on a
    connection of its own while the ones before wait for their answers."""
    return httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=200))


async def socket_run(
    plan: Plan,
    servers: list[Server],
    spec: SocketRun,
    database: Database,
    actor_id: str,
    profile: Path | None,
) -> dict[str, Any]:
    client = spec.client
    holding = servers[1:] if spec.by_role else servers  # the processes the sockets go to
    fleet = Fleet(
        [server.url for server in holding], SECRET, plan.sockets, plan.per_process, client
    )
    # The actor's own socket, when it is one of the fleet's, is never told of its leads.
    actor_listens = actor_id in {user_id(number) for number in range(plan.sockets)}
    connection = await asyncpg.connect(database.dsn)
    try:
        await asyncio.sleep(2)
        rss_before = sum(server.rss_kib() for server in servers)
        connected, failed = await fleet.connect()
        await asyncio.sleep(5)  # idle
        rss_after = sum(server.rss_kib() for server in servers)
        say(f"    {connected} sockets connected ({failed} failed); leads at {plan.lead_rate}/s")
        trace = CpuTrace(
            {
                "server": lambda: [server.pid for server in servers],
                "postgres": postgres_pids,
                "clients": fleet.pids,
            }
        )
        async with _leads_http() as http:
            actor = GraphQL(http, servers[0].url, token(actor_id))
            listeners = connected - actor_listens
            warm_up_leads = await _warm_up(
                actor, plan, fleet, client, listeners, connection, http, servers
            )
            # What the python-socketio clients count includes the warm-up's.
            received_before = await fleet.received_count() if client == "python" else 0
            async with trace:
                histograms_before = await _histograms(http, servers)
                sent, answered, errors = await _lead_burst(actor, plan, "Live")
                expected = len(sent) * listeners
                await _sent_out(connection, http, servers)
                histograms_after = await _histograms(http, servers)
                grown = {
                    key: _grown(histograms_before[key], histograms_after[key]) for key in HISTOGRAMS
                }
                confirmed = await _confirmed(
                    connection, list(sent), expected if client == "node" else 0
                )
                if client == "python":
                    await _all_received(fleet, received_before + expected)
                measured_until = time.monotonic()
                if profile is not None:
                    async with profiled(profile, servers[0].pid, plan.lead_seconds):
                        await _lead_burst(actor, plan, "Profiled live")
                    await _published(connection)
        received = await fleet.stop()
    finally:
        fleet.kill()
        await connection.close()
    burst = Burst(sent, answered, errors, expected)
    figures, cpu = _delivery(plan, burst, received, trace, measured_until)
    return {
        "client": client,
        "processes": len(servers),
        "by_role": spec.by_role,
        "sockets": plan.sockets,
        "connected": connected,
        "failed": failed,
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "kib_per_socket": (rss_after - rss_before) / max(connected, 1),
        "warm_up_leads": warm_up_leads,
        **figures,
        "reconnects": fleet.reconnects,
        "confirmed": confirmed,
        "postgres_cpu_seconds": cpu["postgres"],
        "cpu_us_per_delivery_with_postgres": (
            (cpu["server"] + cpu["postgres"]) / max(figures["received"], 1) * 1e6
        ),
        "turn_holds": grown["turn"],
        "loop_lag": grown["lag"],
        "full_collections": grown["full_collections"],
        "profile": profile and str(profile),
    }


@dataclass(frozen=True)
class Burst:
    sent: dict[str, float]  # lead id → when its createLead was sent
    answered: list[float]  # each createLead's seconds
    errors: int
    expected: int  # notification:created, one per listening socket per lead


def _delivery(
    plan: Plan,
    burst: Burst,
    received: list[tuple[str, float]],
    trace: CpuTrace,
    measured_until: float,
) -> tuple[dict[str, Any], dict[str, float]]:
    """A burst's figures, from what the clients received and the CPU traced until
    `measured_until` (every frame written, or received); and each traced group's CPU in the
    burst's window."""
    sent = burst.sent
    latencies = [at - sent[lead] for lead, at in received if lead in sent]
    first_sent = min(sent.values(), default=0.0)
    last_received = max((at for lead, at in received if lead in sent), default=first_sent)
    # The burst's CPU: from its first lead to 2 s after its last delivery (the frames it caused
    # sent, the clients' confirmations applied), never past the measured part, which lasts
    # until the servers have written every frame (clients may still be reading after it).
    window_end = min(last_received + 2, measured_until)
    cpu = trace.spent(first_sent, window_end)
    figures = {
        "leads": len(sent),
        "lead_errors": burst.errors,
        "lead_rate": plan.lead_rate,
        "mutation_p50_ms": percentile(burst.answered, 50) * 1e3,
        "mutation_p99_ms": percentile(burst.answered, 99) * 1e3,
        "expected": burst.expected,
        "received": len(latencies),
        "lost": burst.expected - len(latencies),
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
        "max_ms": max(latencies, default=float("nan")) * 1e3,
        "delivered_per_second": len(latencies) / max(last_received - first_sent, 1e-9),
        "cpu_seconds": cpu["server"],
        "cpu_us_per_delivery": cpu["server"] / len(latencies) * 1e6 if latencies else math.nan,
        "cpu_window_seconds": window_end - first_sent,
        "clients_cpu_seconds": cpu["clients"],
    }
    return figures, cpu


async def reference_run(plan: Plan, server: Server, client: Client) -> dict[str, Any]:
    """The clients and leads of a socket run on one process, against the reference server
    (bench/js/reference.mjs), which sends Herald's frames for each lead and stores nothing:
    what delivery costs on this machine with those clients before any database."""
    fleet = Fleet([server.url], SECRET, plan.sockets, plan.per_process, client)
    actor_listens = plan.small.actor in {user_id(number) for number in range(plan.sockets)}
    try:
        connected, failed = await fleet.connect()
        listeners = connected - actor_listens
        await asyncio.sleep(5)  # idle, as in Herald's runs
        trace = CpuTrace({"server": lambda: [server.pid], "clients": fleet.pids})
        async with _leads_http() as http:
            actor = GraphQL(http, server.url, token(plan.small.actor))
            # The warm-up, as in Herald's runs: V8 compiles both sides' code as it first runs.
            # It ends as theirs do, at least 2 s after its frames: its last counts and the
            # clients' confirmations (a second or two after their last frame) fall before the
            # burst.
            warm_up = replace(plan, lead_seconds=plan.warmup)
            warm_up_leads = len((await _lead_burst(actor, warm_up, "Warm-up"))[0])
            await _all_received(fleet, warm_up_leads * listeners)
            await asyncio.sleep(2.5)
            async with trace:
                sent, answered, errors = await _lead_burst(actor, plan, "Live")
                expected = len(sent) * listeners
                await _all_received(fleet, (warm_up_leads + len(sent)) * listeners)
                await asyncio.sleep(2)  # as `_sent_out`: the CPU window ends 2 s after
                measured_until = time.monotonic()
        received = await fleet.stop()
    finally:
        fleet.kill()
    burst = Burst(sent, answered, errors, expected)
    figures, _ = _delivery(plan, burst, received, trace, measured_until)
    return {
        "client": client,
        "connected": connected,
        "failed": failed,
        **figures,
        "reconnects": fleet.reconnects,
    }


async def _warm_up(
    actor: GraphQL,
    plan: Plan,
    fleet: Fleet,
    client: Client,
    listeners: int,
    connection: asyncpg.Connection,
    http: httpx.AsyncClient,
    servers: list[Server],
) -> int:
    """Leads at the burst's rate for `plan.warmup` seconds (the reads' warm-up), not measured,
    until every frame is written and, as after the measured burst, confirmed (Node's clients)
    or received (python-socketio's); how many leads were made. The clients share the server's
    cores, and Node's used nearly twice the CPU in their first second of frames (V8 compiles
    the client's code as it runs) as in the seconds after, which a browser spends on a core of
    its own (bench/findings.md)."""
    sent, _, _ = await _lead_burst(actor, replace(plan, lead_seconds=plan.warmup), "Warm-up")
    await _sent_out(connection, http, servers)
    expected = len(sent) * listeners
    if client == "node":
        await _confirmed(connection, list(sent), expected)
    else:
        await _all_received(fleet, expected)
    return len(sent)


# The servers' histograms that a burst is read by: (family, the labels of the series wanted).
HISTOGRAMS = {
    "turn": ("herald_outbox_turn_held_seconds", {}),
    "lag": ("herald_event_loop_lag_seconds", {}),
    "full_collections": ("herald_gc_pause_seconds", {"generation": "2"}),
}


async def _histograms(
    http: httpx.AsyncClient, servers: list[Server]
) -> dict[str, dict[str, float]]:
    """Each of `HISTOGRAMS` over the servers, added up: each bucket's count (by its upper
    bound), `count` and `sum`."""
    totals: dict[str, dict[str, float]] = {key: defaultdict(float) for key in HISTOGRAMS}
    wanted = {family: (key, labels) for key, (family, labels) in HISTOGRAMS.items()}
    for server in servers:
        text = (await http.get(f"{server.url}/metrics")).text
        for family in text_string_to_metric_families(text):
            if family.name not in wanted:
                continue
            key, labels = wanted[family.name]
            for sample in family.samples:
                if any(sample.labels.get(name) != value for name, value in labels.items()):
                    continue
                if sample.name.endswith("_bucket"):
                    totals[key][sample.labels["le"]] += sample.value
                else:
                    totals[key][sample.name.rsplit("_", 1)[1]] += sample.value
    return {key: dict(values) for key, values in totals.items()}


def _grown(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What the burst added to a histogram: how many observations, their mean, and their
    median, 90th and 99th percentiles and largest read off the buckets (the upper bound of the
    bucket where each falls), and how many were over 25 ms."""
    grown = {key: after.get(key, 0.0) - before.get(key, 0.0) for key in after}
    count = grown.get("count", 0.0)
    bounds = sorted((float(key), value) for key, value in grown.items() if key[0].isdigit())

    def percentile_bound(share: float) -> float:
        """`inf` past the last bound; `nan` where nothing was observed."""
        if not count:
            return math.nan
        return next((bound for bound, seen in bounds if seen >= share * count), math.inf)

    return {
        "count": count,
        "mean_ms": grown.get("sum", 0.0) / count * 1e3 if count else math.nan,
        "sum_ms": grown.get("sum", 0.0) * 1e3,
        "p50_ms_at_most": percentile_bound(0.5) * 1e3,
        "p90_ms_at_most": percentile_bound(0.9) * 1e3,
        "p99_ms_at_most": percentile_bound(0.99) * 1e3,
        "max_ms_at_most": percentile_bound(1.0) * 1e3,
        "over_25_ms": count - grown.get("0.025", 0.0),
    }


async def _written(http: httpx.AsyncClient, servers: list[Server]) -> None:
    """Until no server has a frame waiting to be written (its `herald_socket_frames_waiting`),
    two minutes at most: the run lasts as long as the delivery, whoever receives it."""
    async with asyncio.timeout(120):
        while True:
            waiting = 0.0
            for server in servers:
                text = (await http.get(f"{server.url}/metrics")).text
                for family in text_string_to_metric_families(text):
                    if family.name == "herald_socket_frames_waiting":
                        waiting += sum(sample.value for sample in family.samples)
            if not waiting:
                return
            await asyncio.sleep(0.25)


async def _sent_out(
    connection: asyncpg.Connection, http: httpx.AsyncClient, servers: list[Server]
) -> None:
    """Until a burst's events are published and their frames written, and 2 s more for the last
    frames on their way."""
    await _published(connection)
    await _written(http, servers)
    await asyncio.sleep(2)


async def _confirmed(connection: asyncpg.Connection, lead_ids: list[str], expected: int) -> int:
    """The burst's entries confirmed delivered: once all `expected` are, or the count has not
    grown for 10 s (a client confirms within two seconds of a frame, the server applies it within
    another, a flush may take seconds), a minute at most."""

    async def confirmed() -> int:
        return int(await connection.fetchval(CONFIRMED, lead_ids))

    return await _settled(confirmed, expected)


async def _all_received(fleet: Fleet, expected: int) -> None:
    """Until the clients have received all `expected`, or none more for 10 s (a minute at
    most): behind a burst, they may read their frames seconds after the server wrote them, and
    stopping at once would count those still on their way as missing."""
    await _settled(fleet.received_count, expected)


async def _settled(count: Callable[[], Awaitable[int]], expected: int) -> int:
    """`count()` once it reaches `expected`, or once it has not grown for 10 s, a minute at
    most."""
    counted = await count()
    deadline = time.monotonic() + 60
    grown = time.monotonic()
    while counted < expected and time.monotonic() < min(deadline, grown + 10):
        await asyncio.sleep(1)
        now = await count()
        if now > counted:
            counted, grown = now, time.monotonic()
    return counted


async def _lead_burst(
    actor: GraphQL, plan: Plan, name: str
) -> tuple[dict[str, float], list[float], int]:
    """Leads at `lead_rate` per second, open loop: each sent on time, whatever came before."""
    sent: dict[str, float] = {}
    answered: list[float] = []
    errors = 0

    async def create(number: int) -> None:
        nonlocal errors
        started = time.monotonic()
        try:
            data = await actor.data(CREATE_LEAD, input={"name": f"{name} {number}"})
        except (RuntimeError, httpx.HTTPError):
            errors += 1
            return
        answered.append(time.monotonic() - started)
        sent[data["createLead"]["id"]] = started

    start = time.monotonic()
    tasks = []
    for number in range(round(plan.lead_rate * plan.lead_seconds)):
        await asyncio.sleep(max(0.0, start + number / plan.lead_rate - time.monotonic()))
        tasks.append(asyncio.create_task(create(number)))
    await asyncio.gather(*tasks)
    return sent, answered, errors


# The run --------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    plan = QUICK if args.quick else FULL
    profiles: Path | None = None
    if args.profile:
        if not can_profile():
            raise SystemExit("--profile needs py-spy: uv run --with py-spy python -m bench …")
        profiles = args.workdir / "profiles"
        profiles.mkdir(parents=True, exist_ok=True)
    if tool() != "wrk":  # the report says so too; said here before the run's 20 minutes
        say(
            "wrk is not installed: the reads are loaded by an asyncio httpx client, which "
            "takes more of the server's cores (Debian's package: apt-get install wrk)"
        )
    results: dict[str, Any] = {
        "command": "uv run "
        + "--with py-spy " * args.profile
        + "python -m bench"
        + " --quick" * args.quick
        + " --profile" * args.profile,
        "plan": asdict(plan),
        "source": report.source(),
        "load_tool": tool(),
        "machine": report.machine(),
        "versions": report.versions(),
    }
    created: list[Database] = []
    started = time.monotonic()
    load_average = os.getloadavg()
    try:
        databases = {}
        for key, scale in (("big", plan.big), ("small", plan.small)):
            database, results[f"{key}_seed_seconds"] = await seeded(scale, created, key)
            databases[key] = database
        results["versions"]["postgresql"] = await report.postgres_version(database.dsn)
        results["postgresql_settings"] = await report.postgres_settings(database.dsn)
        async with AsyncExitStack() as stack:
            servers = {
                key: await stack.enter_async_context(herald_and_bare(database, args.workdir))
                for key, database in databases.items()
            }
            for key, sides in (await reads(plan, servers, profiles)).items():
                results[f"{key}_reads"] = sides
            herald, big = servers["big"][0], databases["big"]
            say("  markAllAsRead")
            results["mark_all"] = await mark_all(plan, herald, big, profiles)
            say("  createLead fan-out")
            results["fan_out"] = await fan_out(plan, herald, big)
        say("  createLead fan-out, email on")
        results["fan_out_email"] = await fan_out_with_email(plan, databases["big"], args.workdir)
        if profiles is not None:
            say("  createLead fan-out, sampled")
            results["fan_out"]["profile"] = await profile_fan_out(
                plan, databases["big"], args.workdir, profiles
            )
        # The sockets run on servers and databases of their own, with the reads' servers stopped.
        results["sockets"], results["socket_reference"] = await sockets(
            plan, created, args.workdir, profiles
        )
    finally:
        for database in created:
            if args.keep:
                say(f"kept database {database.name}")
            else:
                await drop_database(database)
    results["minutes"] = (time.monotonic() - started) / 60
    results["load_average"] = {"start": load_average, "end": os.getloadavg()}
    return results


def raise_fd_limit() -> None:
    """Every socket is a file descriptor, in the server and in the clients."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65_536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k rows, 100 sockets, 2 s runs")
    parser.add_argument("--keep", action="store_true", help="keep the databases at the end")
    parser.add_argument(
        "--profile", action="store_true", help="sample the server with py-spy (extra passes)"
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path("/tmp/herald-bench"), help="results and profiles"
    )
    parser.add_argument(
        "--report",
        type=Path,
        help="the Markdown written (docs/benchmarks.md; with --quick, benchmarks-quick.md in "
        "the workdir, so that a smoke test never replaces the real figures)",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from the last results"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    saved = args.workdir / ("results-quick.json" if args.quick else "results.json")
    if args.report_only:
        results = json.loads(saved.read_text())
    else:
        raise_fd_limit()
        results = asyncio.run(run(args))
        saved.write_text(json.dumps(results, indent=2))
        say(f"raw figures in {saved}")
    if args.report is None:
        quick = args.workdir / "benchmarks-quick.md"
        args.report = quick if args.quick else Path(__file__).parent.parent / "docs/benchmarks.md"
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report.markdown(results))
    say(f"wrote {args.report}")
