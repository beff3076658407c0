"""End to end with the official JavaScript socket.io-client, as a browser app written only
against the contract would connect."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Clients

pytestmark = pytest.mark.e2e

CLIENT = Path(__file__).with_name("js")
TIMEOUT_MS = 8000


@pytest.fixture(scope="module")
def node() -> str:
    """Node.js with the locked socket.io-client installed beside the test."""
    executable, npm = shutil.which("node"), shutil.which("npm")
    if executable is None or npm is None:
        reason = "Node.js and npm are needed for the JavaScript client test"
        if os.environ.get("HERALD_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    if not (CLIENT / "node_modules" / "socket.io-client").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=CLIENT, check=True, timeout=300)
    return executable


@asynccontextmanager
async def listening(
    node: str, url: str, token: str, events: int
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The browser-like client, running until it has seen `events` events (or has timed out)."""
    process = await asyncio.create_subprocess_exec(
        node,
        str(CLIENT / "listen.mjs"),
        url,
        token,
        str(events),
        str(TIMEOUT_MS),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def next_line(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    async with asyncio.timeout(TIMEOUT_MS / 1000):
        line = await process.stdout.readline()
    return dict(json.loads(line))


async def test_the_official_client_receives_the_contracts_events(
    clients: Clients, node: str
) -> None:
    alice, bob = f"alice-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"
    async with listening(node, clients.server.url, clients.server.token(bob), 2) as browser:
        assert "connected" in await next_line(browser)
        await clients.graphql(alice, "Alice").data(
            'mutation { createLead(input: {name: "Globex"}) { id } }'
        )
        created, count = await next_line(browser), await next_line(browser)
        assert await browser.wait() == 0

    assert created["event"] == "notification:created"
    assert created["data"]["type"] == "lead_created"
    assert created["data"]["actorId"] == alice
    assert created["data"]["isRead"] is False
    assert count["event"] == "notifications:unread-count"
    assert count["data"]["count"] == 1
    assert count["data"]["eventId"] > created["data"]["eventId"]


async def test_the_official_client_is_refused_with_unauthorized(
    clients: Clients, node: str
) -> None:
    async with listening(node, clients.server.url, "garbage", 1) as browser:
        assert await next_line(browser) == {"refused": "unauthorized"}
        assert await browser.wait() == 0
