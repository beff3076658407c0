"""Unread counts are state, not history: under a burst each user gets about one count event per
window (one goes early only to keep event ids in order, below), and the last one sent is always
the current one.

Counts are sent at once when the user had none in the last window; otherwise the newest one
waits for the window's end, replacing any that waited before it. Event ids still increase for
every user: a waiting count is sent before any later event of its user, except before a
`notification:created`, whose own transaction always tells its recipients their new counts
(then the waiting count is dropped, and the newer one waits in its place). Every waiting count
goes at once when the sockets catch up on what this process counts as sent (`flush`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Container, Iterable
from typing import Any

WINDOW_SECONDS = 0.25

Payload = dict[str, Any]
Send = Callable[[Payload, list[str]], None]  # a count payload and the rooms it goes to


class CountCoalescer:
    """Decides, room by room (a room is one user's sockets), when a count event goes out."""

    def __init__(
        self,
        send: Send,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send, self._window, self._clock = send, window, clock
        self._last_sent: dict[str, float] = {}
        self._waiting: dict[str, Payload] = {}
        self._timer: asyncio.TimerHandle | None = None

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def waiting_rooms(self) -> Container[str]:
        """The rooms with a count waiting: a newer count for one replaces it, listened to or
        not, so that the last one sent is the current one."""
        return self._waiting

    def counts(self, payload: Payload, rooms: Iterable[str]) -> list[str]:
        """A count event for these rooms: the rooms it goes to now (the others wait)."""
        now, window = self._clock(), self._window
        now_rooms: list[str] = []
        for room in rooms:
            last = self._last_sent.get(room)
            if room in self._waiting or (last is not None and now - last < window):
                self._waiting[room] = payload
            else:
                self._last_sent[room] = now
                now_rooms.append(room)
        self._schedule()
        return now_rooms

    def created(self, rooms: Iterable[str]) -> None:
        """A new notification for these rooms: the counts its transaction carries replace any
        waiting one."""
        if self._waiting:
            for room in rooms:
                self._waiting.pop(room, None)

    def before(self, rooms: Iterable[str]) -> None:
        """Any other event for these rooms: their waiting counts go out first, to keep event ids
        increasing."""
        if self._waiting:
            self._flush([room for room in rooms if room in self._waiting], self._clock())

    def flush(self) -> None:
        """Sends every waiting count now, whether its window has ended or not."""
        if self._waiting:
            self._flush(list(self._waiting), self._clock())

    def due(self) -> None:
        """Sends the waiting counts whose window has ended; forgets rooms quiet for a window."""
        self._timer = None
        now, window = self._clock(), self._window
        ready = [
            room
            for room in self._waiting
            if now - self._last_sent.get(room, now - window) >= window
        ]
        self._flush(ready, now)
        quiet = [room for room, last in self._last_sent.items() if now - last >= window]
        for room in quiet:
            if room not in self._waiting:
                del self._last_sent[room]
        self._schedule()

    def _flush(self, rooms: list[str], now: float) -> None:
        by_payload: dict[int, tuple[Payload, list[str]]] = {}
        for room in rooms:
            payload = self._waiting.pop(room)
            self._last_sent[room] = now
            by_payload.setdefault(id(payload), (payload, []))[1].append(room)
        for payload, payload_rooms in by_payload.values():
            self._send(payload, payload_rooms)

    def _schedule(self) -> None:
        if self._timer is None and (self._waiting or self._last_sent):
            if self._waiting:
                delay = min(
                    self._window - (self._clock() - self._last_sent[room]) for room in self._waiting
                )
            else:
                delay = self._window
            self._timer = asyncio.get_running_loop().call_later(max(delay, 0.0), self.due)
