"""Many Socket.IO clients spread over a few processes, and leads created at a fixed rate.

A client process connects its sockets, prints one JSON line when they are up, and, when told
`stop` on stdin, prints what each socket received: (relatedLeadId, time) of every
`notification:created`, once per socket. A client process told `count` prints how many it
has received so far. Times are CLOCK_MONOTONIC (`time.monotonic()`), one clock for every
process on Linux. Two kinds of client process: python-socketio (`python -m bench.sockets URL
SECRET FIRST COUNT`: users FIRST…, on uvloop, decoding with the standard library's `json`),
and the official JavaScript client on Node (`bench/js/fleet.mjs`, which, like a browser,
offers permessage-deflate, and confirms what it received as the inbox page does:
`notifications:delivered` with the largest `eventId`, a second after the socket's last and a
random part of another second later). The python-socketio clients confirm nothing.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import socketio
import uvloop

from adapters.jwt.tokens import JwtTokenIssuer
from bench.seed import user_id

CONNECT_BATCH = 25
NODE_CLIENT = Path(__file__).with_name("js")
Client = Literal["python", "node"]


async def client_process(url: str, secret: str, first: int, count: int) -> None:
    issuer = JwtTokenIssuer(secret)
    received: list[tuple[str, float]] = []
    clients: list[socketio.AsyncClient] = []
    failed = reconnects = 0

    async def connect(number: int) -> None:
        nonlocal failed
        # A socket the server dropped (a pong too late behind a backlog) connects again, as
        # the inbox page does, with the last event it had: the server replays what came after.
        # The standard library's `json`, not python-socketio's default: that one wraps it to
        # bound the digits of an integer from an untrusted server, and builds a decoder for
        # each packet to do so. These clients share the server's two cores: the less they
        # spend on a frame, the less of the server's time they take.
        client = socketio.AsyncClient(reconnection_delay=0.5, reconnection_delay_max=2, json=json)
        seen: set[str] = set()
        last_event_id, has_connected = 0, False

        def heard(data: Any) -> None:
            nonlocal last_event_id
            if isinstance(data, dict) and isinstance(data.get("eventId"), int):
                last_event_id = max(last_event_id, data["eventId"])

        def any_other(event: str, data: Any = None) -> None:
            heard(data)

        def created(data: dict[str, Any]) -> None:
            heard(data)
            lead = data.get("relatedLeadId")
            if lead not in seen:  # delivery is at least once: a repeat is not a delivery
                seen.add(lead)
                received.append((lead, time.monotonic()))

        def connected() -> None:
            nonlocal reconnects, has_connected
            reconnects += has_connected
            has_connected = True

        def auth() -> dict[str, Any]:
            return {"token": token, **({"lastEventId": last_event_id} if last_event_id else {})}

        client.on("notification:created", created)
        client.on("*", any_other)  # every other event, for its eventId
        client.on("connect", connected)
        token = issuer.issue(user_id(number), ttl=timedelta(hours=2))
        try:
            await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=60)
            clients.append(client)
        except Exception:
            failed += 1

    for start in range(first, first + count, CONNECT_BATCH):
        await asyncio.gather(
            *(connect(n) for n in range(start, min(start + CONNECT_BATCH, first + count)))
        )
    _say({"connected": len(clients), "failed": failed})
    loop = asyncio.get_running_loop()
    while (await loop.run_in_executor(None, sys.stdin.readline)).strip() == "count":
        _say({"count": len(received)})
    _say({"received": received, "reconnects": reconnects})
    # `shutdown` also stops a client that is between two attempts to connect again.
    await asyncio.gather(*(client.shutdown() for client in clients), return_exceptions=True)


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class Fleet:
    """The client processes, seen from the benchmark; their sockets are spread over `urls` (one
    process's sockets all go to one URL, and processes take the URLs in turn)."""

    def __init__(
        self, urls: list[str], secret: str, sockets: int, per_process: int, client: Client
    ) -> None:
        self._spec = (urls, secret, sockets, per_process, client)
        self._processes: list[asyncio.subprocess.Process] = []
        self.reconnects = 0  # sockets connected again after a drop, counted by `stop`

    async def connect(self) -> tuple[int, int]:
        """Starts the processes; returns (connected, failed) once every one has reported."""
        urls, secret, sockets, per_process, client = self._spec
        for index, first in enumerate(range(0, sockets, per_process)):
            count, url = min(per_process, sockets - first), urls[index % len(urls)]
            if client == "python":
                command = [sys.executable, "-m", "bench.sockets", url, secret, str(first)]
                command.append(str(count))
            else:
                command = [node(), str(NODE_CLIENT / "fleet.mjs"), url]
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=2**30,
            )
            self._processes.append(process)
            if client == "node":
                issuer = JwtTokenIssuer(secret)
                tokens = [
                    issuer.issue(user_id(n), ttl=timedelta(hours=2))
                    for n in range(first, first + count)
                ]
                assert process.stdin is not None
                process.stdin.write(json.dumps({"tokens": tokens}).encode() + b"\n")
                await process.stdin.drain()
        reports = [await self._read(process) for process in self._processes]
        return sum(r["connected"] for r in reports), sum(r["failed"] for r in reports)

    async def stop(self) -> list[tuple[str, float]]:
        """Every (lead id, time received) of every socket; the processes end."""
        received: list[tuple[str, float]] = []
        for process in self._processes:
            assert process.stdin is not None
            process.stdin.write(b"stop\n")
            await process.stdin.drain()
        for process in self._processes:
            report = await self._read(process)
            received.extend(tuple(item) for item in report["received"])
            self.reconnects += report["reconnects"]
            await process.wait()
        return received

    async def received_count(self) -> int:
        """How many `notification:created` the client processes have received so far."""
        for process in self._processes:
            assert process.stdin is not None
            process.stdin.write(b"count\n")
            await process.stdin.drain()
        counts = [(await self._read(process))["count"] for process in self._processes]
        return sum(int(count) for count in counts)

    def pids(self) -> list[int]:
        """The client processes still running."""
        return [process.pid for process in self._processes if process.returncode is None]

    def kill(self) -> None:
        for process in self._processes:
            if process.returncode is None:
                process.kill()

    @staticmethod
    async def _read(process: asyncio.subprocess.Process) -> dict[str, Any]:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=300)
        if not line:
            raise RuntimeError("a socket client process ended early")
        return dict(json.loads(line))


def node() -> str:
    """Node.js, with the locked packages (socket.io-client, and socket.io for the reference
    server) installed beside the scripts."""
    executable, npm = shutil.which("node"), shutil.which("npm")
    if executable is None or npm is None:
        raise SystemExit("the benchmark's JavaScript clients need Node.js and npm")
    installed = NODE_CLIENT / "node_modules"
    if not all((installed / package).exists() for package in ("socket.io-client", "socket.io")):
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_CLIENT, check=True, timeout=300
        )
    return executable


if __name__ == "__main__":
    url, secret, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    uvloop.run(client_process(url, secret, first, count))  # the server's loop too
