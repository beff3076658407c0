"""The Litestar controller that serves the schema at /graphql, with the contract's error shape."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import msgspec
import strawberry
from cross_web import HTTPException
from litestar import Request, Response, WebSocket, post
from litestar.background_tasks import BackgroundTasks
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK
from litestar.types import ControllerRouterHandler, Dependencies
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http import process_result as plain_result
from strawberry.litestar import make_graphql_controller
from strawberry.litestar.controller import LitestarWebSocketAdapter
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from application.auth import InvalidToken
from entrypoints.graphql.context import HeraldContext, get_context
from entrypoints.graphql.errors import (
    BAD_USER_INPUT,
    RATE_LIMITED,
    RATE_LIMITED_BODY,
    error_body,
    public_error,
)
from entrypoints.graphql.limits import is_subscription
from entrypoints.graphql.schema import build_schema

TOO_MANY_REQUESTS = 429
FORBIDDEN, UNAUTHORIZED = 4403, 4401  # graphql-transport-ws close codes
SUBSCRIPTIONS_OVER_WEBSOCKET = "Subscriptions are served over WebSocket (graphql-transport-ws)"


def graphql_controller(
    *,
    graphiql: bool,
    origin_allowed: Callable[[str], bool],
    schema: strawberry.Schema | None = None,
) -> ControllerRouterHandler:
    """`origin_allowed`: which other sites' pages may open a WebSocket (CORS_ORIGINS, as for
    Socket.IO); a page of Herald's own address always may."""
    base: Any = make_graphql_controller(
        build_schema() if schema is None else schema,
        path="/graphql",
        context_getter=get_context,
        graphql_ide="graphiql" if graphiql else None,
        allow_queries_via_get=False,
    )

    class GraphQLController(base):  # type: ignore[misc]
        websocket_adapter_class = _WebSocket
        # strawberry builds its sub-response in a worker thread; here it is built in the loop.
        dependencies: ClassVar[Dependencies] = {
            **base.dependencies,
            "response": Provide(_sub_response),
        }

        @post(status_code=HTTP_200_OK)
        async def handle_http_post(self, request: Request[Any, Any, Any]) -> Response[Any]:
            """strawberry's handler, its context made here: through Litestar's dependencies,
            the independent ones (context, root value, sub-response) are resolved side by side
            in an anyio task group on every request.

            What clients send, one JSON object, is executed without strawberry's `run`, whose
            checks are for other requests (WebSocket, GET, the IDE, other bodies, streams and
            batches: those still go its way, and their bodies are read twice): about a tenth of
            a `getUnreadCount`'s time in the process (bench/findings.md)."""
            context = await get_context(request)
            context.request = request
            context.response = sub_response = await _sub_response()
            request_data = await _json_operation(request)
            if request_data is None:
                # What strawberry's `run` reads back as the sub-response (`get_sub_response`):
                # the controller is one for every request, so it is set after the last await.
                self.temporal_response = sub_response
                answer: Response[Any] = await self.execute_request(
                    request=request, context=context, root_value=None
                )
                return answer
            try:
                result = await self.execute_operation(
                    request=request,
                    request_adapter=self.request_adapter_class(request),
                    request_data=request_data,
                    context=context,
                    root_value=None,
                    sub_response=sub_response,
                )
            except HTTPException as error:  # past the rate limit, or not an operation to run
                return _refused(error)
            # One operation over plain HTTP: neither a batch nor a stream, whose transports
            # only other bodies and headers choose.
            assert isinstance(result, ExecutionResult)
            response_data = await self.process_result(request, result)
            answered: Response[Any] = self.create_response(response_data, sub_response)
            return answered

        def is_websocket_origin_allowed(self, request: Any, origin: str) -> bool:
            return origin_allowed(origin)

        async def on_ws_connect(self, context: HeraldContext) -> None:
            """`connection_init` must carry `{"token": "<jwt>"}`; else the socket is closed."""
            params = context.connection_params or {}
            token = params.get("token")
            try:
                context.identity = await context.container.authenticator().authenticate(
                    token if isinstance(token, str) else ""
                )
            except InvalidToken:
                raise ConnectionRejectionError from None
            # As a Socket.IO socket, the subscription ends when its token does: the client
            # comes back with a fresh one and its last eventId.
            socket = context.websocket
            if socket is not None:
                delay = (context.identity.expires_at - datetime.now(UTC)).total_seconds()
                context.expiry = asyncio.get_running_loop().call_later(
                    max(delay, 0), _hang_up, socket
                )

        async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
            try:
                return await super().run(request, context=context, root_value=root_value)
            finally:
                if isinstance(context, HeraldContext) and context.expiry is not None:
                    context.expiry.cancel()
                    context.expiry = None

        async def process_result(
            self, request: Request[Any, Any, Any], result: ExecutionResult
        ) -> GraphQLHTTPResponse:
            response = plain_result(result)
            if result.errors:
                response["errors"] = [public_error(error) for error in result.errors]
            return response

        async def execute_request(
            self, request: Request[Any, Any, Any], context: Any, root_value: Any
        ) -> Response[Any]:
            try:
                return await self.run(request, context=context, root_value=root_value)  # type: ignore[no-any-return]
            except HTTPException as error:  # not a GraphQL request, or past the rate limit
                return _refused(error)

        async def execute_operation(
            self,
            request: Request[Any, Any, Any],
            request_adapter: Any,
            request_data: GraphQLRequestData | list[GraphQLRequestData],
            context: HeraldContext,
            root_value: Any,
            sub_response: Any,
        ) -> Any:
            batch = request_data if isinstance(request_data, list) else [request_data]
            _refuse_subscriptions(batch)
            await _spend_rate_limit(context, batch)
            return await super().execute_operation(
                request=request,
                request_adapter=request_adapter,
                request_data=request_data,
                context=context,
                root_value=root_value,
                sub_response=sub_response,
            )

        def encode_json(self, data: object) -> bytes:
            """Responses in msgspec's JSON: the same JSON as json.dumps', made several times
            faster (UTF-8 rather than `\\u` escapes)."""
            return msgspec.json.encode(data)

        def decode_json(self, data: str | bytes) -> object:
            try:
                return json.loads(data)
            except RecursionError:  # 64 KiB of `[` is valid JSON too deep for the decoder
                raise HTTPException(400, "Unable to parse request body as JSON") from None

        async def parse_http_body(
            self, request: Any
        ) -> GraphQLRequestData | list[GraphQLRequestData]:
            """What clients send, one JSON object POSTed as `application/json` (`_json_operation`);
            anything else goes strawberry's way, which says what is wrong with it. `request` is
            cross_web's adapter of Litestar's request."""
            request_data = await _json_operation(request.request)
            if request_data is not None:
                return request_data
            return await super().parse_http_body(request)  # type: ignore[no-any-return]

        def parse_json(self, data: str | bytes) -> Any:
            """An HTTP body: a JSON object (an array is refused later, batching being off)."""
            try:
                body = super().parse_json(data)
            except UnicodeDecodeError:
                raise HTTPException(400, "Unable to parse request body as JSON") from None
            if not isinstance(body, dict | list):
                raise HTTPException(400, "The request body must be a JSON object")
            return body

    return GraphQLController


async def _json_operation(request: Request[Any, Any, Any]) -> GraphQLRequestData | None:
    """The operation of a JSON object POSTed as `application/json`, with fields of the types
    strawberry accepts; None for any other request, or a body that is not such an object.
    Read at once: strawberry parses the Content-Type header with the standard library's email
    parser on every request, about 30 µs of a `getUnreadCount`'s 530 in process
    (bench/findings.md); Litestar keeps its own parse on the request."""
    media_type, _ = request.content_type
    if request.method != "POST" or media_type != "application/json":
        return None
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):  # strawberry's parse says what is wrong with it
        return None
    if not isinstance(body, dict) or not _well_typed(body):
        return None
    return GraphQLRequestData(
        query=body.get("query"),
        variables=body.get("variables"),
        operation_name=body.get("operationName"),
        extensions=body.get("extensions"),
        protocol="http",
    )


def _refused(error: HTTPException) -> Response[Any]:
    """The answer to a request refused before it ran: past the rate limit, or no operation to
    run (the contract's error body)."""
    if error.status_code == TOO_MANY_REQUESTS:
        return Response(
            RATE_LIMITED_BODY, status_code=TOO_MANY_REQUESTS, headers={"Retry-After": "1"}
        )
    return Response(error_body(error.reason, BAD_USER_INPUT), status_code=error.status_code)


def _well_typed(body: dict[str, Any]) -> bool:
    """A request whose fields have the types strawberry accepts."""
    return (
        isinstance(body.get("query"), str | None)
        and isinstance(body.get("variables"), dict | None)
        and isinstance(body.get("extensions"), dict | None)
    )


_hang_ups: set[asyncio.Task[None]] = set()  # keeps each closing task referenced


def _hang_up(socket: WebSocket[Any, Any, Any]) -> None:
    task = asyncio.ensure_future(_close_expired(socket))
    _hang_ups.add(task)
    task.add_done_callback(_hang_ups.discard)


async def _close_expired(socket: WebSocket[Any, Any, Any]) -> None:
    if socket.connection_state != "disconnect":
        with contextlib.suppress(Exception):  # it may be closing already
            await socket.close(code=UNAUTHORIZED, reason="Token expired")


async def _sub_response() -> Response[Any]:
    """What resolvers may add headers or cookies to, as strawberry's own getter makes it."""
    return Response({}, background=BackgroundTasks([]))


class _WebSocket(LitestarWebSocketAdapter):
    """Herald rejects a subscription's connection only for its token: 4401, not 4403."""

    async def close(self, code: int, reason: str) -> None:
        if code == FORBIDDEN:
            code, reason = UNAUTHORIZED, "Unauthorized"
        await super().close(code, reason)


def _refuse_subscriptions(batch: list[GraphQLRequestData]) -> None:
    for request in batch:
        name = request.operation_name if isinstance(request.operation_name, str) else None
        if isinstance(request.query, str) and is_subscription(request.query, name):
            raise HTTPException(400, SUBSCRIPTIONS_OVER_WEBSOCKET)


async def _spend_rate_limit(context: HeraldContext, batch: list[GraphQLRequestData]) -> None:
    """Refuse, before anything runs, mutations past the caller's rate limit.

    Batching is off (such a body is refused before this), but a batch would be charged in full.
    """
    if not await context.within_rate_limit((r.query, r.operation_name) for r in batch):
        raise HTTPException(TOO_MANY_REQUESTS, RATE_LIMITED)
