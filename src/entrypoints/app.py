"""The ASGI application: Litestar serves HTTP and GraphQL, python-socketio wraps it for sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio
from litestar import Litestar, MediaType, Request, Response, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.status_codes import HTTP_401_UNAUTHORIZED

from adapters.sqlalchemy.engine import database_problem
from entrypoints.container import Container
from entrypoints.graphql.context import NotAuthenticated
from entrypoints.graphql.controller import graphql_controller
from entrypoints.graphql.errors import UNAUTHORIZED_BODY
from entrypoints.realtime import attach_handlers

MAX_BODY_BYTES = 64 * 1024


@get("/health", media_type=MediaType.JSON, sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", media_type=MediaType.JSON)
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    container: Container = request.app.state.container
    problem = await database_problem(container.engine())
    if problem:
        return Response({"status": "unavailable", "reason": problem}, status_code=503)
    return Response({"status": "ok"})


def _unauthorized(request: Request[Any, Any, Any], error: NotAuthenticated) -> Response[Any]:
    return Response(UNAUTHORIZED_BODY, status_code=HTTP_401_UNAUTHORIZED)


def create_app(container: Container) -> socketio.ASGIApp:
    """One ASGI app: GraphQL at /graphql, Socket.IO at /socket.io, health at /health and /ready."""
    settings = container.settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await container.engine().dispose()

    http = Litestar(
        route_handlers=[graphql_controller(graphiql=not settings.is_production), health, ready],
        state=State({"container": container}),
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)),
        exception_handlers={NotAuthenticated: _unauthorized},
        lifespan=[lifespan],
        request_max_body_size=MAX_BODY_BYTES,
        logging_config=None,
    )
    server = container.socketio_server()
    attach_handlers(server, container.authenticator())
    return socketio.ASGIApp(server, other_asgi_app=http, socketio_path="socket.io")
