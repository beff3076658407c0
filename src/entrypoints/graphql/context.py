"""The per-request GraphQL context: who is calling, and where the use cases come from."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from litestar import Request, WebSocket
from litestar.connection import ASGIConnection
from strawberry.litestar import BaseContext
from strawberry.types import Info as StrawberryInfo

from application.auth import Identity, InvalidToken
from entrypoints.auth import bearer_token
from entrypoints.graphql.errors import RATE_LIMITED
from entrypoints.graphql.limits import chosen_operation_name, mutation_cost
from entrypoints.request_context import current_request_id

if TYPE_CHECKING:
    from entrypoints.container import Container


class NotAuthenticated(Exception):
    """The request carries no valid token; answered with HTTP 401 before any execution."""


class HeraldContext(BaseContext, kw_only=True):
    container: Container
    identity: Identity | None
    request_id: str
    connection_params: dict[str, Any] | None = None  # a subscription's `connection_init`
    expiry: asyncio.TimerHandle | None = None  # a subscription's hang-up when its token expires

    @property
    def user_id(self) -> str:
        if self.identity is None:  # only GraphiQL's page is served without a token
            raise NotAuthenticated
        return self.identity.user_id

    async def within_rate_limit(self, operations: Iterable[tuple[object, object]]) -> bool:
        """Whether the caller may run the mutations of these operations (each a document and
        an operation name, as a client sent them) now; if so, they are spent."""
        named = [
            (query, name if isinstance(name, str) else None)
            for query, name in operations
            if isinstance(query, str)
        ]
        cost = sum(mutation_cost(query, name) for query, name in named)
        if not cost or await self.container.rate_limiter().allow(self.user_id, cost):
            return True
        # Refused before they run, over HTTP or WebSocket: counted by name, as the others are.
        metrics = self.container.metrics()
        for query, name in named:
            metrics.count_refused(chosen_operation_name(query, name), RATE_LIMITED)
        return False


Info = StrawberryInfo[HeraldContext, None]


async def get_context(request: ASGIConnection[Any, Any, Any, Any]) -> HeraldContext:
    """A Litestar dependency: authenticate the caller of every GraphQL operation.

    A subscription's websocket authenticates later, with the token of its `connection_init`.
    """
    container: Container = request.app.state.container
    request_id = current_request_id() or uuid.uuid4().hex
    if isinstance(request, WebSocket) or (
        isinstance(request, Request)
        and request.method == "GET"
        and "query" not in request.query_params
    ):
        return HeraldContext(container=container, identity=None, request_id=request_id)
    token = bearer_token(request.headers.get("authorization"))
    try:
        identity = await container.authenticator().authenticate(token)
    except InvalidToken:
        raise NotAuthenticated from None
    return HeraldContext(container=container, identity=identity, request_id=request_id)
