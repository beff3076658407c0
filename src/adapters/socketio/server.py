"""The Socket.IO server, with sockets whose writers wake at less cost and that keep less.

Each Engine.IO socket has a queue of frames and a writer task that waits on it through
`asyncio.wait_for(queue.get(), timeout)`. On Python 3.11 `wait_for` wraps a coroutine in a task
of its own: one more task created and stepped for every frame that finds its writer waiting,
which is nearly every frame of a live event. `FrameQueue.get` returns a future instead, which
`wait_for` awaits as it is; the frame is handed to that future as it is put. A socket's queue
is a `LightQueue` (a `FrameQueue` before Python 3.12), which keeps lists where `asyncio.Queue`
keeps deques (`adapters.queues`).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import engineio
import socketio
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket

from adapters.queues import LightQueue


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


def frame_queue() -> LightQueue:
    """A socket's queue: a `FrameQueue` where `asyncio.wait_for` starts a task for a
    coroutine (before Python 3.12); from 3.12 on it does not, and a frame handed to a future
    in the very turn its timeout fires would be lost with the cancelled wait: there the queue's
    `get()` is a coroutine that takes nothing once cancelled."""
    return FrameQueue() if sys.version_info < (3, 12) else LightQueue()


class _EngineIoServer(engineio.AsyncServer):  # type: ignore[misc]
    def create_queue(self, *args: Any, **kwargs: Any) -> LightQueue:
        return frame_queue()


class SocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server, on an Engine.IO server whose sockets' queues are
    `frame_queue()`s and whose pings wait on timers."""

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return _EngineIoServer

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        # The handshake's environ lives as long as its socket. Its request body, read by no one
        # once the socket is open, is an instance of a class that engine.io makes for each
        # request: 2.4 KiB a socket. (A socket that starts on polling and upgrades also keeps
        # the upgrade request's environ, body included: the inbox page and the benchmark's
        # clients open on WebSocket.)
        environ.pop("wsgi.input", None)
        # engine.io schedules the socket's first ping just after this.
        socket = self.eio.sockets.get(eio_sid)
        if type(socket) is AsyncSocket:
            socket.__class__ = _TimerPingSocket
        return await super()._handle_eio_connect(eio_sid, environ)


class _TimerPingSocket(AsyncSocket):  # type: ignore[misc]
    """engine.io's socket, whose pings wait on timers of the loop. engine.io starts a task that
    sleeps through the ping interval: a task, its coroutines and its future, 1 KiB that a
    connected socket keeps nearly all its life. (engine.io makes its sockets itself: a socket
    becomes one of these as it connects. python-socketio's admin instrumentation, which Herald
    does not use, hooks engine.io's `_send_ping` and would hear none of these pings.)"""

    # When the last ping went out (at first, when the socket was made); None once answered.
    last_ping: float | None

    def schedule_ping(self) -> None:
        # Once per ping, as engine.io's: a pong that answers no ping schedules nothing.
        if self.last_ping:
            self.last_ping = None
            asyncio.get_running_loop().call_later(self.server.ping_interval, self._ping)

    def _ping(self) -> None:
        # engine.io's `_send_ping` once its sleep is over. Its `send` checks the ping timeout,
        # which the ping it is about to send passes, then queues the packet.
        if not self.closing and not self.closed:
            self.last_ping = time.time()
            self.queue.put_nowait(eio_packet.Packet(eio_packet.PING))
