"""Many Socket.IO clients spread over a few processes, and leads created at a fixed rate.

A client process (`python -m bench.sockets URL SECRET FIRST COUNT`) connects COUNT sockets as
users FIRST…, prints one JSON line when they are up, and, when told `stop` on stdin, prints
what each socket received: (relatedLeadId, time) of every `notification:created`, once per
socket. Times are `time.monotonic()`, one clock for every process on Linux.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import timedelta
from typing import Any

import socketio

from adapters.jwt.tokens import JwtTokenIssuer
from bench.seed import user_id

CONNECT_BATCH = 25


async def client_process(url: str, secret: str, first: int, count: int) -> None:
    issuer = JwtTokenIssuer(secret)
    received: list[tuple[str, float]] = []
    clients: list[socketio.AsyncClient] = []
    failed = 0

    async def connect(number: int) -> None:
        nonlocal failed
        client = socketio.AsyncClient(reconnection=False)
        seen: set[str] = set()

        def created(data: dict[str, Any]) -> None:
            lead = data.get("relatedLeadId")
            if lead not in seen:  # delivery is at least once: a repeat is not a delivery
                seen.add(lead)
                received.append((lead, time.monotonic()))

        client.on("notification:created", created)
        token = issuer.issue(user_id(number), ttl=timedelta(hours=2))
        try:
            await client.connect(
                url, auth={"token": token}, transports=["websocket"], wait_timeout=60
            )
            clients.append(client)
        except Exception:
            failed += 1

    for start in range(first, first + count, CONNECT_BATCH):
        await asyncio.gather(
            *(connect(n) for n in range(start, min(start + CONNECT_BATCH, first + count)))
        )
    _say({"connected": len(clients), "failed": failed})
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    _say({"received": received})
    await asyncio.gather(*(client.disconnect() for client in clients), return_exceptions=True)


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class Fleet:
    """The client processes, seen from the benchmark."""

    def __init__(self, url: str, secret: str, sockets: int, per_process: int) -> None:
        self._spec = (url, secret, sockets, per_process)
        self._processes: list[asyncio.subprocess.Process] = []

    async def connect(self) -> tuple[int, int]:
        """Starts the processes; returns (connected, failed) once every one has reported."""
        url, secret, sockets, per_process = self._spec
        for first in range(0, sockets, per_process):
            count = min(per_process, sockets - first)
            self._processes.append(
                await asyncio.create_subprocess_exec(
                    *(sys.executable, "-m", "bench.sockets", url, secret, str(first), str(count)),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=2**30,
                )
            )
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
            received.extend(tuple(item) for item in (await self._read(process))["received"])
            await process.wait()
        return received

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


if __name__ == "__main__":
    url, secret, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    asyncio.run(client_process(url, secret, first, count))
