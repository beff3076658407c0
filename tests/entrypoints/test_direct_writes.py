"""A Socket.IO socket on a connection of Herald's server (uvicorn with
`CoalescingWebSocketProtocol`) writes each frame in the turn it is queued, with no writer task
and no reader task of its own; while its connection is paused (a slow client) its frames wait in
order, and those queued meanwhile wait behind them; a socket that starts on polling does the
same once upgraded. The connection ends with the socket: a client that stops answering pings
is dropped as it is found gone, one dropped by the server is disconnected, one that ignores a
server-side close or sends what is not a packet is dropped. The handshake's headers are let go
once the WebSocket is open. Real clients, a real server."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import socketio
from engineio import packet as eio_packet
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from adapters.socketio.managers import HoldingManager
from adapters.socketio.server import LeanSocket, SocketServer
from entrypoints.websocket import CoalescingWebSocketProtocol
from network import served_by_uvicorn

# Engine.IO's heartbeat, in whole seconds (the client is told whole seconds).
INTERVAL = 1
TIMEOUT = 1


class Served:
    """A Socket.IO server on uvicorn with Herald's WebSocket protocol, and its connections."""

    def __init__(self) -> None:
        self.server = SocketServer(
            async_mode="asgi",
            client_manager=HoldingManager(),
            ping_interval=INTERVAL,
            ping_timeout=TIMEOUT,
        )
        self.protocols: list[CoalescingWebSocketProtocol] = []
        self.environs: dict[str, dict[str, Any]] = {}
        self.url = ""

        @self.server.on("connect")  # type: ignore[misc]
        async def keep_environ(sid: str, environ: dict[str, Any]) -> None:
            self.environs[sid] = environ

    def socket(self, sid: str) -> LeanSocket:
        socket = self.server.eio.sockets[self.server.manager.eio_sid_from_sid(sid, "/")]
        assert isinstance(socket, LeanSocket)
        return socket


@contextlib.asynccontextmanager
async def served() -> AsyncIterator[Served]:
    served = Served()
    protocols = served.protocols

    class Protocol(CoalescingWebSocketProtocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            protocols.append(self)

    application = socketio.ASGIApp(served.server)
    async with served_by_uvicorn(application, ws=Protocol, lifespan="off") as port:
        served.url = f"http://127.0.0.1:{port}"
        yield served


@contextlib.asynccontextmanager
async def client(url: str, **options: Any) -> AsyncIterator[tuple[socketio.AsyncClient, list[Any]]]:
    """A python-socketio client on WebSocket, and what it receives of the event `n`."""
    sio = socketio.AsyncClient(reconnection=False)
    received: list[Any] = []
    sio.on("n", received.append)
    await sio.connect(url, transports=["websocket"], wait_timeout=10, **options)
    try:
        yield sio, received
    finally:
        await sio.disconnect()


async def until(condition: Any, seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - what is awaited has no event of its own
            await asyncio.sleep(0.01)


def socket_tasks() -> list[str]:
    """The tasks engine.io would keep for each socket: its writer, and its reader's wait."""
    names = [repr(task.get_coro()) for task in asyncio.all_tasks()]
    return [name for name in names if "writer" in name or "websocket_wait" in name]


async def test_frames_are_written_in_order_without_a_task_of_the_socket() -> None:
    async with served() as serving, client(serving.url) as (sio, received):
        socket = serving.socket(sio.get_sid())
        drains = []
        drain = socket._drain

        def counted_drain(ws: Any) -> Any:
            drains.append(ws)
            return drain(ws)

        socket._drain = counted_drain  # type: ignore[method-assign]
        for number in range(20):
            await serving.server.emit("n", number, to=sio.get_sid())
        socket.queue.put_nowait(eio_packet.Packet(eio_packet.MESSAGE, '2["n",20]'))
        assert socket.queue.empty()  # written in the turn it was queued
        await until(lambda: len(received) == 21)

        assert received == list(range(21))
        assert drains == []
        assert socket_tasks() == []


async def test_frames_wait_in_order_while_the_connection_is_paused() -> None:
    async with served() as serving, client(serving.url) as (sio, received):
        sid = sio.get_sid()
        socket = serving.socket(sid)
        (protocol,) = serving.protocols
        protocol.pause_writing()  # as the transport does when the client reads too slowly
        for number in range(3):
            await serving.server.emit("n", number, to=sid)
        await asyncio.sleep(0.1)
        assert received == []
        assert socket._draining is not None  # the one task, for as long as the pause

        protocol.resume_writing()
        await serving.server.emit("n", 3, to=sid)  # behind those that waited
        await until(lambda: len(received) == 4)

        assert received == [0, 1, 2, 3]
        await until(lambda: socket._draining is None)
        await serving.server.emit("n", 4, to=sid)
        assert socket.queue.empty()
        await until(lambda: len(received) == 5)


async def test_another_socket_is_not_held_up_by_a_paused_one() -> None:
    async with (
        served() as serving,
        client(serving.url) as (slow, slow_received),
        client(serving.url) as (fast, fast_received),
    ):
        slow_protocol = next(
            protocol
            for protocol in serving.protocols
            if serving.socket(slow.get_sid())._direct is protocol
        )
        slow_protocol.pause_writing()
        await serving.server.emit("n", "news", to=[slow.get_sid(), fast.get_sid()])
        await until(lambda: fast_received == ["news"])

        assert slow_received == []
        slow_protocol.resume_writing()
        await until(lambda: slow_received == ["news"])


@contextlib.asynccontextmanager
async def engine_io_client(serving: Served) -> AsyncIterator[tuple[Any, LeanSocket]]:
    """A bare Engine.IO client on WebSocket, joined to the default namespace, and its socket on
    the server: it answers nothing unless told to."""
    url = serving.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with connect(url) as bare:
        opened = json.loads(str(await bare.recv())[1:])
        assert opened["pingInterval"] == INTERVAL * 1000
        await bare.send("40")  # joins the default namespace
        sid = json.loads(str(await bare.recv())[2:])["sid"]
        yield bare, serving.socket(sid)


async def until_closed(bare: Any, seconds: float = 15) -> list[str]:
    """What the client receives until its connection is closed (or dropped)."""
    received: list[str] = []
    with contextlib.suppress(ConnectionClosed):
        async with asyncio.timeout(seconds):
            while True:
                received.append(str(await bare.recv()))
    return received


async def test_a_client_that_stops_answering_pings_is_dropped_at_once() -> None:
    async with served() as serving, engine_io_client(serving) as (silent, socket):
        (protocol,) = serving.protocols
        closing_reasons: list[Any] = []
        aborted_while_closing_for: list[Any] = []
        close, abort = socket.close, protocol.abort

        async def noted_close(*args: Any, **kwargs: Any) -> None:
            closing_reasons.append(kwargs.get("reason"))
            try:
                await close(*args, **kwargs)
            finally:
                closing_reasons.pop()

        def noted_abort() -> None:
            aborted_while_closing_for.append(closing_reasons[-1] if closing_reasons else None)
            abort()

        socket.close = noted_close  # type: ignore[method-assign]
        protocol.abort = noted_abort  # type: ignore[method-assign]

        received = await until_closed(silent)  # pings, unanswered, until it is dropped

        assert "2" in received  # it was pinged
        assert socket.closed
        # Dropped by the close that found it gone, not by the fallback a while after.
        assert aborted_while_closing_for[:1] == [serving.server.eio.reason.PING_TIMEOUT]
        await until(lambda: not socket._reading)


async def test_a_client_that_ignores_a_server_side_close_is_dropped() -> None:
    async with served() as serving, engine_io_client(serving) as (deaf, socket):
        pinging = asyncio.create_task(answer_pings(deaf))
        try:
            await socket.close(wait=False)  # Engine.IO's CLOSE packet, which it ignores
            async with asyncio.timeout(10):
                await pinging  # ends as the connection does, about a ping timeout later
        finally:
            pinging.cancel()

        await until(lambda: not socket._reading)


async def answer_pings(bare: Any) -> None:
    with contextlib.suppress(ConnectionClosed):
        while True:
            if str(await bare.recv()) == "2":
                await bare.send("3")


async def test_a_malformed_packet_closes_the_connection() -> None:
    async with served() as serving, engine_io_client(serving) as (bare, socket):
        pinging = asyncio.create_task(answer_pings(bare))
        await bare.send("not an Engine.IO packet")
        async with asyncio.timeout(INTERVAL):  # sooner than a ping could time out
            await pinging

        assert bare.close_code == 1000  # closed by the server, not dropped
        await until(lambda: socket.closed and not socket._reading)


async def test_a_socket_dropped_by_the_server_closes_its_connection() -> None:
    async with served() as serving, engine_io_client(serving) as (bare, socket):
        pinging = asyncio.create_task(answer_pings(bare))

        # What Herald does to drop a socket without a word (its token expired, its user left).
        await socket.close(wait=False, abort=True)
        socket.queue.put_nowait(None)

        async with asyncio.timeout(TIMEOUT / 2):  # sooner than the drop that would follow
            await pinging
        assert bare.close_code == 1000  # closed after what was queued, not dropped
        await until(lambda: not socket._reading)


async def test_closing_a_socket_whose_client_reads_nothing_returns() -> None:
    async with served() as serving, engine_io_client(serving) as (bare, socket):
        (protocol,) = serving.protocols
        protocol.pause_writing()  # the client stopped reading: its frames wait
        for number in range(3):
            socket.queue.put_nowait(eio_packet.Packet(eio_packet.MESSAGE, f'2["n",{number}]'))

        # engine.io's close waits until its queue is sent, which it never is.
        async with asyncio.timeout(5):
            await socket.close()

        assert socket.closed
        await until_closed(bare, seconds=5)
        await until(lambda: not socket._reading)
        assert socket.queue.empty()


async def test_a_socket_that_starts_on_polling_writes_at_once_once_upgraded() -> None:
    async with served() as serving:
        sio = socketio.AsyncClient(reconnection=False)
        received: list[Any] = []
        sio.on("n", received.append)
        await sio.connect(serving.url, transports=["polling", "websocket"], wait_timeout=10)
        try:
            await until(lambda: sio.transport() == "websocket")
            socket = serving.socket(sio.get_sid())
            await until(lambda: socket._reading)
            socket.queue.put_nowait(eio_packet.Packet(eio_packet.MESSAGE, '2["n",1]'))

            assert socket.queue.empty()  # written in the turn it was queued
            await until(lambda: received == [1])
            assert socket.upgraded
        finally:
            await sio.disconnect()


async def test_the_handshakes_headers_are_let_go_once_the_websocket_is_open() -> None:
    async with (
        served() as serving,
        client(serving.url, headers={"X-Big-Cookie": "x" * 2000}) as (sio, _),
    ):
        environ = serving.environs[sio.get_sid()]

        assert not [key for key in environ if key.startswith("HTTP_")]
        assert "QUERY_STRING" not in environ  # nor the request's line
        assert environ["REMOTE_ADDR"]
        assert environ["asgi.scope"]["headers"] == []
        assert environ["asgi.scope"]["client"][0] == "127.0.0.1"  # what Herald reads of it
