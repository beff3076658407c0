"""End to end: health, readiness, CORS and malformed requests, as browsers and probes meet them."""

from __future__ import annotations

import pytest
from e2e_support import Clients
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

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
    """The first request a browser's Socket.IO client sends (the Engine.IO handshake over
    polling), with each origin. Read with httpx: python-socketio's client closes its HTTP
    session before it reads a refusal, and then fails one way or another."""
    handshake = "/socket.io/?EIO=4&transport=polling"

    allowed = await clients.http.get(handshake, headers={"Origin": ALLOWED})
    foreign = await clients.http.get(handshake, headers={"Origin": FOREIGN})

    assert allowed.status_code == 200
    assert '"sid"' in allowed.text
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert foreign.status_code == 400
    assert "sid" not in foreign.text
    assert "access-control-allow-origin" not in foreign.headers


@pytest.mark.parametrize("origin", [ALLOWED, "same"])
async def test_a_subscription_socket_opens_from_the_configured_origins_and_herald_itself(
    clients: Clients, origin: str
) -> None:
    """A browser on the frontend's origin (CORS_ORIGINS) opens GraphQL's WebSocket, as it
    opens Socket.IO's; so does Herald's own page."""
    url = clients.server.url.replace("http://", "ws://") + "/graphql"
    own = clients.server.url if origin == "same" else origin

    async with connect(
        url,
        subprotocols=["graphql-transport-ws"],
        origin=own,  # type: ignore[list-item, arg-type]
    ) as socket:
        assert socket.subprotocol == "graphql-transport-ws"


async def test_a_subscription_socket_from_a_foreign_origin_is_refused(clients: Clients) -> None:
    url = clients.server.url.replace("http://", "ws://") + "/graphql"

    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            url,
            subprotocols=["graphql-transport-ws"],
            origin=FOREIGN,  # type: ignore[list-item, arg-type]
        ):
            pass

    assert refused.value.response.status_code == 403


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
