"""End to end: Socket.IO connection attempts are limited per client address."""

from __future__ import annotations

import pytest
import socketio
from e2e_support import Socket, herald_env, start_server, stop_server

pytestmark = pytest.mark.e2e


async def test_connection_attempts_past_the_limit_are_refused(own_database_url: str) -> None:
    server = start_server(herald_env(DATABASE_URL=own_database_url, SOCKET_CONNECTS_PER_SECOND="3"))
    sockets = [Socket() for _ in range(4)]
    try:
        for allowed in sockets[:3]:
            await allowed.connect(server.url, {"token": server.token("busy")})
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sockets[3].connect(server.url, {"token": server.token("busy")})
        refusal = sockets[3].refusal
        connected = [s.client.connected for s in sockets]
    finally:
        for made in sockets:
            await made.client.disconnect()
        stop_server(server.process)

    assert connected == [True, True, True, False]
    assert refusal == {"message": "rate-limited"}
