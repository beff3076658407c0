"""The holding manager keeps a room as a plain dict (sid → engine.io sid) where python-socketio
keeps a two-way `bidict`; the namespace's room of every socket stays python-socketio's, which
is read backwards. Everything python-socketio asks of rooms still holds."""

from __future__ import annotations

import pytest
import socketio
from bidict import bidict

from adapters.socketio.managers import HoldingManager
from adapters.socketio.payloads import user_room


@pytest.fixture
def manager() -> HoldingManager:
    manager = HoldingManager()
    socketio.AsyncServer(client_manager=manager, async_mode="asgi")
    return manager


async def test_a_sockets_rooms_are_dicts_and_the_namespaces_room_a_bidict(
    manager: HoldingManager,
) -> None:
    sid = await manager.connect("eio-1", "/")
    await manager.enter_room(sid, "/", user_room("ada"))

    rooms = manager.rooms["/"]
    assert type(rooms[None]) is bidict
    assert type(rooms[sid]) is not bidict
    assert rooms[sid] == {sid: "eio-1"}
    assert type(rooms[user_room("ada")]) is not bidict
    assert manager.sid_from_eio_sid("eio-1", "/") == sid
    assert manager.eio_sid_from_sid(sid, "/") == "eio-1"
    assert manager.is_connected(sid, "/")


async def test_the_sockets_sessions_are_read_off_a_plain_dict(manager: HoldingManager) -> None:
    # The frames' session check reads the dict inside the namespace's bidict (`_sessions`): a
    # bidict of another shape would leave it on the bidict's slower lookups, unseen.
    sid = await manager.connect("eio-1", "/")

    sessions = manager._sessions()

    assert type(sessions) is dict
    assert sessions == {sid: "eio-1"}


async def test_participants_rooms_and_leaving_are_as_python_socketios(
    manager: HoldingManager,
) -> None:
    first = await manager.connect("eio-1", "/")
    second = await manager.connect("eio-2", "/")
    room = user_room("ada")
    await manager.enter_room(first, "/", room)
    await manager.enter_room(second, "/", room)

    both = {(first, "eio-1"), (second, "eio-2")}
    assert set(manager.get_participants("/", room)) == both
    assert set(manager.get_participants("/", [room, first])) == both
    assert set(manager.get_rooms(first, "/")) == {first, room}

    await manager.leave_room(first, "/", room)
    assert list(manager.get_participants("/", room)) == [(second, "eio-2")]
    await manager.disconnect(second, "/")
    assert room not in manager.rooms["/"]
    assert second not in manager.rooms["/"]


async def test_a_sid_room_cannot_be_entered_by_another_socket(manager: HoldingManager) -> None:
    first = await manager.connect("eio-1", "/")
    second = await manager.connect("eio-2", "/")

    with pytest.raises(ValueError, match="sid room"):
        await manager.enter_room(second, "/", first)
    assert manager.rooms["/"][first] == {first: "eio-1"}
