"""End to end: behind a trusted proxy the client's address is the one it forwards; a forged
`X-Forwarded-For` from any other peer changes nothing."""

from __future__ import annotations

import contextlib

import pytest
import socketio
from e2e_support import HeraldServer, Socket, herald_env, start_server, stop_server

pytestmark = pytest.mark.e2e


async def attempts(server: HeraldServer, forwarded_for: list[str]) -> list[object]:
    """One Socket.IO connection attempt for each address; each one's refusal, or None."""
    sockets = [Socket() for _ in forwarded_for]
    refusals: list[object] = []
    try:
        for made, address in zip(sockets, forwarded_for, strict=True):
            with contextlib.suppress(socketio.exceptions.ConnectionError):
                await made.client.connect(
                    server.url,
                    auth={"token": server.token("proxied")},
                    headers={"X-Forwarded-For": address},
                    transports=["websocket"],
                    wait_timeout=5,
                )
            refusals.append(made.refusal)
    finally:
        for made in sockets:
            await made.client.disconnect()
    return refusals


async def test_only_a_trusted_proxy_names_the_client_whose_connections_are_limited(
    own_database_url: str,
) -> None:
    limited = {"DATABASE_URL": own_database_url, "SOCKET_CONNECTS_PER_SECOND": "2"}
    behind_proxy = start_server(herald_env(**limited, FORWARDED_ALLOW_IPS="127.0.0.1"))
    try:
        forwarded = await attempts(
            behind_proxy, ["203.0.113.1", "203.0.113.1", "203.0.113.1", "203.0.113.2"]
        )
    finally:
        stop_server(behind_proxy.process)
    exposed = start_server(herald_env(**limited))
    try:
        forged = await attempts(exposed, ["203.0.113.1", "203.0.113.2", "203.0.113.3"])
    finally:
        stop_server(exposed.process)

    # Each forwarded client has its own limit; forged headers from an untrusted peer share one.
    assert forwarded == [None, None, {"message": "rate-limited"}, None]
    assert forged == [None, None, {"message": "rate-limited"}]
