"""The ASGI application: Litestar serves HTTP and GraphQL, python-socketio wraps it for sockets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio
from litestar import Litestar, MediaType, Request, Response, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.status_codes import (
    HTTP_401_UNAUTHORIZED,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from litestar.types import ASGIApp

from adapters.socketio.managers import HoldingRedisManager
from adapters.sqlalchemy.engine import database_problem
from application.ports import ConcurrentUpdate, DatabaseBusy
from entrypoints.container import Container, configured_origin
from entrypoints.delivery import BackgroundRelay
from entrypoints.graphql.context import NotAuthenticated
from entrypoints.graphql.controller import graphql_controller
from entrypoints.graphql.errors import (
    BAD_USER_INPUT,
    CONFLICT,
    INTERNAL,
    UNAUTHORIZED_BODY,
    conflict_message,
    error_body,
)
from entrypoints.graphql.limits import MAX_BODY_BYTES
from entrypoints.graphql.schema import build_schema
from entrypoints.metrics import metrics_endpoint
from entrypoints.request_context import RequestContext, client_left
from entrypoints.web import dev_sign_in_routes, inbox_page_routes, unsubscribe_routes

log = logging.getLogger("herald.http")


@get("/health", media_type=MediaType.JSON, sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", media_type=MediaType.JSON)
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    container: Container = request.app.state.container
    problem = await database_problem(container.engine())
    manager = container.socketio_server().manager
    if not problem and isinstance(manager, HoldingRedisManager) and not manager.listener_alive():
        problem = "the Redis pub/sub listener is not receiving"
    if problem:
        return Response({"status": "unavailable", "reason": problem}, status_code=503)
    return Response({"status": "ok"})


def _unauthorized(request: Request[Any, Any, Any], error: NotAuthenticated) -> Response[Any]:
    return Response(UNAUTHORIZED_BODY, status_code=HTTP_401_UNAUTHORIZED)


def _conflict(
    request: Request[Any, Any, Any], error: ConcurrentUpdate | DatabaseBusy
) -> Response[Any]:
    """Before any execution (the caller's registration), as a mutation's error would be."""
    body = error_body(conflict_message(error), CONFLICT)
    return Response(body, status_code=HTTP_409_CONFLICT, headers={"Retry-After": "1"})


def _too_large(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    message = f"Request body is larger than {MAX_BODY_BYTES} bytes"
    return Response(
        error_body(message, BAD_USER_INPUT), status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE
    )


def _internal_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    if client_left(request.scope):  # e.g. while it was sending its body: not a failure of ours
        log.info("%s %s: the client left before its answer", request.method, request.url.path)
    else:
        # Litestar logs nothing without its logging config: this is the one line for a failure.
        log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    body = error_body("Internal server error", INTERNAL)
    return Response(body, status_code=HTTP_500_INTERNAL_SERVER_ERROR)


def _measure_delivery(container: Container) -> None:
    """Connected sockets, events emitted, frames and counts waiting, the outbox backlog and how
    long its turn is held, in the app's metrics."""
    metrics, realtime = container.metrics(), container.realtime()
    metrics.connected_sockets.set_function(lambda: realtime.connected)
    emitted = metrics.events_emitted

    def count(event: str, data: dict[str, Any], rooms: list[str]) -> None:
        emitted.labels(event=event).inc()

    manager = container.socketio_server().manager
    manager.observers.append(count)
    waiting = metrics.socket_frames_waiting
    waiting.labels(stage="unqueued").set_function(lambda: manager.frames_unqueued)
    waiting.labels(stage="queued").set_function(manager.frames_queued)
    metrics.unread_counts_waiting.set_function(lambda: manager.counts.waiting)
    container.urgency().on_held = metrics.outbox_turn_held.observe
    relay = container.relay()
    if isinstance(relay, BackgroundRelay):
        relay.on_backlog = metrics.outbox_backlog.set


def create_app(container: Container) -> ASGIApp:
    """One ASGI app: the inbox page at /, GraphQL at /graphql, Socket.IO at /socket.io, health at
    /health and /ready."""
    settings = container.settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The lag's task and the collector's hook (process-wide) end with the app, however its
        # start or its end went.
        loop_lag, gc_pauses = container.loop_lag(), container.gc_pauses()
        loop_lag.start()
        gc_pauses.start()
        try:
            async with serving():
                yield
        finally:
            gc_pauses.stop()
            await loop_lag.stop()

    @asynccontextmanager
    async def serving() -> AsyncIterator[None]:
        server = container.socketio_server()
        if not server.manager_initialized:  # else Redis is listened to from the first socket on
            server.manager_initialized = True
            server.manager.initialize()
        relay = container.relay()
        upkeep = None
        if isinstance(relay, BackgroundRelay):
            relay.start()
            upkeep = container.replay_index_upkeep()
            if upkeep is not None:
                relay.on_published = upkeep.published
                upkeep.start()
        daily_purge = container.daily_purge()
        daily_purge.start()
        deferred_changes = container.deferred_changes()
        deferred_changes.start()
        # Email goes out only where SMTP_URL is set; the scheduler never blocks a request.
        emails = container.email_scheduler() if settings.smtp is not None else None
        if emails is not None:
            emails.start()
        try:
            yield
        finally:
            if emails is not None:
                await emails.stop()
            await daily_purge.stop()
            await deferred_changes.stop()
            await container.realtime().close()  # before the database goes away
            if upkeep is not None:
                await upkeep.stop()
            if isinstance(relay, BackgroundRelay):
                await relay.stop()
            await container.inbox_queries().close()
            await container.engine().dispose()
            await container.rate_limiter().close()

    http = Litestar(
        route_handlers=[
            graphql_controller(
                graphiql=not settings.is_production,
                origin_allowed=configured_origin(settings.cors_origins),
                schema=build_schema(
                    introspection=not settings.is_production, metrics=container.metrics()
                ),
            ),
            health,
            ready,
            metrics_endpoint,
            *inbox_page_routes(),
            *dev_sign_in_routes(),
            *unsubscribe_routes(),
        ],
        state=State({"container": container}),
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)),
        exception_handlers={
            NotAuthenticated: _unauthorized,
            ConcurrentUpdate: _conflict,
            DatabaseBusy: _conflict,
            HTTP_413_REQUEST_ENTITY_TOO_LARGE: _too_large,
            HTTP_500_INTERNAL_SERVER_ERROR: _internal_error,
        },
        lifespan=[lifespan],
        request_max_body_size=MAX_BODY_BYTES,
        logging_config=None,
    )
    _measure_delivery(container)
    sockets = socketio.ASGIApp(
        container.socketio_server(), other_asgi_app=http, socketio_path="socket.io"
    )
    return RequestContext(sockets, container.metrics())
