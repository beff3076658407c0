"""The app on the in-memory container, and GraphQL callers that talk to it in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from adapters.jwt.tokens import JwtTokenIssuer
from entrypoints.app import create_app
from entrypoints.container import Container, in_memory
from entrypoints.settings import Settings

SECRET = "s" * 32
LIFESPAN_SECONDS = 5  # the app's startup, and its shutdown, each within this


def make_container(**settings: Any) -> Container:
    return in_memory(Container(settings=Settings(jwt_secret=SECRET, **settings)))


def token(user_id: str) -> str:
    return JwtTokenIssuer(SECRET).issue(user_id)


class Caller:
    """One user's GraphQL client over an ASGI transport (no network, no lifespan)."""

    def __init__(self, app: Any, user_id: str) -> None:
        self.token = token(user_id)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://herald.test",
            headers={"Authorization": f"Bearer {self.token}"},
        )

    async def post(self, query: str, **variables: Any) -> httpx.Response:
        return await self.http.post("/graphql", json={"query": query, "variables": variables})

    async def data(self, query: str, **variables: Any) -> Any:
        response = await self.post(query, **variables)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body
        return body["data"]

    async def error(self, query: str, **variables: Any) -> dict[str, Any]:
        """The first error of a refused request."""
        body = (await self.post(query, **variables)).json()
        assert body.get("errors"), body
        return dict(body["errors"][0])

    async def aclose(self) -> None:
        await self.http.aclose()


def callers(container: Container, *user_ids: str) -> list[Caller]:
    app = create_app(container)
    return [Caller(app, user_id) for user_id in user_ids]


@asynccontextmanager
async def served(container: Container) -> AsyncIterator[None]:
    """The app between its lifespan's startup and shutdown, as uvicorn runs it."""
    app = create_app(container)
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send(message: Any) -> None:
        await from_app.put(message)

    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, to_app.get, send)
    )
    async with asyncio.timeout(LIFESPAN_SECONDS):
        await to_app.put({"type": "lifespan.startup"})
        assert (await from_app.get())["type"] == "lifespan.startup.complete"
    try:
        yield
    finally:
        async with asyncio.timeout(LIFESPAN_SECONDS):
            await to_app.put({"type": "lifespan.shutdown"})
            assert (await from_app.get())["type"] == "lifespan.shutdown.complete"
            await lifespan
