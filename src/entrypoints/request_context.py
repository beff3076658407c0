"""Each HTTP request gets an id, carried by its log records and its `X-Request-ID` header.

`RequestContext` is the outermost ASGI layer: it takes the caller's `X-Request-ID` when it is a
plain token (a proxy's id, so both logs can be joined) and otherwise makes one, keeps it in a
context variable for the logs written while the request is served, adds it to the response, and
counts the response's status in the metrics.
"""

from __future__ import annotations

import logging
import os
import re
import time
from contextvars import ContextVar

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from entrypoints.metrics import Metrics

HEADER = "X-Request-ID"
_CLIENT_LEFT = "herald.client_left"  # a scope key: the client went away mid-request
_HEADER_KEY = HEADER.lower().encode()
_ACCEPTED = re.compile(rb"[A-Za-z0-9._\-]{1,64}")

_request_id: ContextVar[str | None] = ContextVar("herald_request_id", default=None)
log = logging.getLogger("herald.http")


def client_left(scope: Scope) -> bool:
    """Whether the client of this HTTP request went away before it was answered."""
    return bool(scope.get(_CLIENT_LEFT))


def current_request_id() -> str | None:
    """The id of the HTTP request being served, if any."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Gives every log record a `request_id` attribute: the current request's id, or None."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self._app, self._metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or os.urandom(16).hex()
        reset = _request_id.set(request_id)
        started = time.perf_counter()
        status: int | None = None

        async def receive_noting_departure() -> ReceiveMessage:
            message = await receive()
            if message["type"] == "http.disconnect":
                scope[_CLIENT_LEFT] = True  # type: ignore[literal-required]
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if client_left(scope):
                return  # nobody to answer: neither sent, nor counted or logged as an answer
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() != _HEADER_KEY
                ]
                message["headers"] = [*headers, (_HEADER_KEY, request_id.encode())]
            await send(message)

        try:
            await self._app(scope, receive_noting_departure, send_with_id)
        except BaseException:
            if not client_left(scope):
                status = status or 500  # what the server answers when the app fails
            raise
        finally:
            if status is not None:  # else the client left before any answer
                self._metrics.count_response(status)
                # The path only: a query string may carry what must not be logged. The client
                # is the peer, or what a trusted proxy said it is (FORWARDED_ALLOW_IPS).
                client = scope.get("client")
                log.debug(
                    "%s %s %s %s %.1fms",
                    client[0] if client else "-",
                    scope["method"],
                    scope["path"],
                    status,
                    (time.perf_counter() - started) * 1000,
                )
            _request_id.reset(reset)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == _HEADER_KEY:
            return value.decode() if _ACCEPTED.fullmatch(value) else None
    return None
