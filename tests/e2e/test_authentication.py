"""End to end: only a valid token opens GraphQL and Socket.IO."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import socketio
from e2e_support import SECRET, Clients, Socket

pytestmark = pytest.mark.e2e

UNAUTHORIZED = {"errors": [{"message": "Unauthorized", "extensions": {"code": "UNAUTHENTICATED"}}]}


def _claims(**extra: object) -> dict[str, object]:
    return {"sub": "someone", "exp": datetime.now(UTC) + timedelta(hours=1), **extra}


BAD_TOKENS = {
    "garbage": "not.a.token",
    "empty": "",
    "expired": jwt.encode(_claims(exp=datetime.now(UTC) - timedelta(hours=1)), SECRET, "HS256"),
    "another key": jwt.encode(_claims(), "another-secret-that-is-also-32-bytes-long", "HS256"),
    "alg none": jwt.encode(_claims(), None, algorithm="none"),
    "no sub": jwt.encode({"exp": datetime.now(UTC) + timedelta(hours=1)}, SECRET, "HS256"),
    "no exp": jwt.encode({"sub": "someone"}, SECRET, "HS256"),
}


@pytest.mark.parametrize(
    "auth",
    [None, {}, {"token": None}, *({"token": token} for token in BAD_TOKENS.values())],
    ids=["no auth", "no token", "null token", *BAD_TOKENS],
)
async def test_a_socket_without_a_valid_token_is_refused(clients: Clients, auth: object) -> None:
    refused = Socket()

    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(clients.server.url, auth)

    assert refused.refusal == {"message": "unauthorized"}
    assert not refused.client.connected


@pytest.mark.parametrize("token", [None, *BAD_TOKENS.values()], ids=["no header", *BAD_TOKENS])
async def test_graphql_without_a_valid_token_is_401(clients: Clients, token: str | None) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}".strip()}

    response = await clients.http.post(
        "/graphql", json={"query": "{ getUnreadCount }"}, headers=headers
    )

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


async def test_a_socket_is_disconnected_when_its_token_expires(clients: Clients) -> None:
    expiring = Socket()
    disconnected = asyncio.Event()
    expiring.client.on("disconnect", lambda *reason: disconnected.set())
    token = clients.server.token("short-lived", ttl=1)

    await expiring.connect(clients.server.url, {"token": token})
    assert expiring.client.connected

    async with asyncio.timeout(5):
        await disconnected.wait()
