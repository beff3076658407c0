"""What a WebSocket connection sends in one turn of the event loop leaves in one write, in order;
closing writes what waits first, aborting drops it, and a closing connection gets nothing more.
Then the same through uvicorn's protocol, on a real connection, what that protocol keeps of
a connection once its handshake is done, and its writes in the turn they are asked for."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import weakref
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame

from adapters.queues import Flag, LightQueue
from adapters.socketio.server import DIRECT_WRITES
from entrypoints.websocket import CoalescingTransport, CoalescingWebSocketProtocol
from network import served_by_uvicorn


class Transport:
    """A transport that keeps what is written to it."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closing = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        assert not self.closing
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = self.aborted = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1234) if name == "peername" else default


@pytest.fixture
def transport() -> Transport:
    return Transport()


@pytest.fixture
async def coalescing(transport: Transport) -> CoalescingTransport:
    return CoalescingTransport(transport, asyncio.get_running_loop())  # type: ignore[arg-type]


async def test_what_is_written_in_one_turn_leaves_in_one_write_in_order(
    transport: Transport, coalescing: CoalescingTransport
) -> None:
    for frame in (b"one", b"two", b"three"):
        coalescing.write(frame)
    assert transport.writes == []

    await asyncio.sleep(0)

    assert transport.writes == [b"onetwothree"]


async def test_each_turn_has_a_write_of_its_own(
    transport: Transport, coalescing: CoalescingTransport
) -> None:
    coalescing.write(b"one")
    await asyncio.sleep(0)
    coalescing.write(b"two")
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # nothing more to write

    assert transport.writes == [b"one", b"two"]


async def test_closing_writes_what_waits_first(
    transport: Transport, coalescing: CoalescingTransport
) -> None:
    coalescing.write(b"last frame")
    coalescing.close()
    await asyncio.sleep(0)

    assert transport.writes == [b"last frame"]
    assert transport.closing


async def test_aborting_drops_what_waits(
    transport: Transport, coalescing: CoalescingTransport
) -> None:
    coalescing.write(b"frame")
    coalescing.abort()
    await asyncio.sleep(0)

    assert transport.writes == []
    assert transport.aborted


async def test_a_connection_closing_meanwhile_gets_nothing_more(
    transport: Transport, coalescing: CoalescingTransport
) -> None:
    coalescing.write(b"frame")
    transport.close()  # the peer went away
    await asyncio.sleep(0)

    assert transport.writes == []


async def test_connections_written_to_in_one_turn_are_flushed_by_one_callback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    transports = [Transport() for _ in range(3)]
    connections = [CoalescingTransport(each, loop) for each in transports]  # type: ignore[arg-type]
    scheduled: list[Any] = []
    call_soon = loop.call_soon
    monkeypatch.setattr(
        loop,
        "call_soon",
        lambda *args, **kwargs: scheduled.append(args) or call_soon(*args, **kwargs),
    )

    for number, connection in enumerate(connections):
        connection.write(b"frame %d" % number)
        connection.write(b" and its count")
    monkeypatch.undo()

    assert len(scheduled) == 1
    await asyncio.sleep(0)
    assert [each.writes for each in transports] == [
        [b"frame %d and its count" % number] for number in range(3)
    ]


class BrokenTransport(Transport):
    """A transport whose connection broke as it was written to."""

    def write(self, data: bytes) -> None:
        raise OSError("the connection broke")


async def test_a_write_that_fails_is_reported_and_the_others_still_leave() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    other = Transport()
    try:
        CoalescingTransport(BrokenTransport(), loop).write(b"frame")  # type: ignore[arg-type]
        CoalescingTransport(other, loop).write(b"frame")  # type: ignore[arg-type]
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)

    assert other.writes == [b"frame"]
    assert [type(context["exception"]) for context in reported] == [OSError]


async def test_a_connection_closed_in_the_turn_others_are_written_to_is_written_once(
    transport: Transport, coalescing: CoalescingTransport
) -> None:
    other = Transport()
    later = CoalescingTransport(other, asyncio.get_running_loop())  # type: ignore[arg-type]
    coalescing.write(b"last frame")
    later.write(b"frame")
    coalescing.close()  # writes what waits, and is never written to again (`Transport.write`)
    await asyncio.sleep(0)

    assert transport.writes == [b"last frame"]
    assert other.writes == [b"frame"]


async def test_a_write_after_a_flush_in_the_same_turn_leaves_at_its_end(
    transport: Transport, coalescing: CoalescingTransport
) -> None:
    coalescing.write(b"one")
    coalescing.flush()
    coalescing.write(b"two")
    assert transport.writes == [b"one"]

    await asyncio.sleep(0)

    assert transport.writes == [b"one", b"two"]


def run_a_loop_that_writes(*, flushed: bool) -> weakref.ref[asyncio.AbstractEventLoop]:
    """A loop that writes a frame to a connection, then stops, after the frame's flush or just
    before it, and is closed; a weak reference to it."""
    loop = asyncio.new_event_loop()
    transport = Transport()
    transport.loop = loop  # type: ignore[attr-defined]  # as asyncio's transports keep theirs

    def write() -> None:
        CoalescingTransport(transport, loop).write(b"frame")  # type: ignore[arg-type]
        if not flushed:
            loop.stop()  # before the turn that would flush it

    loop.call_soon(write)
    if flushed:
        loop.call_soon(loop.call_soon, loop.stop)
    loop.run_forever()
    loop.close()
    assert transport.writes == ([b"frame"] if flushed else [])
    return weakref.ref(loop)


@pytest.mark.parametrize("flushed", [True, False], ids=["flushed", "closed-with-a-flush-due"])
def test_a_loop_is_not_kept_by_the_writes_to_its_connections(flushed: bool) -> None:
    gone = run_a_loop_that_writes(flushed=flushed)
    gc.collect()

    assert gone() is None


def test_a_write_outside_a_running_loop_leaves_with_the_next_one() -> None:
    loop = asyncio.new_event_loop()
    transport = Transport()
    coalescing = CoalescingTransport(transport, loop)  # type: ignore[arg-type]

    async def write_again() -> None:
        coalescing.write(b" two")
        await asyncio.sleep(0)

    try:
        with pytest.raises(RuntimeError):
            coalescing.write(b"one")
        loop.run_until_complete(write_again())
    finally:
        loop.close()

    assert transport.writes == [b"one two"]


async def test_the_rest_is_the_transports_own(coalescing: CoalescingTransport) -> None:
    assert coalescing.get_extra_info("peername") == ("127.0.0.1", 1234)
    assert not coalescing.is_closing()


# On a real connection ---------------------------------------------------------------------------

FRAMES = 50


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accepts a WebSocket, then sends FRAMES text frames in a row and closes."""
    if scope["type"] == "lifespan":
        while True:
            kind = (await receive())["type"]
            await send({"type": f"{kind}.complete"})
            if kind == "lifespan.shutdown":
                return
    assert scope["type"] == "websocket"
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    for number in range(FRAMES):
        await send({"type": "websocket.send", "text": f"frame {number}"})
    await send({"type": "websocket.close", "code": 1000})


class Writes:
    """Counts the writes to every connection's transport."""

    def __init__(self) -> None:
        self.count = 0


class Counted:
    def __init__(self, transport: asyncio.BaseTransport, writes: Writes) -> None:
        self._transport, self._writes = transport, writes

    def write(self, data: bytes) -> None:
        self._writes.count += 1
        self._transport.write(data)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


@contextlib.asynccontextmanager
async def served(
    writes: Writes,
    application: Any = app,
    protocols: list[CoalescingWebSocketProtocol] | None = None,
    **settings: Any,
) -> AsyncIterator[str]:
    """uvicorn serving `application`; each connection's protocol is added to `protocols`."""

    class Protocol(CoalescingWebSocketProtocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(Counted(transport, writes))  # type: ignore[arg-type]
            if protocols is not None:
                protocols.append(self)

    async with served_by_uvicorn(application, ws=Protocol, **settings) as port:
        yield f"ws://127.0.0.1:{port}/"


async def test_frames_sent_in_a_row_reach_the_client_whole_and_in_order_in_few_writes() -> None:
    writes = Writes()
    async with served(writes) as url, connect(url) as client:
        async with asyncio.timeout(10):
            received = [message async for message in client]

    assert received == [f"frame {number}" for number in range(FRAMES)]
    # The handshake's answer, the frames with the close frame: far fewer writes than frames.
    assert writes.count <= 3


async def accepted(scope: dict[str, Any], receive: Any, send: Any) -> bool:
    """A WebSocket's connection accepted (True), or the lifespan's events answered (False)."""
    if scope["type"] == "lifespan":
        await app(scope, receive, send)
        return False
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    return True


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accepts a WebSocket and sends back each text it receives, until the client leaves."""
    if not await accepted(scope, receive, send):
        return
    while (message := await receive())["type"] == "websocket.receive":
        text = message["text"]
        if text == "x-test":  # a header of the handshake, as the application's scope has it
            text = dict(scope["headers"])[b"x-test"].decode()
        await send({"type": "websocket.send", "text": f"echo {text}"})


async def test_a_connection_keeps_light_queues_and_not_its_handshake_and_still_works() -> None:
    protocols: list[CoalescingWebSocketProtocol] = []
    # uvicorn's own pings every 50 ms: a connection lives through several after its handshake.
    async with (
        served(Writes(), echo, protocols, ws_ping_interval=0.05, ws_ping_timeout=1) as url,
        connect(url, ping_interval=None, additional_headers={"X-Test": "kept"}) as client,
    ):
        async with asyncio.timeout(10):
            for number in range(3):
                await client.send(f"message {number}")
                assert await client.recv() == f"echo message {number}"
                await asyncio.sleep(0.1)
            await client.send("x-test")
            assert await client.recv() == "echo kept"
        [protocol] = protocols

        assert isinstance(protocol.queue, LightQueue)
        assert isinstance(protocol.writable, Flag)
        assert not hasattr(protocol, "request")  # the handshake's request and answer, let go
        assert not hasattr(protocol, "response")
        # websockets' parser keeps the request as long as the connection: emptied.
        assert not protocol.conn.parser.gi_frame.f_locals["request"].headers
        assert protocol.last_ping_rtt > 0  # a ping was answered


refused_after_closing: list[bool] = []


async def direct(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accepts a WebSocket, then writes through the connection's `DIRECT_WRITES` what each
    message asks: "text" and "bytes" a frame of each kind, "paused" a frame while the
    connection is paused (refused), "closed" one after the close frame (refused)."""
    if not await accepted(scope, receive, send):
        return
    connection = scope["extensions"][DIRECT_WRITES]
    while (message := await receive())["type"] == "websocket.receive":
        asked = message["text"]
        if asked == "text":
            taken = connection.write_now("a text")
        elif asked == "bytes":
            taken = connection.write_now(b"some bytes")
        elif asked == "paused":
            connection.pause_writing()  # as the transport does when the client reads slowly
            taken = connection.write_now("not now")
            connection.resume_writing()
        else:
            await send({"type": "websocket.close", "code": 1000})
            refused_after_closing.append(not connection.write_now("too late"))
            return
        await send({"type": "websocket.send", "text": f"{asked}: {taken}"})


async def test_a_connection_writes_a_frame_at_once_where_it_can_and_refuses_it_otherwise() -> None:
    async with served(Writes(), direct) as url, connect(url) as client:
        async with asyncio.timeout(10):
            await client.send("text")
            assert [await client.recv(), await client.recv()] == ["a text", "text: True"]
            await client.send("bytes")
            assert [await client.recv(), await client.recv()] == [b"some bytes", "bytes: True"]
            await client.send("paused")
            assert await client.recv() == "paused: False"  # "not now" was never written
            refused_after_closing.clear()
            await client.send("closed")
            with pytest.raises(ConnectionClosed):
                await client.recv()  # the close frame came, and nothing after it
    assert refused_after_closing == [True]


async def test_one_text_written_to_many_connections_is_framed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An event's text, one object for all its recipients (engine.io encodes a packet once).
    text = f"an event {uuid4()}"
    framed = frames_made_of(text, monkeypatch)

    async def shared(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not await accepted(scope, receive, send):
            return
        connection = scope["extensions"][DIRECT_WRITES]
        while (await receive())["type"] == "websocket.receive":
            assert connection.write_now(text)

    # Herald's default: no permessage-deflate, whatever the client offers.
    async with served(Writes(), shared, ws_per_message_deflate=False) as url:
        async with asyncio.timeout(10):
            for _ in range(3):
                async with connect(url, compression="deflate") as client:
                    assert not client.protocol.extensions
                    await client.send("send it")
                    assert await client.recv() == text

    assert framed == [text]


async def test_a_connection_that_compresses_frames_each_text_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    framed = frames_made_of("a text", monkeypatch)

    async with served(Writes(), direct, ws_per_message_deflate=True) as url:
        async with asyncio.timeout(10):
            for _ in range(2):
                async with connect(url, compression="deflate") as client:
                    assert client.protocol.extensions  # permessage-deflate, negotiated
                    await client.send("text")
                    assert [await client.recv(), await client.recv()] == ["a text", "text: True"]

    assert framed == ["a text", "a text"]  # compressed for each connection


def frames_made_of(text: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The server's frames of `text` made from now on (one entry for each)."""
    made: list[str] = []
    serialize = Frame.serialize

    def counted(frame: Frame, *, mask: bool, extensions: Any = None) -> bytes:
        if not mask and bytes(frame.data) == text.encode():  # a server's frame of it
            made.append(text)
        return serialize(frame, mask=mask, extensions=extensions)

    monkeypatch.setattr(Frame, "serialize", counted)
    return made
