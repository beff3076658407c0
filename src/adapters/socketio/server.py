"""The Socket.IO server, with sockets whose writers wake at less cost.

Each Engine.IO socket has a queue of frames and a writer task that waits on it through
`asyncio.wait_for(queue.get(), timeout)`. On Python 3.11 `wait_for` wraps a coroutine in a task
of its own: one more task created and stepped for every frame that finds its writer waiting,
which is nearly every frame of a live event. `FrameQueue.get` returns a future instead, which
`wait_for` awaits as it is; the frame is handed to that future as it is put.
"""

from __future__ import annotations

import asyncio
from typing import Any

import engineio
import socketio


class FrameQueue(asyncio.Queue[Any]):
    """An unbounded queue with one reader, whose `get()` is a future of the next item."""

    def __init__(self) -> None:
        super().__init__()
        self._reader: asyncio.Future[Any] | None = None

    def get(self) -> asyncio.Future[Any]:  # type: ignore[override]
        reader = asyncio.get_running_loop().create_future()
        if self.qsize():
            reader.set_result(self.get_nowait())
        else:
            self._reader = reader
        return reader

    def put_nowait(self, item: Any) -> None:
        super().put_nowait(item)
        reader, self._reader = self._reader, None
        # A reader that gave up (its timeout, or its socket closing) leaves the item queued.
        if reader is not None and not reader.done():
            reader.set_result(self.get_nowait())


class _EngineIoServer(engineio.AsyncServer):  # type: ignore[misc]
    def create_queue(self, *args: Any, **kwargs: Any) -> asyncio.Queue[Any]:
        return FrameQueue(*args, **kwargs)


class SocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server, on an Engine.IO server whose sockets' queues are `FrameQueue`s."""

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return _EngineIoServer
