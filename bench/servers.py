"""The processes under test: `herald serve`, the bare baseline app, the reference Socket.IO
server, and py-spy beside them."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.seed import HERALD, Database
from bench.sockets import NODE_CLIENT, node

SECRET = "herald-bench-secret-that-is-long-enough-for-hs256"
ROOT = Path(__file__).resolve().parent.parent


def base_env() -> dict[str, str]:
    # Herald's settings are the benchmark's alone: none from the shell (email off, unless a
    # run asks for it).
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HERALD_", "SMTP_", "EMAIL_"))
    }
    env.update(
        {
            "JWT_SECRET": SECRET,
            "HERALD_ENV": "production",
            "HERALD_HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            # The benchmark measures the work, not the limits (the settings exist since 7c13363).
            "RATE_LIMIT_PER_SECOND": "999999999",
            "SOCKET_CONNECTS_PER_SECOND": "999999999",
        }
    )
    return env


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kib(self) -> int:
        """Resident memory, from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start(command: list[str], env: dict[str, str], port: int, log: Path) -> Server:
    # Popen returns at once; the server is then polled without blocking.
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: ASYNC220
            command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 30
    try:
        async with httpx.AsyncClient(timeout=1) as http:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"{command[-1]} exited with {process.returncode}: see {log}")
                try:
                    if (await http.get(f"{server.url}/health")).status_code == 200:
                        return server
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        raise RuntimeError(f"{command} did not answer /health in time")
    except BaseException:  # late, exited, or the run interrupted (Ctrl-C): no server left behind
        stop(server)
        raise


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@asynccontextmanager
async def herald_and_bare(database: Database, logs: Path) -> AsyncIterator[tuple[Server, Server]]:
    """`herald serve` and the bare app on the same database, each on a free port; what they
    print goes to `logs` (wrk's closing connections make Herald log a warning or two)."""
    env = base_env()
    herald_port, bare_port = free_port(), free_port()
    herald = await start(
        [HERALD, "serve"],
        {**env, "DATABASE_URL": database.url, "HERALD_PORT": str(herald_port)},
        herald_port,
        logs / f"herald-{database.name}.log",
    )
    try:
        bare = await start(
            [sys.executable, "-m", "bench.bare"],
            {**env, "BENCH_DSN": database.dsn, "BENCH_PORT": str(bare_port)},
            bare_port,
            logs / f"bare-{database.name}.log",
        )
        try:
            yield herald, bare
        finally:
            stop(bare)
    finally:
        stop(herald)


@asynccontextmanager
async def herald_processes(
    database: Database, count: int, logs: Path, settings: Mapping[str, str] | None = None
) -> AsyncIterator[list[Server]]:
    """`count` `herald serve` processes on the database, with these `settings` beside the
    benchmark's; with more than one, they share a redis-server of the run's own (on a free
    port: nothing else hears their channel)."""
    env = {**base_env(), **(settings or {}), "DATABASE_URL": database.url}
    redis: subprocess.Popen[bytes] | None = None
    servers: list[Server] = []
    try:
        if count > 1:
            redis_port = free_port()
            redis = await _redis_server(redis_port)
            env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        for number in range(count):
            port = free_port()
            log = logs / f"herald-{database.name}-{count}-{number}.log"
            servers.append(
                await start([HERALD, "serve"], {**env, "HERALD_PORT": str(port)}, port, log)
            )
        yield servers
    finally:
        for server in servers:
            stop(server)
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)


@asynccontextmanager
async def reference_server(logs: Path) -> AsyncIterator[Server]:
    """The reference Socket.IO server (bench/js/reference.mjs: Herald's frames for a lead, on
    Node, with nothing stored) on a free port."""
    port = free_port()
    server = await start(
        [node(), str(NODE_CLIENT / "reference.mjs")],
        {**base_env(), "PORT": str(port)},
        port,
        logs / "reference.log",
    )
    try:
        yield server
    finally:
        stop(server)


async def _redis_server(port: int) -> subprocess.Popen[bytes]:
    executable = shutil.which("redis-server")
    if executable is None:
        raise SystemExit("the two-process socket run needs redis-server")
    command = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: ASYNC220
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return process
    process.kill()
    raise RuntimeError("redis-server did not start")


def can_profile() -> bool:
    return shutil.which("py-spy") is not None


@asynccontextmanager
async def profiled(path: Path | None, pid: int, seconds: float) -> AsyncIterator[None]:
    """py-spy samples `pid` for `seconds` (collapsed stacks in `path`) while the body runs."""
    if path is None:
        yield
        return
    command = [
        *("py-spy", "record", "--nonblocking", "--format", "raw", "--rate", "200"),
        *("-o", str(path), "-p", str(pid), "-d", str(max(1, round(seconds)))),
    ]
    recorder = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    await asyncio.sleep(0.3)  # attached
    try:
        yield
    finally:
        await recorder.wait()
