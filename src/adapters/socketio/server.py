"""The Socket.IO server, with sockets that cost less to write to and keep less.

Each Engine.IO socket has a queue of frames. engine.io gives a WebSocket a writer task that
waits on it through `asyncio.wait_for(queue.get(), timeout)`, and a reader that waits for each
message in a task of its own under another `wait_for`: two tasks, their coroutines, futures and
timers for as long as the socket is open, and a task step for every frame. On a connection of
Herald's server (`DIRECT_WRITES` in its scope), a socket writes each frame at once, in the
turn it is queued, while the connection takes writes and nothing waits ahead of it; a task
drains the queue only while the connection is paused (a slow client) or something waits. The
reader waits with no task and no timer of its own: Engine.IO's pings find a client gone, and
the connection ends with its socket (`LeanSocket`).

Elsewhere (another ASGI server), `FrameQueue.get` returns a future, which `wait_for` awaits as
it is (on Python 3.11 `wait_for` wraps a coroutine in a task of its own: one more task created
and stepped for every frame that finds its writer waiting). A socket's queue is a
`LightQueue` (a `FrameQueue` before Python 3.12), which keeps lists where `asyncio.Queue` keeps
deques (`adapters.queues`).
"""

from __future__ import annotations

import asyncio
import functools
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

import engineio
import msgspec
import socketio
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket

from adapters.queues import LightQueue
from adapters.timers import Timers

# The key, in a WebSocket scope's `extensions`, of the connection's `DirectWrites`.
DIRECT_WRITES = "herald.direct_writes"


class DirectWrites(Protocol):
    """What a WebSocket connection of Herald's server offers the socket on it."""

    def write_now(self, data: str | bytes) -> bool:
        """Writes the frame (text for a str) in this turn if the connection takes writes now;
        False, having written nothing, if it does not (paused by a slow client, closing)."""

    def stop_keepalive(self) -> None:
        """No more WebSocket pings of the server's own: Engine.IO pings the client itself."""

    def abort(self) -> None:
        """Drops the connection at once, with whatever it has not written yet."""


class FrameQueue(LightQueue):
    """A `LightQueue` whose `get()` is a future of the next item. Readers are served in the
    order they came (two long-polling requests of one session may wait at once)."""

    __slots__ = ("_readers",)

    def __init__(self) -> None:
        super().__init__()
        self._readers: list[asyncio.Future[Any]] = []

    def get(self) -> asyncio.Future[Any]:  # type: ignore[override]
        reader = asyncio.get_running_loop().create_future()
        if self.qsize():
            reader.set_result(self.get_nowait())
        else:
            self._readers.append(reader)
        return reader

    def put_nowait(self, item: Any) -> None:
        super().put_nowait(item)
        # A reader that gave up (its timeout, or its socket closing) leaves the item queued.
        while self._readers:
            reader = self._readers.pop(0)
            if not reader.done():
                reader.set_result(self.get_nowait())
                return


# Before Python 3.12 `asyncio.wait_for` starts a task for a coroutine: a `FrameQueue` there.
# From 3.12 on it does not, and a frame handed to a future in the very turn its timeout fires
# would be lost with the cancelled wait: there the queue's `get()` is a coroutine that takes
# nothing once cancelled.
if sys.version_info < (3, 12):
    _Queue = FrameQueue
else:
    _Queue = LightQueue


class SocketQueue(_Queue):
    """A socket's queue, which offers each item to `sink` first: an item the sink takes (a
    frame written at once) is not queued."""

    __slots__ = ("sink",)

    def __init__(self) -> None:
        super().__init__()
        self.sink: Callable[[Any], bool] | None = None

    def put_nowait(self, item: Any) -> None:
        sink = self.sink
        if sink is None or not sink(item):
            super().put_nowait(item)


class _EngineIoServer(engineio.AsyncServer):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timers = Timers()  # every socket's next ping
        # `handled_now(eio_sid, text)`: True where the Socket.IO packet `text` (an Engine.IO
        # MESSAGE's data) of that socket was handled in this turn (`SocketServer.on_now`);
        # otherwise engine.io's `message` event takes it.
        self.handled_now: Callable[[str, str], bool] = lambda eio_sid, text: False

    def create_queue(self, *args: Any, **kwargs: Any) -> SocketQueue:
        return SocketQueue()


class SocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server, on an Engine.IO server whose sockets write at once where
    they can (`LeanSocket`) and whose pings wait on timers; an event may be handled as its
    frame is read (`on_now`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The handlers of `on_now`, by how their event's packet begins.
        self._now: dict[str, Callable[[str, Any], None]] = {}
        self.eio.handled_now = self._handled_now

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return _EngineIoServer

    def on_now(self, event: str, handler: Callable[[str, Any], None]) -> None:
        """`handler(sid, data)` takes the event, with its one argument, as its frame is read:
        a plain function, called without a coroutine, a task or python-socketio's decoding
        and dispatch (15 to 38% of what a thousand clients' confirmations, read together,
        cost the server: bench/findings.md). Only an event of the default namespace with
        exactly one argument, no acknowledgement and no binary data, from a connected
        socket, is taken so; any other form of it goes to its handler of `on`, if it has one.

        Its JSON is read by msgspec, whatever the server's `json` setting: what msgspec
        cannot read (NaN, a lone surrogate, nesting too deep) goes to python-socketio,
        which reads it or refuses it as before; an integer longer than python-socketio
        takes (100 digits) reaches the handler. Neither engine.io nor python-socketio logs
        the packet or the event (their INFO lines)."""
        self._now[f"2[{msgspec.json.encode(event).decode()},"] = handler

    def _handled_now(self, eio_sid: str, text: str) -> bool:
        # `2["event",`: an EVENT of the default namespace with no acknowledgement id (an event
        # name written otherwise, with escapes, goes the usual way). A binary event's
        # attachments come as messages of their own, and are not events.
        handler = next((h for start, h in self._now.items() if text.startswith(start)), None)
        if handler is None or eio_sid in self._binary_packet:
            return False
        try:
            event = msgspec.json.decode(text[1:])
        except (msgspec.DecodeError, RecursionError):
            return False
        sid = self.manager.sid_from_eio_sid(eio_sid, "/")
        if len(event) != 2 or sid is None or not self.manager.is_connected(sid, "/"):
            return False
        try:
            handler(sid, event[1])
        except Exception:  # as engine.io does with a handler's error: logged, the socket stays
            self.logger.exception("%s handler error", event[0])
        return True

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        # Engine.IO's path (polling, or another ASGI server than Herald's) takes it here.
        if not (type(data) is str and self._handled_now(eio_sid, data)):
            await super()._handle_eio_message(eio_sid, data)

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        # The handshake's environ lives as long as its socket. Its request body, read by no one
        # once the socket is open, is an instance of a class that engine.io makes for each
        # request: 2.4 KiB a socket. (A socket that starts on polling keeps this environ with
        # its headers, and the upgrade request's without them, `_forget_headers`: the inbox
        # page and the benchmark's clients open on WebSocket.)
        environ.pop("wsgi.input", None)
        # engine.io schedules the socket's first ping just after this.
        socket = self.eio.sockets.get(eio_sid)
        if type(socket) is AsyncSocket:
            socket.__class__ = LeanSocket
        return await super()._handle_eio_connect(eio_sid, environ)


class LeanSocket(AsyncSocket):  # type: ignore[misc]
    """engine.io's socket, whose pings wait on one timer for every socket and which, on a
    connection of Herald's server, writes its frames at once and reads with no task of its own.

    engine.io starts a task that sleeps through the ping interval: a task, its coroutines and
    its future, 1 KiB that a connected socket keeps nearly all its life; a timer of the loop
    would keep 0.6 KiB, an entry of the server's `Timers` 0.2. (engine.io makes its sockets
    itself: a socket becomes one of these as it connects. python-socketio's admin
    instrumentation, which Herald does not use, hooks engine.io's `_send_ping` and would hear
    none of these pings.)

    On a connection of Herald's server, a client that stops answering pings is dropped as
    engine.io finds it gone (its service task checks every socket's last ping); one that is
    told to close and does not within the ping timeout is dropped then. engine.io's reader
    waits for each message under a timeout of a ping interval and timeout, and its writer
    closes the connection once it has waited as long for a frame after the socket closed:
    those timeouts, a timer and a task for each socket, are what these two replace."""

    # When the last ping went out (at first, when the socket was made); None once answered.
    last_ping: float | None
    connected: bool
    upgrading: bool
    upgraded: bool
    closed: bool
    queue: SocketQueue
    # On a connection of Herald's server: its writes; whether the socket reads it (its handler
    # runs); and while a task drains the queue (the connection paused, or what was queued
    # before the socket took the connection), that task.
    _direct: DirectWrites | None = None
    _reading = False
    _draining: asyncio.Task[None] | None = None

    def schedule_ping(self) -> None:
        # Once per ping, as engine.io's: a pong that answers no ping schedules nothing.
        if self.last_ping:
            self.last_ping = None
            self.server.timers.call_later(self.server.ping_interval, self._ping)

    def _ping(self) -> None:
        # engine.io's `_send_ping` once its sleep is over. Its `send` checks the ping timeout,
        # which the ping it is about to send passes, then queues the packet.
        if not self.closing and not self.closed:
            self.last_ping = time.time()
            self.queue.put_nowait(eio_packet.Packet(eio_packet.PING))

    @property
    def _on_connection(self) -> bool:
        """Whether its handler still has the connection (reading it, or upgrading to it)."""
        return self._reading or self.upgrading

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        direct = self._direct
        live = self._on_connection and not (self.closed or self.closing)
        gone = reason == self.server.reason.PING_TIMEOUT
        if direct is not None and live and not gone:
            # Scheduled before the wait for the queue (`wait`), which a stalled client never
            # lets end.
            self.server.timers.call_later(self.server.ping_timeout, self._drop_if_still_read)
        await super().close(wait=wait, abort=abort, reason=reason)
        if direct is not None and live and gone:
            direct.abort()  # the client is gone: nothing reads the connection any more

    def _drop_if_still_read(self) -> None:
        if self._on_connection and self._direct is not None:
            self._direct.abort()

    def _upgrade_websocket(self, environ: dict[str, Any]) -> Awaitable[Any]:
        # Not a coroutine: engine.io awaits what it returns, and no frame of this method is
        # kept for as long as the connection.
        scope = environ.get("asgi.scope") or {}
        self._direct = (scope.get("extensions") or {}).get(DIRECT_WRITES)
        if self._direct is not None:
            _forget_headers(environ, scope)
        return cast("Awaitable[Any]", super()._upgrade_websocket(environ))

    async def _websocket_handler(self, ws: Any) -> None:
        """engine.io's, on a connection of Herald's server: the same upgrade and the same
        handling of each message; no task that waits to write, none to read."""
        direct = self._direct
        if direct is None:
            await super()._websocket_handler(ws)
            return
        if self.connected and not await self._upgraded(ws):
            return
        self.connected = self.upgraded = True
        # Engine.IO's pings find a client gone: the connection's own would only repeat them.
        direct.stop_keepalive()
        self.queue.sink = functools.partial(self._write_now, direct, ws)
        if self.queue.qsize():
            self._draining = asyncio.create_task(self._drain(ws))
        server = self.server
        server.logger.info("%s: Upgrade to websocket successful", self.sid)
        # The ASGI `receive` itself, awaited here: no coroutine between it and this one
        # (engine.io's `WebSocket.wait`, undone below) is kept while the socket is idle.
        receive, largest = ws.asgi_receive, server.max_http_buffer_size
        # Closed while it upgraded: nothing to read.
        self._reading = not (self.closed or self.closing)
        try:
            while self._reading:
                try:
                    message = await receive()
                except Exception:  # the connection's end
                    break
                if message["type"] != "websocket.receive":  # the client left
                    break
                data = message.get("text")
                if data is None:
                    data = message.get("bytes")
                message = None  # kept by none until the next one
                if data is None or len(data) > largest:  # no packet, or too large a one
                    break
                # An Engine.IO MESSAGE whose event is taken now: no packet, no receive.
                if type(data) is str and data[:1] == "4" and server.handled_now(self.sid, data[1:]):
                    continue
                try:
                    packet, data = eio_packet.Packet(encoded_packet=data), None  # kept by none
                except ValueError:  # not an Engine.IO packet: the client is dropped
                    server.logger.info("%s: Malformed packet, closing", self.sid)
                    break
                try:
                    await self.receive(packet)
                except eio_exceptions.UnknownPacketError:
                    pass
                except eio_exceptions.SocketIsClosedError:
                    server.logger.info("Receive error -- socket is closed")
                    break
                except Exception:
                    # As engine.io: logged, and the connection goes on.
                    server.logger.exception("Unknown receive error")
                finally:
                    del packet  # the last message is not kept until the next one
        finally:
            self._reading = False
            self.queue.sink = None
        await self._end(ws, direct)

    async def _end(self, ws: Any, direct: DirectWrites) -> None:
        """What is queued, then a close frame, each given the ping timeout to leave (a client
        that takes nothing in that time, its connection paused all along, is dropped); then
        the socket closes."""
        timeout = self.server.ping_timeout
        if self._draining is not None:
            try:
                await asyncio.wait_for(self._draining, timeout)
            except TimeoutError:
                direct.abort()
        self._discard_queued()
        try:
            await asyncio.wait_for(ws.close(), timeout)
        except TimeoutError:
            direct.abort()
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    def _discard_queued(self) -> None:
        """Drops what is still queued, which no one will send: a `close` that waits for the
        queue (`wait`) returns."""
        queue = self.queue
        while queue.qsize():
            queue.get_nowait()
            queue.task_done()

    async def _upgraded(self, ws: Any) -> bool:
        """engine.io's upgrade from polling: the probe answered, the poll ended, the upgrade
        packet received; each wait as long as a ping interval and timeout. A socket whose
        upgrade fails, whatever the failure, goes on polling, without the connection."""
        server = self.server

        async def websocket_wait() -> Any:
            data = await ws.wait()
            if data and len(data) > server.max_http_buffer_size:
                raise ValueError("packet is too large")
            return data

        timeout = server.ping_interval + server.ping_timeout
        self.upgrading = True  # hold packet sends during the upgrade
        upgraded = False
        try:
            async with asyncio.timeout(timeout):
                probe = eio_packet.Packet(encoded_packet=await websocket_wait())
            if probe.packet_type != eio_packet.PING or probe.data != "probe":
                server.logger.info("%s: Failed websocket upgrade, no PING packet", self.sid)
                return False
            await ws.send(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
            await self.queue.put(eio_packet.Packet(eio_packet.NOOP))  # end poll
            async with asyncio.timeout(timeout):
                upgrade = eio_packet.Packet(encoded_packet=await websocket_wait())
            if upgrade.packet_type != eio_packet.UPGRADE:
                self.upgraded = False
                server.logger.info(
                    "%s: Failed websocket upgrade, expected UPGRADE packet, received %s instead.",
                    self.sid,
                    upgrade,
                )
                return False
            upgraded = True
        except (OSError, TimeoutError, ValueError):  # its end, its timeout, a bad packet
            pass
        finally:
            self.upgrading = False
            if not upgraded:
                self._direct = None
        return upgraded

    def _write_now(self, direct: DirectWrites, ws: Any, item: Any) -> bool:
        """The queue's sink: the packet written in this turn when nothing waits ahead of it and
        the connection takes it; otherwise False (the item is queued) and a task drains the
        queue, in order. None, as for engine.io's writer, ends the connection once what waits
        ahead of it is written."""
        if self._draining is None:
            if item is not None and not self.queue.qsize() and direct.write_now(item.encode()):
                return True
            self._draining = asyncio.get_running_loop().create_task(self._drain(ws))
        return False

    async def _drain(self, ws: Any) -> None:
        """Sends what is queued, waiting while the connection is paused, until nothing is."""
        queue = self.queue
        try:
            while queue.qsize():
                item = queue.get_nowait()
                try:
                    if item is None:
                        await ws.close()
                        return
                    await ws.send(item.encode())
                finally:
                    queue.task_done()
        except Exception:
            # The connection is gone, or took the frame no more: it is dropped, and the socket
            # closes as its reader ends (engine.io's writer closes it on a failed send).
            self.server.logger.debug("%s: a send failed, dropping the connection", self.sid)
            queue.sink = None
            self._discard_queued()
            if self._direct is not None:
                self._direct.abort()
        finally:
            self._draining = None


# What the environ keeps once its WebSocket is open: what a Socket.IO connect handler may ask
# of its client (Herald's reads the scope's client), without the headers and the query.
_KEPT_OF_THE_ENVIRON = (
    "REMOTE_ADDR",
    "REMOTE_PORT",
    "REQUEST_METHOD",
    "PATH_INFO",
    "wsgi.url_scheme",
    "asgi.scope",
    "asgi.receive",
    "asgi.send",
)


def _forget_headers(environ: dict[str, Any], scope: dict[str, Any]) -> None:
    """Lets go of the handshake's headers, which the environ and the scope keep as long as the
    connection (strings and bytes, about 2 KiB, more with a browser's cookies): once the
    upgrade is asked for, nothing reads them (the origin was checked; uvicorn's accept reads the
    scope's path and client; the client's address is the scope's, the token the Socket.IO
    handshake's). Both are changed in place, as engine.io and the ASGI application's frames
    hold them."""
    kept = {key: environ[key] for key in _KEPT_OF_THE_ENVIRON if key in environ}
    environ.clear()
    environ.update(kept)
    headers = scope.get("headers")
    if isinstance(headers, list):
        headers.clear()
