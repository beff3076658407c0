"""What the Socket.IO server keeps of a socket: pings that wait on timers of the loop, not in a
task per socket (they keep a client connected, as a python-socketio client drops a connection
that is not pinged in time, and a socket whose client stops answering them is still found gone),
and a handshake's environ without its request body."""

from __future__ import annotations

import asyncio
import contextlib

import socketio
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket

from adapters.socketio.server import SocketServer
from network import served_by_uvicorn

# Seconds between pings: the client is told whole seconds, and finds the server gone once a
# ping is INTERVAL + TIMEOUT late.
INTERVAL = 1
TIMEOUT = 1


def sleeping_pings() -> list[asyncio.Task[object]]:
    return [task for task in asyncio.all_tasks() if "_send_ping" in repr(task.get_coro())]


async def test_a_client_is_pinged_in_time_through_several_intervals_without_a_task_for_it() -> None:
    server = SocketServer(async_mode="asgi", ping_interval=INTERVAL, ping_timeout=TIMEOUT)
    pongs = 0

    @server.on("connect")  # type: ignore[misc]
    async def count_pongs(sid: str, environ: object) -> None:
        socket = server.eio.sockets[server.manager.eio_sid_from_sid(sid, "/")]
        schedule_ping = socket.schedule_ping

        def schedule_after_a_pong() -> None:  # engine.io calls it on each pong
            nonlocal pongs
            pongs += 1
            schedule_ping()

        socket.schedule_ping = schedule_after_a_pong

    client = socketio.AsyncClient(reconnection=False)
    disconnected = asyncio.Event()
    client.on("disconnect", disconnected.set)
    async with served_by_uvicorn(socketio.ASGIApp(server), lifespan="off") as port:
        await client.connect(f"http://127.0.0.1:{port}", transports=["websocket"], wait_timeout=10)
        try:
            # 3.5 intervals: the client would have dropped an unpinged connection after two.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(disconnected.wait(), INTERVAL * 3.5)
            assert client.connected
            assert not disconnected.is_set()
            assert pongs >= 2
            assert sleeping_pings() == []
        finally:
            await client.disconnect()


async def test_a_socket_whose_client_stops_answering_pings_is_closed() -> None:
    server = SocketServer(async_mode="asgi", ping_interval=0.01, ping_timeout=0.05)
    socket = AsyncSocket(server.eio, "eio-sid")
    server.eio.sockets["eio-sid"] = socket
    await server._handle_eio_connect("eio-sid", {})
    socket.schedule_ping()  # as engine.io does once the socket is connected

    async with asyncio.timeout(5):
        while socket.queue.empty():  # noqa: ASYNC110 - only the queue tells of the ping
            await asyncio.sleep(0.01)
    ping = socket.queue.get_nowait()
    assert socket.queue.empty()
    assert ping.packet_type == eio_packet.PING
    assert socket.last_ping is not None  # the time the ping went out, awaiting its pong
    await asyncio.sleep(0.1)  # no pong

    assert not await socket.check_ping_timeout()  # engine.io's check, before each send
    assert socket.closed


async def test_the_environ_kept_for_a_socket_drops_the_handshakes_request_body() -> None:
    # engine.io makes a class for each request's body: 2.4 KiB a socket, kept as long as it.
    server = SocketServer(async_mode="asgi")
    environ = {"wsgi.input": object(), "REMOTE_ADDR": "127.0.0.1", "HTTP_ORIGIN": "http://crm"}

    await server._handle_eio_connect("eio-sid", environ)

    assert server.environ["eio-sid"] == {"REMOTE_ADDR": "127.0.0.1", "HTTP_ORIGIN": "http://crm"}
