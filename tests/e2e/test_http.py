"""End to end: health, readiness, CORS and malformed requests, as browsers and probes meet them."""

from __future__ import annotations

import pytest
import socketio
from e2e_support import Clients, Socket

pytestmark = pytest.mark.e2e

ALLOWED = "http://localhost:3000"
FOREIGN = "http://evil.example"


async def test_health_and_readiness(clients: Clients) -> None:
    health = await clients.http.get("/health")
    ready = await clients.http.get("/ready")

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()["status"]) == (200, "ok")


@pytest.mark.parametrize(("origin", "allowed"), [(ALLOWED, True), (FOREIGN, False)])
async def test_cors_allows_only_the_configured_origins(
    clients: Clients, origin: str, allowed: bool
) -> None:
    preflight = await clients.http.options(
        "/graphql",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )

    assert (preflight.headers.get("access-control-allow-origin") == origin) is allowed


async def test_a_socket_from_a_foreign_origin_is_refused(clients: Clients) -> None:
    foreign = Socket()
    token = clients.server.token("someone-abroad")

    with pytest.raises(socketio.exceptions.ConnectionError):
        await foreign.client.connect(
            clients.server.url,
            auth={"token": token},
            headers={"Origin": FOREIGN},
            transports=["polling"],
            wait_timeout=5,
        )

    assert not foreign.client.connected


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", b'{"query": 5}', b'{"query": "{"}', b'[{"query": "{ getUnreadCount }"}]'],
    ids=["not json", "no query", "query not a string", "syntax error", "batch"],
)
async def test_a_malformed_request_is_bad_user_input_never_a_500(
    clients: Clients, body: bytes
) -> None:
    token = clients.server.token("careless")

    response = await clients.http.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )

    assert response.status_code in (200, 400)
    assert [error["extensions"]["code"] for error in response.json()["errors"]] == [
        "BAD_USER_INPUT"
    ]
