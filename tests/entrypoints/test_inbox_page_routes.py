"""The inbox page's files and its development sign-in, on the in-memory container."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest

from adapters.jwt.tokens import JwtTokenVerifier
from entrypoints.app import create_app
from entrypoints.container import Container, in_memory
from entrypoints.settings import Settings
from entrypoints.web.dev_sign_in import user_id_for

SECRET = "s" * 32
LOOPBACK = ("127.0.0.1", 50123)
Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client() -> Client:
    @asynccontextmanager
    async def made(
        environment: str = "development",
        peer: tuple[str, int] = LOOPBACK,
        base_url: str = "http://127.0.0.1:3001",
    ) -> AsyncIterator[httpx.AsyncClient]:
        settings = Settings(jwt_secret=SECRET, environment=environment)
        app = create_app(in_memory(Container(settings=settings)))
        transport = httpx.ASGITransport(app=app, client=peer)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            yield http

    return made


@pytest.mark.parametrize(
    ("path", "media_type", "marker"),
    [
        ("/", "text/html", '<script type="module" src="/inbox.js">'),
        ("/inbox.js", "text/javascript", "/socket.io/?EIO=4&transport=websocket"),
        ("/inbox.css", "text/css", ".group"),
    ],
)
async def test_the_page_and_its_files_are_served_from_the_package(
    client: Client, path: str, media_type: str, marker: str
) -> None:
    async with client(environment="production") as http:
        response = await http.get(path)
        again = await http.get(path, headers={"If-None-Match": response.headers["etag"]})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert marker in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert again.status_code == 304


async def test_development_sign_in_signs_a_token_for_a_user_named_after_the_caller(
    client: Client,
) -> None:
    async with client() as http:
        offered = await http.get("/dev/token")
        response = await http.post("/dev/token", json={"name": "  Mary   Ann "})

    assert offered.json() == {"available": True}
    body = response.json()
    assert response.status_code == 200
    assert (body["userId"], body["name"], body["expiresIn"]) == ("mary-ann", "Mary Ann", 8 * 3600)
    identity = JwtTokenVerifier(SECRET).verify(body["token"])
    assert (identity.user_id, identity.name) == ("mary-ann", "Mary Ann")


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_development_sign_in_does_not_exist_in_production(
    client: Client, method: str
) -> None:
    async with client(environment="production") as http:
        response = await http.request(method, "/dev/token", json={"name": "Mallory"})

    assert response.status_code == 404
    assert "token" not in response.json()


@pytest.mark.parametrize(
    ("peer", "base_url"),
    [
        (("192.0.2.7", 40000), "http://127.0.0.1:3001"),  # another machine
        (LOOPBACK, "http://rebound.example:3001"),  # a foreign name resolved to this machine
    ],
)
async def test_development_sign_in_is_refused_to_other_machines(
    client: Client, peer: tuple[str, int], base_url: str
) -> None:
    async with client(peer=peer, base_url=base_url) as http:
        offered = await http.get("/dev/token")
        response = await http.post("/dev/token", json={"name": "Mallory"})

    assert (offered.status_code, response.status_code) == (403, 403)
    assert "token" not in response.json()


async def test_development_sign_in_over_ipv6_loopback_and_localhost(client: Client) -> None:
    async with client(peer=("::1", 50000), base_url="http://localhost:3001") as http:
        response = await http.post("/dev/token", json={"name": "Alice"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"name": "Alice"}', "text/plain", 415),  # what a cross-site form could send
        (b'{"name": ""}', "application/json", 400),
        (b'{"name": "' + b"x" * 201 + b'"}', "application/json", 400),
        (b'{"nom": "Alice"}', "application/json", 400),
        (b"[", "application/json", 400),
    ],
)
async def test_development_sign_in_refuses_a_bad_request(
    client: Client, body: bytes, content_type: str, status: int
) -> None:
    async with client() as http:
        response = await http.post(
            "/dev/token", content=body, headers={"Content-Type": content_type}
        )

    assert response.status_code == status


@pytest.mark.parametrize(
    ("name", "user_id"),
    [
        ("Alice", "alice"),
        ("Mary Ann", "mary-ann"),
        ("  O'Brien, Pat ", "o-brien-pat"),
        ("Zoë", "zoë"),
        ("x" * 100, "x" * 64),
    ],
)
def test_a_name_always_gives_the_same_user_id(name: str, user_id: str) -> None:
    assert user_id_for(name) == user_id


def test_a_name_without_letters_or_digits_gets_an_id_from_its_hash() -> None:
    assert user_id_for("!!!").startswith("user-")
    assert user_id_for("!!!") != user_id_for("???")
