"""uvicorn's sans-I/O WebSocket protocol, writing what a connection sends in one turn of the
event loop with one system call.

Every frame uvicorn sends is a write to the socket of its own: on loopback each of those took
about a fifth of the server's time under a burst (py-spy). A socket whose writer finds several
frames queued (a burst, a catch-up, an event and its count) sends them in one task step; here
they leave together, at the end of that turn, in the order they were sent.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from adapters.queues import Flag, LightQueue


class CoalescingTransport:
    """A transport whose writes are joined until the loop's next turn; closing writes what
    waits first. Everything else is the wrapped transport's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport, self._loop = transport, loop
        self._unwritten: list[bytes] = []
        self._flushing: asyncio.Handle | None = None

    def write(self, data: bytes) -> None:
        self._unwritten.append(data)
        if self._flushing is None:
            self._flushing = self._loop.call_soon(self.flush)

    def flush(self) -> None:
        if self._flushing is not None:
            self._flushing.cancel()
            self._flushing = None
        if self._unwritten:
            data = b"".join(self._unwritten)
            self._unwritten.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._unwritten.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's `websockets-sansio` protocol on a `CoalescingTransport`, keeping less for each
    connection: its queue and its `writable` event are a `LightQueue` and a `Flag` (asyncio's
    keep five deques, 3.7 KiB); once the handshake's answer is written, the answer is let go and
    the request, which websockets' parser keeps, is emptied of its headers (what the application
    reads of them is in its scope)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = cast("asyncio.Queue[Any]", LightQueue())
        self.writable = cast(asyncio.Event, Flag())
        self.writable.set()

    def start_keepalive(self) -> None:
        # Called once, as the handshake's answer has been written. websockets' parser holds the
        # request as long as the connection: its headers are emptied.
        super().start_keepalive()
        self.request.headers.clear()
        vars(self).pop("request")
        vars(self).pop("response")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        coalescing = CoalescingTransport(cast(asyncio.Transport, transport), self.loop)
        super().connection_made(cast(asyncio.Transport, coalescing))
