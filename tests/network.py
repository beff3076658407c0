"""Loopback servers for the tests: a free port, and an ASGI application on a real uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def served_by_uvicorn(application: Any, **settings: Any) -> AsyncIterator[int]:
    """uvicorn serves `application` (with `settings`, `uvicorn.Config`'s) on a free loopback
    port, given once it listens, until the block ends."""
    port = free_port()
    config = uvicorn.Config(application, host="127.0.0.1", port=port, log_config=None, **settings)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:  # noqa: ASYNC110 - uvicorn says so by a flag alone
                await asyncio.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
