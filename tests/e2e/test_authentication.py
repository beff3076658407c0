"""End to end: only a valid token opens GraphQL and Socket.IO."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import warnings
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
import socketio
from e2e_support import SECRET, Clients, HeraldServer, Socket, herald_env, start_server, stop_server
from jwt.warnings import InsecureKeyLengthWarning

pytestmark = pytest.mark.e2e

UNAUTHORIZED = {"errors": [{"message": "Unauthorized", "extensions": {"code": "UNAUTHENTICATED"}}]}


def _claims(**extra: object) -> dict[str, object]:
    return {"sub": "someone", "exp": datetime.now(UTC) + timedelta(hours=1), **extra}


def _segment(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _hs256_under_another_header(header: dict[str, object]) -> str:
    """A token signed HS256 with the right secret whose header names another algorithm."""
    expires = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    signed = f"{_segment(header)}.{_segment({'sub': 'someone', 'exp': expires})}"
    signature = hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _hs384() -> str:
    with warnings.catch_warnings():  # the secret is short for HS384: no matter, it is refused
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(_claims(), SECRET, "HS384")


LATER = datetime.now(UTC) + timedelta(hours=1)
BAD_TOKENS = {
    "garbage": "not.a.token",
    "empty": "",
    "expired": jwt.encode(_claims(exp=datetime.now(UTC) - timedelta(hours=1)), SECRET, "HS256"),
    "exp beyond any date": jwt.encode(_claims(exp=10**15), SECRET, "HS256"),
    "expired a moment ago": jwt.encode(
        _claims(exp=datetime.now(UTC) - timedelta(seconds=2)), SECRET, "HS256"
    ),
    "another key": jwt.encode(_claims(), "another-secret-that-is-also-32-bytes-long", "HS256"),
    "alg none": jwt.encode(_claims(), None, algorithm="none"),
    "HS384": _hs384(),
    "RS256 header": _hs256_under_another_header({"alg": "RS256", "typ": "JWT"}),
    "nbf in the future": jwt.encode(_claims(nbf=LATER), SECRET, "HS256"),
    "no sub": jwt.encode({"exp": LATER}, SECRET, "HS256"),
    "empty sub": jwt.encode(_claims(sub=""), SECRET, "HS256"),
    "numeric sub": jwt.encode(_claims(sub=42), SECRET, "HS256"),
    "no exp": jwt.encode({"sub": "someone"}, SECRET, "HS256"),
    "over 8 KiB": jwt.encode(_claims(name="x" * 8192), SECRET, "HS256"),
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


ISSUER, AUDIENCE = "https://identity.crm.example", "herald"


@pytest.fixture(scope="module")
def strict_server(database_url: str) -> Iterator[HeraldServer]:
    """A server that also checks who issued a token and for whom."""
    running = start_server(
        herald_env(DATABASE_URL=database_url, JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
    )
    try:
        yield running
    finally:
        stop_server(running.process)


@pytest.fixture
async def strict_http(strict_server: HeraldServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=strict_server.url, timeout=10) as http:
        yield http


@pytest.mark.parametrize(
    ("claims", "accepted"),
    [
        ({"iss": ISSUER, "aud": AUDIENCE}, True),
        ({"iss": "https://elsewhere.example", "aud": AUDIENCE}, False),
        ({"iss": ISSUER, "aud": "another-service"}, False),
        ({"aud": AUDIENCE}, False),
        ({"iss": ISSUER}, False),
    ],
    ids=["right iss and aud", "wrong iss", "wrong aud", "no iss", "no aud"],
)
async def test_issuer_and_audience_are_checked_when_configured(
    strict_http: httpx.AsyncClient, claims: dict[str, object], accepted: bool
) -> None:
    token = jwt.encode(_claims(**claims), SECRET, "HS256")

    response = await strict_http.post(
        "/graphql",
        json={"query": "{ getUnreadCount }"},
        headers={"Authorization": f"Bearer {token}"},
    )

    if accepted:
        assert response.json() == {"data": {"getUnreadCount": 0}}
    else:
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED
