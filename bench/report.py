"""docs/benchmarks.md from the figures: the machine, the tables, the ratios, the targets."""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
from collections import Counter
from collections.abc import Callable
from importlib import metadata
from itertools import zip_longest
from pathlib import Path
from typing import Any

import asyncpg

PACKAGES = (
    "litestar",
    "strawberry-graphql",
    "graphql-core",
    "sqlalchemy",
    "asyncpg",
    "python-socketio",
    "python-engineio",
    "uvicorn",
    "uvloop",
    "httptools",
    "websockets",
    "aiohttp",
    "httpx",
)
HERALD_PACKAGES = ("domain", "application", "adapters", "entrypoints")
FINDINGS = Path(__file__).with_name("findings.md")

# Targets
GROWTH = 1.5  # latency at 1M / latency at 10k, at most
# Server CPU per request (ms) at most, and GraphQL throughput / bare throughput at least, of
# each read at 1M rows; the ratio, measured in the same run, is what the verdict rests on.
READ_TARGETS = {
    "getUnreadCount": (0.6, 1 / 2),
    "getNotifications(limit: 50)": (2.0, 1 / 3),
    "notificationFeed(first: 20), page 1": (1.5, 1 / 3),
    "notificationFeed(first: 20), page 100": (1.5, 1 / 3),
    "inboxCounts": (0.7, 1 / 2),
    "notificationGroups(first: 20)": (2.0, 1 / 3),
}
TAIL = 4.0  # p99 / p50 at most, at each concurrency
MARK_ALL_MS = 50
FAN_OUT_MS = 200
SOCKET_P99_MS = 100  # delivery of notification:created, at most
MUTATION_P99_MS = 100  # createLead during the burst, at most
CPU_US_PER_DELIVERY = 40  # server CPU per notification:created delivered, at most
KIB_PER_SOCKET = 16


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor(),
    )
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(total_kib / 2**20, 1),
        "cpu": model,
        "kernel": platform.release(),
    }


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    try:
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        found["wrk"] = (wrk.stdout or wrk.stderr).split()[1]
    except (OSError, IndexError):
        found["wrk"] = "not installed"
    return found


def source() -> str:
    """The commit measured: `git` where the code is a clone, else BENCH_SOURCE."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "src", "migrations"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("BENCH_SOURCE", "unknown")
    return commit + (" with uncommitted changes in src/ or migrations/" if changed else "")


async def postgres_version(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


# The server's settings that shape the figures: whether anything vacuums or analyzes the tables
# while a run writes to them, what a commit waits for, and how much of the data stays in memory.
POSTGRES_SETTINGS = (
    "autovacuum",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "shared_buffers",
    "work_mem",
    "max_wal_size",
    "checkpoint_timeout",
    "jit",
    "max_connections",
)


async def postgres_settings(dsn: str) -> dict[str, dict[str, Any]]:
    """Each of `POSTGRES_SETTINGS` as the server has it (with its unit), and whether that is
    PostgreSQL's compiled-in default (`boot_val`: initdb, a distribution or an operator may
    have set another)."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT name, current_setting(name) AS shown, setting = boot_val AS is_default "
            "FROM pg_settings WHERE name = any($1::text[]) ORDER BY name",
            list(POSTGRES_SETTINGS),
        )
    finally:
        await connection.close()
    return {row["name"]: {"value": row["shown"], "default": row["is_default"]} for row in rows}


def hot_spots(path: str | None, top: int = 8) -> dict[str, Any] | None:
    """py-spy's collapsed stacks: where the process was busy, by package and by function."""
    if not path or not Path(path).exists():
        return None
    samples = 0
    packages: Counter[str] = Counter()  # of the frame the sample was taken in (self)
    leaves: Counter[str] = Counter()
    ours: Counter[str] = Counter()  # Herald's frames anywhere on the stack (inclusive)
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [_frame(frame) for frame in stack.split(";")]
        samples += int(count)
        file, name = frames[-1]
        packages[_package(file)] += int(count)
        leaves[f"{name} ({file})"] += int(count)
        for frame in {f"{name} ({file})" for file, name in frames if _is_ours(file)}:
            ours[frame] += int(count)
    if not samples:
        return None

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        """The `top` busiest, ties by name: the same report from the same samples."""
        busiest = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:top]
        return [(key, 100 * value / samples) for key, value in busiest]

    return {
        "samples": samples,
        "packages": share(packages),
        "leaves": share(leaves),
        "herald": share(ours),
    }


def _package(file: str) -> str:
    package = file.split("/")[0].removesuffix(".py") or "?"
    return "herald" if package in HERALD_PACKAGES else package


def _frame(frame: str) -> tuple[str, str]:
    name, _, where = frame.rpartition(" (")
    return where.rstrip(")").rsplit(":", 1)[0], name


def _is_ours(file: str) -> bool:
    # The process's root frames (`herald serve` itself) are on every stack: they say nothing.
    return file.split("/")[0] in HERALD_PACKAGES and file != "entrypoints/cli.py"


# The document ---------------------------------------------------------------------------------


def markdown(results: dict[str, Any]) -> str:
    plan = results["plan"]
    big, small = plan["big"], plan["small"]
    lines = [
        "# Benchmarks",
        "",
        "What Herald does on one small machine: reads of a large inbox over GraphQL against the",
        "same SQL without GraphQL, the heavy mutations, and Socket.IO delivery to many users.",
        "The figures below come from one run of the command; `bench/` holds the code.",
        "",
        "```sh",
        results["command"],
        "```",
        "",
        f"Code measured: {results.get('source', 'unknown')}. "
        f"The run took {results['minutes']:.0f} minutes.",
        "",
        "## Targets",
        "",
        "| target | figure | verdict |",
        "| --- | --- | --- |",
        *_targets(results),
        "",
        *_machine(results),
        *_method(results),
        *_reads(results, big, small),
        *_mutations(results),
        *_sockets(results),
        *_reference(results),
        *_profiles(results),
    ]
    if FINDINGS.exists():
        lines += ["", FINDINGS.read_text().strip()]
    return "\n".join(lines) + "\n"


def _targets(results: dict[str, Any]) -> list[str]:
    rows = []
    big, small = results["big_reads"], results["small_reads"]
    at_big, at_small = (
        short(results["plan"]["big"]["rows"]),
        short(results["plan"]["small"]["rows"]),
    )
    for name in big:
        ratio = big[name]["graphql"]["p50_ms"] / small[name]["graphql"]["p50_ms"]
        rows.append(
            _target(
                f"{name}: p50 at {at_big} within {GROWTH}× of {at_small}",
                f"{ratio:.2f}×",
                ratio <= GROWTH,
                f"{ratio / GROWTH:.2f}× over the bound",
            )
        )
    for name, (cpu_ms, share) in READ_TARGETS.items():
        if name in big:
            rows += _read_targets(name, big[name], cpu_ms, share, results["plan"]["concurrency"])
    mark = statistics.median(results["mark_all"]["seconds"]) * 1e3
    rows.append(
        _target(
            f"markAllAsRead of {results['mark_all']['unread']:,} ≤ {MARK_ALL_MS} ms (median)",
            f"{mark:.0f} ms",
            mark <= MARK_ALL_MS,
            f"{mark - MARK_ALL_MS:.0f} ms over ({mark / MARK_ALL_MS:.1f}×)",
        )
    )
    for fan, email in _fan_outs(results):
        for label, key in (("answered", "answered"), ("published by the relay", "published")):
            value = statistics.median(fan[key]) * 1e3
            rows.append(
                _target(
                    f"createLead to {fan['recipients']:,} users{email}, {label} "
                    f"≤ {FAN_OUT_MS} ms (median)",
                    f"{value:.0f} ms",
                    value <= FAN_OUT_MS,
                    f"{value - FAN_OUT_MS:.0f} ms over ({value / FAN_OUT_MS:.1f}×)",
                )
            )
    references = _measured_references(results)
    for name, live in results["sockets"].items():
        if live["processes"] == 1:
            rows += _socket_targets(name, live, references.get(name))
    return rows


def _measured_references(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The reference runs that gave figures (none before the reference runs)."""
    references = results.get("socket_reference", {})
    return {name: run for name, run in references.items() if "error" not in run}


def _fan_outs(
    results: dict[str, Any], taken_in_turn: bool = False
) -> list[tuple[dict[str, Any], str]]:
    """Each fan-out measured, with what to say of its email: off, then on (an earlier run's
    results hold the first alone); with `taken_in_turn`, the one with email off that took
    turns with the one with it on, where a run has it, between them."""
    fans = [(results["fan_out"], "")]
    email = results.get("fan_out_email")
    if email is not None:
        if taken_in_turn and "off" in email:
            fans.append((email["off"], " with email off (in turn with the next)"))
        fans.append((email, " with email on"))
    return fans


def _socket_targets(name: str, live: dict[str, Any], reference: dict[str, Any] | None) -> list[str]:
    who = f"{live['connected']:,} sockets ({name}) at {live['lead_rate']} leads/s"
    failed = live["lead_errors"]

    def beside(key: str, unit: str, digits: int = 0) -> str:
        """The reference server's figure with the same clients, where the run has one."""
        if reference is None:
            return ""
        return f" (reference server, same clients: {reference[key]:,.{digits}f} {unit})"

    return [
        _target(
            f"{who}: every notification:created received",
            f"{live['lost']:,} missing of {live['expected']:,}"
            + (f"; but {failed} createLead failed (see below)" if failed else ""),
            live["lost"] == 0 and not failed,
            f"{live['lost'] / max(live['expected'], 1):.1%} missing",
        ),
        _target(
            f"{who}: delivery p99 ≤ {SOCKET_P99_MS} ms",
            f"{live['p99_ms']:,.0f} ms" + beside("p99_ms", "ms"),
            live["p99_ms"] <= SOCKET_P99_MS,
            f"{live['p99_ms'] / SOCKET_P99_MS:,.1f}× the bound",
        ),
        _target(
            f"{who}: createLead p99 ≤ {MUTATION_P99_MS} ms during the burst",
            f"{live['mutation_p99_ms']:,.0f} ms" + beside("mutation_p99_ms", "ms"),
            live["mutation_p99_ms"] <= MUTATION_P99_MS,
            f"{live['mutation_p99_ms'] / MUTATION_P99_MS:,.1f}× the bound",
        ),
        _target(
            f"{who}: server CPU ≤ {CPU_US_PER_DELIVERY} µs per delivered notification:created",
            f"{live['cpu_us_per_delivery']:,.1f} µs" + beside("cpu_us_per_delivery", "µs", 1),
            live["cpu_us_per_delivery"] <= CPU_US_PER_DELIVERY,
            f"{live['cpu_us_per_delivery'] / CPU_US_PER_DELIVERY:,.1f}× the bound",
        ),
        _target(
            f"idle memory ≤ {KIB_PER_SOCKET} KiB per socket ({name})",
            f"{live['kib_per_socket']:.1f} KiB",
            live["kib_per_socket"] <= KIB_PER_SOCKET,
            f"{live['kib_per_socket'] - KIB_PER_SOCKET:.1f} KiB over",
        ),
    ]


def _read_targets(
    name: str, figures: dict[str, Any], cpu_ms: float, share: float, clients: int
) -> list[str]:
    graphql, bare = figures["graphql"], figures["bare"]
    measured = graphql["rps"] / bare["rps"]
    rows = [
        _target(
            f"{name}: CPU ≤ {cpu_ms} ms per request",
            f"{graphql['cpu_ms']:.2f} ms (bare route {bare['cpu_ms']:.2f})",
            graphql["cpu_ms"] <= cpu_ms,
            f"{graphql['cpu_ms'] - cpu_ms:.2f} ms over ({graphql['cpu_ms'] / cpu_ms:.1f}×)",
        ),
        _target(
            f"{name}: GraphQL ≥ {share:.0%} of the bare route's requests/s",
            f"{measured:.0%}",
            measured >= share,
            f"{(share - measured) * 100:.0f} points short",
        ),
    ]
    crowded = figures.get("graphql_crowded")
    for stats, count in ((graphql, clients), (crowded, 2 * clients)):
        if stats is None:
            continue
        tail = stats["p99_ms"] / stats["p50_ms"]
        rows.append(
            _target(
                f"{name}: p99 ≤ {TAIL:.0f}× p50 at {count} clients",
                f"{tail:.1f}× ({stats['p50_ms']:.1f} / {stats['p99_ms']:.1f} ms)",
                tail <= TAIL,
                f"{tail / TAIL:.1f}× the bound",
            )
        )
    return rows


def _target(what: str, figure: str, met: bool, miss: str) -> str:
    return f"| {what} | {figure} | {'met' if met else f'**missed**: {miss}'} |"


def _machine(results: dict[str, Any]) -> list[str]:
    box, found = results["machine"], results["versions"]
    return [
        "## Machine and versions",
        "",
        f"- {box['nproc']} CPUs ({box['cpu']}), {box['memory_gib']} GiB of memory, "
        f"Linux {box['kernel']}; PostgreSQL, the server under test and the load generators "
        "all share these CPUs, over loopback. Load average at the start and the end of the "
        f"run: {_load(results, 'start')} and {_load(results, 'end')} (anything else running "
        "on the machine shows there, and slows every figure).",
        f"- PostgreSQL {found.get('postgresql', '?')}, {_postgres_settings(results)}",
        f"- Python {found['python']}; "
        + ", ".join(f"{name} {found[name]}" for name in [*PACKAGES, "wrk"] if name in found)
        + ".",
        "",
    ]


def _postgres_settings(results: dict[str, Any]) -> str:
    settings = results.get("postgresql_settings")
    if not settings:
        return "its settings not recorded (runs before 2026-12-04)."
    changed = [name for name, setting in settings.items() if not setting["default"]]
    shown = ", ".join(f"`{name}` {setting['value']}" for name, setting in settings.items())
    if not changed:
        return f"with PostgreSQL's compiled-in defaults: {shown}."
    text = (
        f"as the machine's server is set: {shown}; not PostgreSQL's compiled-in default: "
        + ", ".join(f"`{name}`" for name in changed)
        + "."
    )
    if settings.get("autovacuum", {}).get("value") == "off":
        plan = results["plan"]
        seeded = plan["small"]["rows"] + plan["small"]["heavy_rows"]
        burst = plan["sockets"] * plan["lead_rate"] * (plan["warmup"] + plan["lead_seconds"])
        text += (
            " With autovacuum off, a table is vacuumed and analyzed only where the benchmark "
            "does it: after each seed, and after each markAllAsRead it undoes. A socket run's "
            f"inbox, seeded with {seeded:,} entries, gets about {burst:,.0f} more in its "
            "warm-up and burst (one per lead and socket), planned with the seed's statistics; "
            "in production, autovacuum's workers would share the cores during such a burst."
        )
    return text


def _load(results: dict[str, Any], when: str) -> str:
    figures = results.get("load_average", {}).get(when)
    return "?" if not figures else " / ".join(f"{value:.2f}" for value in figures)


def _warm_up(results: dict[str, Any]) -> str:
    """The sockets' warm-up, where the run had one (none before d137df7)."""
    if not any(run.get("warm_up_leads") for run in results["sockets"].values()):
        return ""
    return (
        f"{results['plan']['warmup']:.0f} s of leads at the same rate, not measured, until "
        "every frame is written and confirmed (Node's clients) or received (python-socketio's): "
        "the clients share the server's cores, and Node's spend nearly twice as much in their "
        "first second of frames as later; then "
    )


def _method(results: dict[str, Any]) -> list[str]:
    plan = results["plan"]
    big, small = plan["big"], plan["small"]
    generator = (
        "`wrk` (one thread)"
        if results["load_tool"] == "wrk"
        else "an asyncio httpx client (`wrk` was not installed)"
    )
    return [
        "## How it is measured",
        "",
        f"- Data: a fresh database made by the run and migrated by `herald migrate`; "
        f"{big['rows']:,} inbox rows over {big['users']:,} users ({big['rows'] // big['users']} "
        f"each, one in ten unread) plus the heavy user with {big['heavy_rows']:,} notifications "
        f"of which {big['heavy_unread']:,} unread: {big['rows'] + big['heavy_rows']:,} rows "
        "(one notification per row), seeded by `generate_series`, VACUUM ANALYZEd and "
        "checkpointed. The "
        f"small database has {small['rows']:,} rows over {small['users']:,} users plus a heavy "
        f"user with {small['heavy_rows']:,} ({small['heavy_unread']:,} unread), the fewest that "
        "still have a 100th page of 20.",
        "- Servers: `herald serve` (HERALD_ENV=production, LOG_LEVEL=WARNING, the mutation "
        "rate limit raised out of the way) and `bench/bare.py`, a Litestar app that runs "
        "the SQL that Herald's SQLAlchemy statements compile to, through an asyncpg pool of "
        "the same size, with the same JWT check and feed cursors. Both are one uvicorn "
        "process on the same database; the run checks that both give the same data.",
        f"- Reads: {generator}, {plan['concurrency']} connections kept busy (closed loop) for "
        f"{plan['seconds']:.0f} s after a {plan['warmup']:.0f} s warm-up, per operation and "
        f"server, all as the heavy user, in {plan.get('rounds', 1)} rounds that take turns "
        "with the other database and server (each figure is the median of the rounds, so "
        "that both databases see the same conditions); then once more on Herald at 1M rows "
        f"with {2 * plan['concurrency']} connections, for the latency's tail under a crowd. "
        "Latency is one request's, at that concurrency; "
        "'CPU ms/req' is the server process's user + system time (from /proc) divided by "
        "the requests it answered, which other work on the machine does not inflate.",
        f"- markAllAsRead: the heavy user's unread entries marked read {plan['repeats']} times, "
        "restored (and vacuumed) between runs; the time is the mutation's, seen by the client. "
        "The answer is a mark; the serve process then writes its entries in the background: "
        "'written' is the time from the answer until it has (polled every 2 ms), before the "
        "entries are restored.",
        f"- createLead: {plan['repeats']} leads one after another; 'answered' is the mutation's "
        "latency, 'published' the time until the outbox's published position reaches the "
        "lead's events (polled every 2 ms)"
        + (
            (
                "; then, after those, as many again with email on (`SMTP_URL` set, every seeded "
                "user with an address but the heavy user, whose token, which the reads use, "
                "carries none), taken in turn with as many with email off: each lead on a "
                "`herald serve` started for it, after the process's first lead, not measured. "
                + (
                    "With email on, each lead also schedules its emails (one row), and the "
                    "process's email scheduler, a round a second, then writes each recipient's "
                    "due email (looking their addresses up): 'written' is the time from "
                    "sending the mutation until it has (polled every 2 ms). "
                    if "written" in results["fan_out_email"]
                    else "With email on, each lead also looks its recipients' addresses up and "
                    "schedules their emails. "
                )
                + "They fall due after `EMAIL_DELAY_SECONDS` (600 s), so none is sent while "
                "it is measured."
                if "off" in results["fan_out_email"]
                else "; then as many again, after those and on a `herald serve` started for "
                "them, with email on (`SMTP_URL` set): each lead also looks its recipients' "
                "addresses up and schedules their emails, none sent while it is measured. The "
                "two are not taken in turn: their difference holds more than the email's."
            )
            if "fan_out_email" in results
            else "."
        ),
        f"- Sockets: {plan['sockets']:,} clients (websocket transport), "
        f"{plan['per_process']} per client process, each a different registered user; then "
        f"{_warm_up(results)}"
        f"one user creates leads at {plan['lead_rate']}/s for {plan['lead_seconds']:.0f} s "
        "(open loop: each sent on time whatever the previous did). "
        f"{_runs_counted(results)}, each with "
        "servers and a fresh database of the small scale of its own: python-socketio "
        "clients (on uvloop, decoding with the standard library's `json`) on one "
        "`herald serve`; the official "
        "JavaScript client (`socket.io-client` 4 on Node, which offers permessage-deflate as "
        "a browser does, and confirms what it received as the inbox page does: "
        "`notifications:delivered` with the largest `eventId`, a second after the socket's "
        "last and a random part of another second later) on one; the same on two "
        "`herald serve` processes sharing a Redis, the "
        "client processes split between them and the leads created through the first"
        f"{_by_role(results)}. "
        f"{_rounds(results)}"
        "Every client that the server drops (a pong too late behind a backlog) connects "
        "again, as the inbox page does, with the last `eventId` it received (of any event): "
        "the server "
        "replays what came after it, and a replayed event counts as received when it arrives. "
        "How long each write held the outbox's turn, how late the event loop woke a timer "
        "set 10 ms after each wake-up and how long the full collections of the garbage "
        "collector took are what the burst added to the servers' "
        "`herald_outbox_turn_held_seconds`, "
        '`herald_event_loop_lag_seconds` and `herald_gc_pause_seconds{generation="2"}`. '
        "A run lasts until no server has a frame waiting to be written (its "
        "`herald_socket_frames_waiting`), 2 s more, and with Node's clients until every "
        "delivery is confirmed or none more was for 10 s (with python-socketio's, until every "
        "one is received or none more was for 10 s). "
        "Latency runs from sending the mutation to the `notification:created` frame handled "
        "by the client; memory is the serve processes' VmRSS before connecting and 5 s after "
        "the last socket connected, idle; 'CPU per delivery' is the serve processes' user + "
        "system time from the first lead to 2 s after the last `notification:created` arrived "
        "(the mutations, their database work, the relay, every frame sent and every "
        "confirmation applied), divided by the `notification:created` received; sampled "
        "every 0.25 s, as are PostgreSQL's processes and the clients' over the same window "
        "(the machine's other users of its two cores).",
        "",
    ]


def _stats(figures: dict[str, float]) -> str:
    return (
        f"{figures['rps']:,.0f} | {figures['p50_ms']:.1f} | {figures['p99_ms']:.1f} "
        f"| {figures.get('cpu_ms', float('nan')):.2f}"
    )


def short(rows: int) -> str:
    """1,000,000 → 1M, 10,000 → 10k: how the targets name the databases."""
    if rows >= 1_000_000:
        return f"{rows / 1_000_000:g}M"
    return f"{rows / 1_000:g}k" if rows >= 1_000 else str(rows)


def _reads(results: dict[str, Any], big: dict[str, int], small: dict[str, int]) -> list[str]:
    lines: list[str] = []
    for key, scale in (("big_reads", big), ("small_reads", small)):
        total = scale["rows"] + scale["heavy_rows"]
        lines += [
            f"## Reads at {total:,} rows (heavy user: {scale['heavy_rows']:,} notifications, "
            f"{scale['heavy_unread']:,} unread)",
            "",
            "| operation | GraphQL req/s | p50 ms | p99 ms | CPU ms/req | bare req/s | p50 ms "
            "| p99 ms | CPU ms/req | GraphQL / bare req/s | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, sides in results[key].items():
            graphql, bare = sides["graphql"], sides["bare"]
            lines.append(
                f"| {name} | {_stats(graphql)} | {_stats(bare)} "
                f"| {graphql['rps'] / bare['rps']:.0%} | {graphql['errors'] + bare['errors']} |"
            )
        lines.append("")
    ratio = f"{short(big['rows'])} / {short(small['rows'])}"
    lines += [
        f"## Growth: {short(big['rows'])} rows against {short(small['rows'])}",
        "",
        f"| operation | GraphQL p50, {ratio} | p99, {ratio} | req/s, {ratio} | bare p50, {ratio} "
        f"| GraphQL CPU ms/req, {ratio} |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, sides in results["big_reads"].items():
        at_big, at_small = sides["graphql"], results["small_reads"][name]["graphql"]
        bare_big, bare_small = sides["bare"], results["small_reads"][name]["bare"]
        lines.append(
            f"| {name} | {at_big['p50_ms'] / at_small['p50_ms']:.2f}× "
            f"| {at_big['p99_ms'] / at_small['p99_ms']:.2f}× "
            f"| {at_big['rps'] / at_small['rps']:.2f}× "
            f"| {bare_big['p50_ms'] / bare_small['p50_ms']:.2f}× "
            f"| {at_big['cpu_ms'] / at_small['cpu_ms']:.2f}× |"
        )
    return [*lines, ""]


def _spread(seconds: list[float]) -> str:
    ms = [value * 1e3 for value in seconds]
    return f"{statistics.median(ms):.0f} | {min(ms):.0f} | {max(ms):.0f}"


def _mutations(results: dict[str, Any]) -> list[str]:
    mark = results["mark_all"]
    return [
        "## Mutations",
        "",
        "| what | runs | median ms | min ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| markAllAsRead, {mark['unread']:,} unread (answered {sorted(set(mark['counts']))}) "
        f"| {len(mark['seconds'])} | {_spread(mark['seconds'])} |",
        *(
            [
                "| markAllAsRead: its entries written by the serve process, after the answer "
                f"| {len(mark['written_seconds'])} | {_spread(mark['written_seconds'])} |"
            ]
            if mark.get("written_seconds")
            else []
        ),
        *(
            row
            for fan, email in _fan_outs(results, taken_in_turn=True)
            for row in (
                f"| createLead to {fan['recipients']:,} users{email}: answered "
                f"| {len(fan['answered'])} | {_spread(fan['answered'])} |",
                f"| createLead to {fan['recipients']:,} users{email}: published by the relay "
                f"| {len(fan['published'])} | {_spread(fan['published'])} |",
            )
        ),
        *(
            [
                "| createLead with email on: its recipients' due emails written by the "
                "scheduler (a round a second) "
                f"| {len(fan['written'])} | {_spread(fan['written'])} |"
            ]
            if (fan := results.get("fan_out_email", {})).get("written")
            else []
        ),
        *([_emails_scheduled(results["fan_out_email"])] if "fan_out_email" in results else []),
        "",
    ]


def _emails_scheduled(fan: dict[str, Any]) -> str:
    due, addressed = fan["due_emails"], fan.get("addressed_recipients")
    if addressed is None:
        what = f"{due:,} emails scheduled"
    elif due == addressed:
        what = f"{due:,} emails scheduled, one for each recipient with an address, none sent"
    else:
        what = f"**{due:,} emails waiting for {addressed:,} recipients with an address**"
    return f"| (with email on: {what}) | | | | |"


# A socket run's table (the runs on Herald, and those against the reference server): rows of
# (what, the cell of a run).
Row = tuple[str, Callable[[dict[str, Any]], str]]


def _each_round(run: dict[str, Any]) -> str:
    rounds = run.get("rounds")
    if rounds is None:  # results from before the rounds
        return "one round"
    delivery = ", ".join(f"{each['p99_ms']:,.0f}" for each in rounds)
    mutation = ", ".join(f"{each['mutation_p99_ms']:,.0f}" for each in rounds)
    return f"{delivery} / {mutation} ms"


# The burst's rows, which both tables have.
BURST_ROWS: list[Row] = [
    (
        "sockets connected per round (failed, in all rounds)",
        lambda r: f"{r['connected']:,.0f} ({r['failed']})",
    ),
    (
        "leads created in all rounds (failed: errors or timeouts)",
        lambda r: f"{r['leads']:,} ({r['lead_errors']})",
    ),
    (
        "createLead latency meanwhile, p50 / p99",
        lambda r: f"{r['mutation_p50_ms']:,.0f} / {r['mutation_p99_ms']:,.0f} ms",
    ),
    (
        "`notification:created` expected / received / missing, in all rounds",
        lambda r: f"{r['expected']:,} / {r['received']:,} / {r['lost']:,}",
    ),
    (
        "connections made again after a drop (the missed events replayed), in all rounds",
        lambda r: f"{r['reconnects']:,}" if "reconnects" in r else "not measured",
    ),
    (
        "delivery latency p50 / p99 / max",
        lambda r: f"{r['p50_ms']:,.0f} / {r['p99_ms']:,.0f} / {r['max_ms']:,.0f} ms",
    ),
    ("delivered `notification:created` per second", lambda r: f"{r['delivered_per_second']:,.0f}"),
    ("each round: delivery p99 / createLead p99", _each_round),
]
CPU_ROW: Row = ("server CPU per delivery", lambda r: f"{r['cpu_us_per_delivery']:,.1f} µs")


def _table(runs: dict[str, dict[str, Any]], rows: list[Row]) -> list[str]:
    return [
        "| figure | " + " | ".join(runs) + " |",
        "| --- |" + " ---: |" * len(runs),
        *(
            f"| {what} | " + " | ".join(cell(r) for r in runs.values()) + " |"
            for what, cell in rows
        ),
        "",
    ]


def _sockets(results: dict[str, Any]) -> list[str]:
    runs = results["sockets"]
    one = next((live for live in runs.values() if live["processes"] == 1), None)
    rows: list[Row] = [
        *BURST_ROWS,
        ("of those, confirmed by the clients (`deliveredAt` set), in all rounds", _confirmed),
        CPU_ROW,
        (
            "outbox's turn held by each write: mean / median / 90th percentile (at most)",
            _turn_held,
        ),
        (
            "event loop's lag (a timer set 10 ms after each wake-up): p99 / largest (at most);"
            " wake-ups over 25 ms late",
            _loop_lag,
        ),
        (
            "full collections of the garbage collector: how many, their time (largest at most)",
            _full_collections,
        ),
        ("CPU of the burst: server / PostgreSQL / clients", _cpu_split),
        (
            "serve RSS before / after connecting",
            lambda r: f"{r['rss_before_kib'] / 1024:,.1f} / {r['rss_after_kib'] / 1024:,.1f} MiB",
        ),
        ("idle memory per socket", lambda r: f"{r['kib_per_socket']:.1f} KiB"),
    ]
    lines = ["## Socket.IO delivery", "", *_table(runs, rows)]
    if one is None:
        return lines
    for name, more in runs.items():
        if more["processes"] == 1:
            continue
        alone = _same_client(runs, more)
        rate = more["delivered_per_second"] / max(alone["delivered_per_second"], 1e-9)
        cpu = more["cpu_us_per_delivery"] / max(alone["cpu_us_per_delivery"], 1e-9)
        lines += [
            f"{name}, against one process (same client): {rate:.2f}× the deliveries a second, "
            f"{cpu:.2f}× the CPU per delivery; delivery p99 {more['p99_ms']:,.0f} ms against "
            f"{alone['p99_ms']:,.0f}, createLead p99 {more['mutation_p99_ms']:,.0f} ms against "
            f"{alone['mutation_p99_ms']:,.0f}.",
            "",
        ]
    return lines


def _reference(results: dict[str, Any]) -> list[str]:
    failed = {
        name: run["error"]
        for name, run in results.get("socket_reference", {}).items()
        if "error" in run
    }
    references = _measured_references(results)
    if not references and not failed:
        return []  # results from before the reference runs
    rows = [*BURST_ROWS, CPU_ROW, ("CPU of the burst: server / clients", _reference_cpu)]
    lines = [
        "### The same clients against a reference server",
        "",
        "`bench/js/reference.mjs` is Socket.IO 4 on Node. For each lead it sends the frames Herald "
        "sends: each connected user's own `notification:created`, with the user's own `eventId`, "
        "and the counts, coalesced per user to one per 250 ms as Herald's are. It stores nothing "
        "and reads nothing, and answers `createLead` once the lead's frames are handed to the "
        "sockets (Herald answers at its commit, and the frames follow). The same clients and "
        "leads as in each run on one process, with the same warm-up, are measured against it "
        "right after that run, on a server of its own.",
        "",
        *(f"The reference run after {name} failed: {error}." for name, error in failed.items()),
        *(
            f"Of the reference runs after {name}, {run['failed_rounds']} failed; the figures "
            "are the others'."
            for name, run in references.items()
            if run.get("failed_rounds")
        ),
        *([""] if failed or any(run.get("failed_rounds") for run in references.values()) else []),
        *(_table(references, rows) if references else []),
    ]
    for name, reference in references.items():
        herald = results["sockets"].get(name)
        if herald is None:
            continue
        with_postgres = herald.get("cpu_us_per_delivery_with_postgres")
        if with_postgres is None:  # results from before the rounds: one run's
            spent = herald["cpu_seconds"] + herald["postgres_cpu_seconds"]
            with_postgres = spent / max(herald["received"], 1) * 1e6
        lines += [
            f"{name}, Herald against the reference server: delivery p99 "
            f"{herald['p99_ms']:,.0f} ms against {reference['p99_ms']:,.0f} "
            f"({herald['p99_ms'] / max(reference['p99_ms'], 1e-9):.1f}×), createLead p99 "
            f"{herald['mutation_p99_ms']:,.0f} ms against {reference['mutation_p99_ms']:,.0f}, "
            f"server CPU per delivery {herald['cpu_us_per_delivery']:,.1f} µs against "
            f"{reference['cpu_us_per_delivery']:,.1f} "
            f"({with_postgres:,.1f} µs with PostgreSQL's).",
            "",
        ]
    return lines


def _reference_cpu(run: dict[str, Any]) -> str:
    return _cores(run, (run["cpu_seconds"], run["clients_cpu_seconds"]))


def _by_role(results: dict[str, Any]) -> str:
    if not any(live.get("by_role") for live in results["sockets"].values()):
        return ""  # results from before the run by role
    return (
        "; and on two by role: the leads created through the first and every socket on the "
        "second (the API apart from the sockets, as `deploy/nginx.conf` routes them)"
    )


def _rounds(results: dict[str, Any]) -> str:
    count = results["plan"].get("socket_rounds", 1)  # one in results from before the rounds
    if count == 1:
        return ""
    return (
        f"Each run is made {count} times, the runs taking turns round by round (each on one "
        "process followed by its reference run, below), so that the rounds share the "
        "machine's hour: each figure is the median of its rounds, the counts (leads, "
        "notifications, failures) their totals, the largest latency the largest of them, and "
        "the burst's histograms, its CPU and the servers' memory the round's whose delivery "
        "p99 is the median. "
    )


def _runs_counted(results: dict[str, Any]) -> str:
    count = len(results["sockets"])
    return {1: "One run", 2: "Two runs", 3: "Three runs", 4: "Four runs"}.get(
        count, f"{count} runs"
    )


def _turn_held(run: dict[str, Any]) -> str:
    holds = run.get("turn_holds")
    if not holds or not holds["count"]:
        return "not measured"
    return (
        f"{holds['mean_ms']:,.1f} / {_at_most(holds['p50_ms_at_most'])} / "
        f"{_at_most(holds['p90_ms_at_most'])} ({holds['count']:,.0f} holds)"
    )


def _at_most(bound_ms: float) -> str:
    """A percentile read off a histogram's buckets: the bound of its bucket, or past them all."""
    return "over the largest bucket" if math.isinf(bound_ms) else f"≤ {bound_ms:g} ms"


def _loop_lag(run: dict[str, Any]) -> str:
    lag = run.get("loop_lag")
    if not lag or not lag["count"]:
        return "not measured"
    return (
        f"{_at_most(lag['p99_ms_at_most'])} / {_at_most(lag['max_ms_at_most'])}; "
        f"{lag['over_25_ms']:,.0f} of {lag['count']:,.0f}"
    )


def _full_collections(run: dict[str, Any]) -> str:
    full = run.get("full_collections")
    if full is None:
        return "not measured"
    if not full["count"]:
        return "none"
    return f"{full['count']:,.0f}, {full['sum_ms']:,.0f} ms ({_at_most(full['max_ms_at_most'])})"


def _cpu_split(run: dict[str, Any]) -> str:
    """Seconds of CPU over the burst's window, and the cores that makes (older results have
    the server's alone)."""
    if "cpu_window_seconds" not in run:
        return f"{run['cpu_seconds']:,.1f} s / – / –"
    return _cores(
        run, (run["cpu_seconds"], run["postgres_cpu_seconds"], run["clients_cpu_seconds"])
    )


def _cores(run: dict[str, Any], spent: tuple[float, ...]) -> str:
    """Each group's CPU seconds over the burst's window, and the cores that makes."""
    window = max(run["cpu_window_seconds"], 1e-9)
    cores = " / ".join(f"{seconds / window:.2f}" for seconds in spent)
    seconds = " / ".join(f"{value:,.1f}" for value in spent)
    return f"{seconds} s in {window:,.1f} s ({cores} cores)"


def _confirmed(run: dict[str, Any]) -> str:
    if run["client"] == "python":
        return "none: these clients do not confirm"
    if "confirmed" not in run:  # a run from before confirmations were counted
        return "not counted"
    return f"{run['confirmed']:,}"


def _same_client(runs: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """The one-process run with the same client as `other`."""
    return next(
        live
        for live in runs.values()
        if live["processes"] == 1 and live["client"] == other["client"]
    )


def _cell(entry: tuple[str, float] | None) -> str:
    return " | " if entry is None else f"`{entry[0]}` | {entry[1]:.1f}"


def _profiles(results: dict[str, Any]) -> list[str]:
    phases = [
        *(
            (f"GraphQL {name}", sides.get("profile"))
            for name, sides in results["big_reads"].items()
        ),
        ("markAllAsRead", results["mark_all"].get("profile")),
        ("createLead fan-out", results["fan_out"].get("profile")),
        *(
            (f"createLead at 20/s, sockets of {name}", live.get("profile"))
            for name, live in results["sockets"].items()
        ),
    ]
    found = [(phase, hot_spots(path)) for phase, path in phases]
    if not any(summary for _, summary in found):
        return []
    lines = [
        "## Where the server's time goes (py-spy)",
        "",
        "Sampled in separate passes after the measured ones, under the same load (the "
        "fan-out's on a `herald serve` of its own, after the fan-outs with email on: each "
        "lead it makes grows every user's inbox), at 200 Hz, "
        "counting only the samples where the serve process was busy (py-spy leaves idle waits "
        "out, though a C call such as a socket write or uvloop's poll shows as its Python "
        "caller). 'Self' is where a sample was taken, by package and by function; Herald's "
        "frames are counted wherever they are on the stack (inclusive), so a use case's share "
        "includes the SQLAlchemy and asyncpg work below it.",
        "",
    ]
    for phase, summary in found:
        if not summary:
            continue
        packages = ", ".join(f"{name} {pct:.0f}%" for name, pct in summary["packages"])
        lines += [
            f"**{phase}** ({summary['samples']:,} samples). Self, by package: {packages}.",
            "",
            "| busiest function (self) | % | Herald's frames (inclusive) | % |",
            "| --- | ---: | --- | ---: |",
        ]
        for leaf, ours in zip_longest(summary["leaves"], summary["herald"]):
            lines.append(f"| {_cell(leaf)} | {_cell(ours)} |")
        lines.append("")
    return lines
