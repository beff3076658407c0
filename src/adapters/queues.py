"""A queue and a flag for what every connection keeps, at a fraction of asyncio's memory.

`asyncio.Queue` keeps three deques and an `asyncio.Event` with a fourth, and an empty deque holds
a block of 64 slots: about 0.7 KiB each. A connected socket kept ten of them: uvicorn's queue of
what the connection received (four) and its `writable` event (one), engine.io's queue of frames
(four, and one more for its waiting writers). That was 7.3 of the 37.6 KiB a socket cost the
server (bench/findings.md). These keep lists, 56 bytes while empty, and behave as asyncio's do
where the connections use them.
"""

from __future__ import annotations

import asyncio
from typing import Any


class Flag:
    """`asyncio.Event`'s `set`, `clear`, `is_set` and `wait`."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if not self._set:
            self._set = True
            for waiter in self._waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
            return True
        finally:
            self._waiters.remove(waiter)


class LightQueue:
    """An unbounded first-in first-out queue with `asyncio.Queue`'s methods: `put`,
    `put_nowait`, `get`, `get_nowait`, `qsize`, `empty`, `task_done` and `join`.

    As with asyncio's, a reader cancelled while it waits takes nothing: the item stays for the
    next one.
    """

    __slots__ = ("_getters", "_head", "_items", "_joiners", "_unfinished")

    def __init__(self) -> None:
        # The items from `_head` on; those before it were taken, and are dropped in one go
        # once they are half of the list.
        self._items: list[Any] = []
        self._head = 0
        self._getters: list[asyncio.Future[None]] = []
        self._unfinished = 0
        self._joiners: list[asyncio.Future[None]] = []

    def qsize(self) -> int:
        return len(self._items) - self._head

    def empty(self) -> bool:
        return self._head == len(self._items)

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        self._unfinished += 1
        self._wake_next_getter()

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        items, head = self._items, self._head
        if head == len(items):
            raise asyncio.QueueEmpty
        item, items[head] = items[head], None
        head += 1
        if head == len(items):
            items.clear()
            head = 0
        elif head * 2 >= len(items):
            del items[:head]
            head = 0
        self._head = head
        return item

    async def get(self) -> Any:
        while self.empty():
            getter = asyncio.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                if getter in self._getters:
                    self._getters.remove(getter)
                elif not self.empty() and not getter.cancelled():
                    self._wake_next_getter()  # it was woken for an item it will not take
                raise
        return self.get_nowait()

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if not self._unfinished:
            for joiner in self._joiners:
                if not joiner.done():
                    joiner.set_result(None)
            self._joiners.clear()

    async def join(self) -> None:
        if self._unfinished:
            joiner = asyncio.get_running_loop().create_future()
            self._joiners.append(joiner)
            try:
                await joiner
            finally:
                if joiner in self._joiners:
                    self._joiners.remove(joiner)

    def _wake_next_getter(self) -> None:
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                return
