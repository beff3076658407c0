"""A socket's queue of frames hands each frame to a waiting writer through a future: engine.io's
writer waits through `asyncio.wait_for`, which on Python 3.11 starts a task for a coroutine but
not for a future. Order, timeouts and `task_done` stay as with `asyncio.Queue`."""

from __future__ import annotations

import asyncio
import sys

import pytest
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket
from engineio.exceptions import QueueEmpty

from adapters.queues import LightQueue
from adapters.socketio.server import FrameQueue, SocketQueue, SocketServer


async def test_a_frame_already_queued_is_had_at_once_in_order() -> None:
    queue = FrameQueue()
    queue.put_nowait("first")
    queue.put_nowait("second")

    assert await queue.get() == "first"
    assert await queue.get() == "second"
    assert queue.empty()


async def test_a_waiting_reader_is_handed_the_next_frame_and_nothing_stays_queued() -> None:
    queue = FrameQueue()
    reader = queue.get()
    assert not reader.done()

    queue.put_nowait("frame")

    assert await reader == "frame"
    assert queue.empty()
    queue.task_done()
    await asyncio.wait_for(queue.join(), 1)  # every frame taken was counted done


async def test_a_frame_put_before_a_second_reader_is_not_given_to_the_first() -> None:
    queue = FrameQueue()
    abandoned = queue.get()
    abandoned.cancel()

    queue.put_nowait("frame")
    queue.put_nowait("next")

    assert [await queue.get(), await queue.get()] == ["frame", "next"]


async def test_readers_waiting_together_are_served_in_the_order_they_came() -> None:
    # Two long-polling requests of one session may wait at once.
    queue = FrameQueue()
    first, second = queue.get(), queue.get()

    queue.put_nowait("one")
    queue.put_nowait("two")

    assert [await first, await second] == ["one", "two"]
    assert queue.empty()


async def test_the_servers_sockets_queue_their_frames_in_a_frame_queue_before_python_3_12() -> None:
    server = SocketServer(async_mode="asgi")
    socket = AsyncSocket(server.eio, "sid")

    assert type(socket.queue) is SocketQueue
    assert isinstance(socket.queue, FrameQueue if sys.version_info < (3, 12) else LightQueue)


async def test_a_writer_polling_an_empty_queue_waits_without_a_task_of_its_own() -> None:
    server = SocketServer(async_mode="asgi")
    socket = AsyncSocket(server.eio, "sid")
    tasks_before = len(asyncio.all_tasks())
    poll = asyncio.create_task(socket.poll())
    await asyncio.sleep(0)

    assert len(asyncio.all_tasks()) == tasks_before + 1  # the poll itself, nothing beside it
    first = eio_packet.Packet(eio_packet.MESSAGE, '2["one"]')
    second = eio_packet.Packet(eio_packet.MESSAGE, '2["two"]')
    socket.queue.put_nowait(first)
    socket.queue.put_nowait(second)

    assert await asyncio.wait_for(poll, 1) == [first, second]
    await asyncio.wait_for(socket.queue.join(), 1)


async def test_a_writer_whose_queue_stays_empty_past_the_ping_timeout_gives_up() -> None:
    server = SocketServer(async_mode="asgi", ping_interval=0.01, ping_timeout=0.01)
    socket = AsyncSocket(server.eio, "sid")

    with pytest.raises(QueueEmpty):
        await asyncio.wait_for(socket.poll(), 1)
    socket.queue.put_nowait(eio_packet.Packet(eio_packet.NOOP))
    assert socket.queue.qsize() == 1  # kept for the next poll
