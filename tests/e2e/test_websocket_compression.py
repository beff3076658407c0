"""permessage-deflate on Socket.IO's WebSocket: off by default, on with WEBSOCKET_COMPRESSION."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e_support import HeraldServer, herald_env, start_server, stop_server
from websockets.asyncio.client import connect

pytestmark = pytest.mark.e2e


async def negotiated_extensions(server: HeraldServer) -> str | None:
    """What the server answers a client that offers permessage-deflate, as browsers do."""
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with connect(url, compression="deflate") as websocket:
        assert websocket.response is not None
        return websocket.response.headers.get("Sec-WebSocket-Extensions")


@pytest.fixture(scope="module")
def compressing_server(database_url: str) -> Iterator[HeraldServer]:
    running = start_server(herald_env(DATABASE_URL=database_url, WEBSOCKET_COMPRESSION="on"))
    try:
        yield running
    finally:
        stop_server(running.process)


async def test_frames_are_not_compressed_by_default(server: HeraldServer) -> None:
    assert await negotiated_extensions(server) is None


async def test_compression_is_negotiated_when_turned_on(
    compressing_server: HeraldServer,
) -> None:
    extensions = await negotiated_extensions(compressing_server)

    assert extensions is not None
    assert extensions.startswith("permessage-deflate")
