"""An event handled as its frame is read (`SocketServer.on_now`): a plain function takes the
event in its usual form (the default namespace, one argument, no acknowledgement) over each
transport and on either WebSocket protocol; any other form of it still reaches its handler of
`on`, as python-socketio dispatches it; a plain handler's error is logged and its socket
stays connected."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import socketio

from adapters.socketio.server import SocketServer
from entrypoints.websocket import CoalescingWebSocketProtocol
from network import served_by_uvicorn

EVENT = "confirm"

# (uvicorn's WebSocket protocol, the client's transports): Herald's protocol, whose sockets
# read with no task of their own (`LeanSocket`); uvicorn's own, where engine.io reads; polling.
TRANSPORTS = {
    "herald's websocket": (CoalescingWebSocketProtocol, ["websocket"]),
    "uvicorn's websocket": ("websockets-sansio", ["websocket"]),
    "polling": ("websockets-sansio", ["polling"]),
}


class Heard:
    """What each handler of the event heard, as (handler, sid, arguments)."""

    def __init__(self, server: SocketServer) -> None:
        self.calls: list[tuple[str, str, tuple[Any, ...]]] = []
        self.arrived = asyncio.Event()
        self.messages = 0  # those Engine.IO's `message` event took (not read by `LeanSocket`)
        message = server.eio.handlers["message"]

        async def count(*args: Any) -> None:
            self.messages += 1
            await message(*args)

        server.eio.handlers["message"] = count
        server.on_now(EVENT, self.now)
        server.on(EVENT, self.dispatched)
        server.on(EVENT, self.dispatched, namespace="/other")

    def now(self, sid: str, data: Any) -> None:
        if data == "fail":
            self.arrived.set()
            raise RuntimeError("the handler failed")
        self.calls.append(("now", sid, (data,)))
        self.arrived.set()

    async def dispatched(self, sid: str, *args: Any) -> str:
        self.calls.append(("on", sid, args))
        self.arrived.set()
        return "answered"

    async def next(self) -> tuple[str, str, tuple[Any, ...]]:
        await asyncio.wait_for(self.arrived.wait(), 10)
        self.arrived.clear()
        return self.calls[-1]


@asynccontextmanager
async def connected(transport: str) -> AsyncIterator[tuple[socketio.AsyncClient, Heard, str]]:
    """A client connected to a fresh server (and to its namespace "/other"), what the server's
    handlers heard, and the client's sid in the default namespace."""
    protocol, transports = TRANSPORTS[transport]
    # A long poll ends within a ping interval: the server's shutdown waits for it.
    server = SocketServer(async_mode="asgi", async_handlers=False, ping_interval=1, ping_timeout=5)
    heard = Heard(server)
    client = socketio.AsyncClient(reconnection=False)
    async with served_by_uvicorn(socketio.ASGIApp(server), ws=protocol, lifespan="off") as port:
        await client.connect(
            f"http://127.0.0.1:{port}",
            transports=transports,
            namespaces=["/", "/other"],
            wait_timeout=10,
        )
        try:
            yield client, heard, client.get_sid("/")
        finally:
            await client.disconnect()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_event_in_its_usual_form_goes_to_the_plain_handler(transport: str) -> None:
    async with connected(transport) as (client, heard, sid):
        messages = heard.messages
        await client.emit(EVENT, {"eventId": 7})
        assert await heard.next() == ("now", sid, ({"eventId": 7},))
        # On Herald's protocol the socket's reader takes it, with no Engine.IO packet made.
        assert (heard.messages == messages) == (transport == "herald's websocket")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_every_other_form_of_it_goes_to_its_handler_of_on(transport: str) -> None:
    async with connected(transport) as (client, heard, sid):
        answer = await client.call(EVENT, {"eventId": 1}, timeout=10)  # an acknowledgement
        assert answer == "answered"
        assert heard.calls[-1] == ("on", sid, ({"eventId": 1},))
        heard.arrived.clear()

        await client.emit(EVENT, ({"eventId": 2}, "extra"))  # two arguments
        assert await heard.next() == ("on", sid, ({"eventId": 2}, "extra"))
        await client.emit(EVENT)  # none
        assert await heard.next() == ("on", sid, ())
        await client.emit(EVENT, b"\x01\x02")  # binary data
        assert await heard.next() == ("on", sid, (b"\x01\x02",))
        await client.emit(EVENT, {"eventId": 3}, namespace="/other")
        assert await heard.next() == ("on", client.get_sid("/other"), ({"eventId": 3},))
        await client.emit(EVENT, float("nan"))  # JSON that msgspec does not read
        handler, _, (nan,) = await heard.next()
        assert handler == "on"
        assert math.isnan(nan)

        assert [handler for handler, _, _ in heard.calls] == ["on"] * 6


async def test_a_plain_handlers_error_is_logged_and_its_socket_stays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with connected("herald's websocket") as (client, heard, sid):
        with caplog.at_level(logging.ERROR):
            await client.emit(EVENT, "fail")
            await asyncio.wait_for(heard.arrived.wait(), 10)
            heard.arrived.clear()
            await client.emit(EVENT, {"eventId": 4})
            assert await heard.next() == ("now", sid, ({"eventId": 4},))
        assert client.connected
        errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
        assert [record.getMessage() for record in errors] == [f"{EVENT} handler error"]


async def test_a_frame_nested_too_deep_to_read_leaves_the_socket_connected() -> None:
    async with connected("herald's websocket") as (client, heard, sid):
        deep = "[" * 1000 + "]" * 1000  # beyond msgspec's depth, and the standard library's
        await client.eio.send(f'2["{EVENT}",{deep}]')
        await client.emit(EVENT, {"eventId": 5})
        assert await heard.next() == ("now", sid, ({"eventId": 5},))
        assert client.connected


async def test_what_is_not_the_usual_form_from_a_connected_socket_is_left_to_python_socketio() -> (
    None
):
    server = SocketServer(async_mode="asgi")
    heard = Heard(server)
    eio_sid, elsewhere = "an-engine-io-session", "in-another-namespace-only"
    sid = await server.manager.connect(eio_sid, "/")
    await server.manager.connect(elsewhere, "/other")
    usual = f'2["{EVENT}",{{"eventId":1}}]'

    assert not server._handled_now(eio_sid, f'2["{EVENT}",{{"eventId":')  # not JSON
    assert not server._handled_now(eio_sid, f'2["{EVENT}",1e999999]')  # beyond msgspec
    assert not server._handled_now(eio_sid, f'2["{EVENT}",{"[" * 1000}{"]" * 1000}]')
    assert not server._handled_now(eio_sid, f'2["{EVENT}",1,2]')  # two arguments
    assert not server._handled_now(eio_sid, '2["another",{"eventId":1}]')  # not taken now
    assert not server._handled_now(eio_sid, '2["\\u0063onfirm",{"eventId":1}]')  # escaped
    assert not server._handled_now("no-such-session", usual)
    assert not server._handled_now(elsewhere, usual)  # not connected to the default namespace
    server._binary_packet[eio_sid] = object()  # a binary event waits for its attachments
    assert not server._handled_now(eio_sid, usual)
    del server._binary_packet[eio_sid]
    assert heard.calls == []

    assert server._handled_now(eio_sid, usual)
    assert heard.calls == [("now", sid, ({"eventId": 1},))]
