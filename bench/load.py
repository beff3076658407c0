"""Closed-loop HTTP load: N connections, each sending its next request when the last answered.

`wrk` when it is installed (a C client costs the 2-core machine least), else an asyncio httpx
client with N workers. Both give requests/s and the p50/p99 latency of one request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    token: str
    body: bytes | None = None

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.body is not None:
            headers["Content-Type"] = "application/json"
        return headers


def graphql_request(base: str, token: str, query: str, **variables: Any) -> Request:
    body = json.dumps({"query": query, "variables": variables}).encode()
    return Request("POST", f"{base}/graphql", token, body)


@dataclass(frozen=True)
class Stats:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    cpu_ms: float = float("nan")  # the server's CPU time per request (user + system)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "rps": self.rps}


def tool() -> str:
    return "wrk" if shutil.which("wrk") else "httpx"


async def measure(
    request: Request, concurrency: int, seconds: float, warmup: float, pid: int | None = None
) -> Stats:
    """Warm up (not counted), then load for `seconds`; with `pid`, that server's CPU time."""
    run = _wrk if tool() == "wrk" else _httpx
    if warmup > 0:
        await run(request, concurrency, warmup)
    before = cpu_seconds(pid) if pid else 0.0
    stats = await run(request, concurrency, seconds)
    if not pid:
        return stats
    cpu_ms = (cpu_seconds(pid) - before) * 1e3 / max(stats.requests, 1)
    return Stats(**{**asdict(stats), "cpu_ms": cpu_ms})


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far, from /proc (every thread included)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """Each process's CPU seconds so far; one that ended meanwhile is left out (its last
    reading stands)."""
    spent = {}
    for pid in pids:
        try:
            spent[pid] = cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return spent


def postgres_pids() -> list[int]:
    """PostgreSQL's processes on this machine (its backends come and go)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


class CpuTrace:
    """The CPU time of groups of processes, sampled every `every` seconds on `time.monotonic()`
    (the clients' clock too), so that a window can be read afterwards: one that ends with a
    delivery, say, known only once the clients have told what they received."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]], every: float = 0.25) -> None:
        self._groups, self._every = groups, every
        # (time, group → pid → CPU seconds so far)
        self.samples: list[tuple[float, dict[str, dict[int, float]]]] = []
        self._task: asyncio.Task[None] | None = None

    def _sample(self) -> None:
        self.samples.append(
            (time.monotonic(), {name: _cpu_by_pid(pids()) for name, pids in self._groups.items()})
        )

    async def _run(self) -> None:
        while True:
            self._sample()
            await asyncio.sleep(self._every)

    async def __aenter__(self) -> CpuTrace:
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._sample()

    def spent(self, start: float, end: float) -> dict[str, float]:
        """Each group's CPU seconds from the last sample at or before `start` (the first one,
        if none is) to the first at or after `end` (the last one, if none is), process by
        process: one that ended meanwhile keeps what it spent until its last sample, one that
        started meanwhile counts from nothing."""
        first = max((i for i, (at, _) in enumerate(self.samples) if at <= start), default=0)
        last = next(
            (i for i, (at, _) in enumerate(self.samples) if at >= end), len(self.samples) - 1
        )
        spent = {}
        for name in self._groups:
            before = self.samples[first][1][name]
            latest: dict[int, float] = {}
            for _, sample in self.samples[first : last + 1]:
                latest.update(sample[name])
            spent[name] = sum(cpu - before.get(pid, 0.0) for pid, cpu in latest.items())
        return spent


_WRK_SCRIPT = """
wrk.method = "{method}"
{body}
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n{{"requests": %d, "us": %d, "errors": %d, "p50_us": %d, "p99_us": %d}}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


async def _wrk(request: Request, concurrency: int, seconds: float) -> Stats:
    body = "" if request.body is None else f"wrk.body = [==[{request.body.decode()}]==]"
    script = _WRK_SCRIPT.format(method=request.method, body=body, token=request.token)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script)
        file.flush()
        command = [
            *("wrk", "-t1", f"-c{concurrency}", f"-d{max(seconds, 1):.0f}s", "--timeout", "30s"),
            *("-s", file.name, request.url),
        ]
        done = await asyncio.to_thread(
            subprocess.run, command, capture_output=True, text=True, check=True
        )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return Stats(
        requests=figures["requests"],
        seconds=figures["us"] / 1e6,
        errors=figures["errors"],
        p50_ms=figures["p50_us"] / 1e3,
        p99_ms=figures["p99_us"] / 1e3,
    )


async def _httpx(request: Request, concurrency: int, seconds: float) -> Stats:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:

        async def worker(deadline: float) -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await http.request(
                    request.method, request.url, content=request.body, headers=request.headers
                )
                latencies.append(time.perf_counter() - started)
                errors += response.status_code >= 400

        started = time.perf_counter()
        await asyncio.gather(*(worker(started + seconds) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return Stats(
        len(latencies),
        elapsed,
        errors,
        percentile(latencies, 50) * 1e3,
        percentile(latencies, 99) * 1e3,
    )


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class GraphQL:
    """One user's GraphQL client, for the requests that are not load: set-up and mutations."""

    def __init__(self, http: httpx.AsyncClient, base: str, token: str) -> None:
        self._http, self._url = http, f"{base}/graphql"
        self._headers = {"Authorization": f"Bearer {token}"}

    async def data(self, query: str, **variables: Any) -> Any:
        response = await self._http.post(
            self._url, json={"query": query, "variables": variables}, headers=self._headers
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"GraphQL failed ({response.status_code}): {body}")
        return body["data"]
