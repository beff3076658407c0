"""uvicorn's sans-I/O WebSocket protocol, writing what a connection sends in one turn of the
event loop with one system call.

Every frame uvicorn sends is a write to the socket of its own: on loopback each of those took
about a fifth of the server's time under a burst (py-spy). A socket whose writer finds several
frames queued (a burst, a catch-up, an event and its count) sends them in one task step; here
they leave together, at the end of that turn, in the order they were sent.

The connection also offers the application its writes without a task (`write_now`, under
`DIRECT_WRITES` in the scope's extensions): an Engine.IO socket writes each frame in the turn
it is queued, where uvicorn's `send` is a coroutine that a writer task of each socket awaits.
Those writes pass by any ASGI middleware that wraps `send` (Herald's own, `RequestContext`,
leaves WebSockets alone). An event's text is the same for each of its recipients: where no
extension (permessage-deflate) changes a connection's frames, its frame is made once and the
same bytes written to every connection.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from typing import Any, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State

from adapters.queues import Flag, LightQueue
from adapters.socketio.server import DIRECT_WRITES


class _Batch(list["CoalescingTransport"]):
    """The transports that one callback flushes; the flusher refers to it weakly."""

    __slots__ = ("__weakref__",)


class _Flusher:
    """The transports with writes waiting, flushed together at the loop's next turn: one
    callback for every connection written to in a turn (a frame to each of a thousand sockets
    scheduled a callback per connection). One per event loop (`_flusher`); only the scheduled
    callback holds the transports, so that a loop closed with a flush still due is not kept
    alive through the flusher."""

    def __init__(self) -> None:
        self._next: weakref.ref[_Batch] | None = None  # the batch of the callback scheduled

    def add(self, transport: CoalescingTransport) -> None:
        batch = self._next() if self._next is not None else None
        if batch is None:
            batch = _Batch()
            asyncio.get_running_loop().call_soon(self._flush, batch)
            self._next = weakref.ref(batch)
        batch.append(transport)

    def _flush(self, batch: _Batch) -> None:
        self._next = None  # what is written from now on waits for the next turn
        flushed = 0
        try:
            for transport in batch:
                flushed += 1
                try:
                    transport.flush()
                except Exception as error:  # as a callback of its own: reported, the others go on
                    asyncio.get_running_loop().call_exception_handler(
                        {"message": "a WebSocket write failed", "exception": error}
                    )
        finally:  # interrupted (KeyboardInterrupt): those not reached are added by their next write
            for transport in batch[flushed:]:
                transport.unschedule()


# Each loop's flusher, gone with its loop.
_flushers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Flusher] = (
    weakref.WeakKeyDictionary()
)


def _flusher(loop: asyncio.AbstractEventLoop) -> _Flusher:
    flusher = _flushers.get(loop)
    if flusher is None:
        flusher = _flushers[loop] = _Flusher()
    return flusher


class CoalescingTransport:
    """A transport whose writes are joined until the loop's next turn; closing writes what
    waits first. Everything else is the wrapped transport's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport, self._flusher = transport, _flusher(loop)
        self._unwritten: list[bytes] = []
        self._waits = False  # for the flusher

    def write(self, data: bytes) -> None:
        self._unwritten.append(data)
        if not self._waits:
            self._flusher.add(self)
            self._waits = True

    def unschedule(self) -> None:
        """Its flush will not come: the next write schedules one."""
        self._waits = False

    def flush(self) -> None:
        self._waits = False
        if self._unwritten:
            data = b"".join(self._unwritten) if len(self._unwritten) > 1 else self._unwritten[0]
            self._unwritten.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def is_closing(self) -> bool:  # asked before every frame written
        return self._transport.is_closing()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._unwritten.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


@functools.lru_cache(maxsize=64)  # the texts written last: an event's, to each recipient
def _text_frame(text: str) -> bytes:
    """A complete text frame as a server sends it with no extension (unmasked), any
    connection's. A str keeps its hash: the event's text, one object for all its recipients
    (engine.io encodes a packet once), is found again at the cost of an identity check."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


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

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        # The application may write to this connection without a task (`write_now`): an
        # Engine.IO socket does (`adapters.socketio.server.DIRECT_WRITES`).
        scope = vars(self).get("scope")
        if scope is not None:
            scope["extensions"][DIRECT_WRITES] = self

    def write_now(self, data: str | bytes) -> bool:
        """Writes a frame (text for a str) in this turn, as `send` would once the connection is
        writable; False, having written nothing, where `send` would wait (the client is slow
        to read) or the connection is not open."""
        if (
            not self.handshake_complete
            or self.initial_response is not None
            or self.close_sent
            or self.disconnected
            or not self.writable.is_set()
            or self.transport.is_closing()
        ):
            return False
        conn = self.conn
        if isinstance(data, str) and not conn.extensions:
            # What `send_text` checks; its frame, as it would make it, made once for every
            # connection that gets this text.
            if conn.state is not State.OPEN or conn.expect_continuation_frame:
                return False
            if conn.writes:  # written by the protocol meanwhile, and not yet sent: first
                self.transport.write(b"".join(conn.data_to_send()))
            self.transport.write(_text_frame(data))
            return True
        try:
            if isinstance(data, str):
                conn.send_text(data.encode())
            else:
                conn.send_binary(data)
        except InvalidState:
            return False
        self.transport.write(b"".join(conn.data_to_send()))
        return True

    def abort(self) -> None:
        self.transport.abort()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        coalescing = CoalescingTransport(cast(asyncio.Transport, transport), self.loop)
        super().connection_made(cast(asyncio.Transport, coalescing))
