"""The Socket.IO handshake's bookkeeping: the sockets a user holds, and handshakes whose client
left while they were being checked (python-socketio calls no `disconnect` for those)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from edge_support import make_container, token
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from adapters.socketio.payloads import user_room
from entrypoints.catch_up import Missed
from entrypoints.container import Container, allowed_origin
from entrypoints.realtime import Realtime


@dataclass
class EngineSocket:
    closed: bool = False
    closing: bool = False


class Handshakes:
    """Handshakes on the container's Socket.IO server, without a network."""

    def __init__(self, container: Container) -> None:
        self.server = container.socketio_server()
        self.realtime: Realtime = container.realtime()
        self._numbers = itertools.count()

    async def open(self, user_id: str, *, client_left: bool = False) -> str:
        eio_sid = f"eio-{next(self._numbers)}"
        if not client_left:
            self.server.eio.sockets[eio_sid] = EngineSocket()
        sid: str = await self.server.manager.pre_connect(eio_sid, "/")
        environ = {"asgi.scope": {"client": ("192.0.2.7", 50000)}}
        await self.realtime.connect(sid, environ, {"token": token(user_id)})
        return sid


@pytest.fixture
def handshakes() -> Handshakes:
    return Handshakes(make_container(max_sockets_per_user=2))


async def test_a_user_past_the_cap_is_refused_until_one_of_their_sockets_leaves(
    handshakes: Handshakes,
) -> None:
    first = await handshakes.open("alice")
    await handshakes.open("alice")
    await handshakes.open("bob")

    with pytest.raises(SocketRefused) as refused:
        await handshakes.open("alice")
    await handshakes.realtime.disconnect(first)
    await handshakes.open("alice")

    assert refused.value.error_args == {"message": "too-many-connections"}
    assert handshakes.realtime.connected == 3  # alice twice, bob once


async def test_a_handshake_whose_client_left_meanwhile_keeps_no_slot(
    handshakes: Handshakes,
) -> None:
    for _ in range(3):
        with pytest.raises(SocketRefused):
            await handshakes.open("alice", client_left=True)

    await handshakes.open("alice")
    await handshakes.open("alice")

    assert handshakes.realtime.connected == 2


async def test_a_socket_is_in_its_users_room_by_the_time_its_handshake_is_answered(
    handshakes: Handshakes,
) -> None:
    # What the client does once told it is connected (a mutation, say) may publish at once:
    # its events must find the socket in the room, not a catch-up still to come.
    sid = await handshakes.open("alice")

    assert user_room("alice") in handshakes.server.rooms(sid)


async def test_a_client_that_leaves_while_now_is_read_keeps_no_slot(
    handshakes: Handshakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_now = Missed.start

    async def leave_then_read(missed: Missed) -> None:
        for socket in handshakes.server.eio.sockets.values():
            socket.closed = True
        await read_now(missed)

    monkeypatch.setattr(Missed, "start", leave_then_read)
    with pytest.raises(SocketRefused) as refused:
        await handshakes.open("alice")
    monkeypatch.undo()
    first = await handshakes.open("alice")
    await handshakes.open("alice")

    assert refused.value.error_args == {"message": "gone"}
    assert handshakes.realtime.connected == 2
    assert user_room("alice") in handshakes.server.rooms(first)


async def test_a_handshake_whose_database_read_fails_is_refused_and_keeps_no_slot(
    handshakes: Handshakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fail(missed: Missed) -> None:
        raise OSError("connection reset")

    monkeypatch.setattr(Missed, "start", fail)
    for _ in range(3):
        with pytest.raises(SocketRefused) as refused:
            await handshakes.open("alice")
        assert refused.value.error_args == {"message": "try-again"}
    monkeypatch.undo()
    await handshakes.open("alice")
    await handshakes.open("alice")

    assert handshakes.realtime.connected == 2


def test_sockets_open_from_the_configured_origins_and_from_herald_itself_only() -> None:
    allowed = allowed_origin(["http://localhost:3000"])
    own = {"HTTP_HOST": "127.0.0.1:3001", "wsgi.url_scheme": "http"}

    assert allowed("http://localhost:3000", own)
    assert allowed("http://127.0.0.1:3001", own)  # the page at `/`
    assert not allowed("http://evil.example", own)
    assert not allowed("https://127.0.0.1:3001", own)  # another scheme is another origin
    assert not allowed("http://127.0.0.1:3001", {})


def test_cors_origins_star_lets_sockets_open_from_any_origin_as_it_does_http() -> None:
    allowed = allowed_origin(["*"])

    assert allowed("http://crm.example", {})
    assert allowed("https://app.crm.example:8443", {"HTTP_HOST": "herald.internal"})
