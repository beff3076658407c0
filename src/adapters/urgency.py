"""Work that others queue behind, and the background work that makes way for it."""

from __future__ import annotations

import time
from collections.abc import Callable


class Urgency:
    """Whether a unit of work of this process is open: waiting on the database, round trip after
    round trip, each reply waiting for its turn of the event loop.

    With the loop busy delivering a burst, a round trip took a loop iteration of 30 to 50 ms:
    the outbox's turn, which every write that tells someone (each `createLead`) takes one after
    the other, was held 120 to 300 ms at the median, so fewer leads a second could commit than
    came, and the rest queued for seconds (docs/benchmarks.md). While it presses, delivery puts
    smaller slices of frames per turn of the loop, so that those turns stay shorter: from the
    unit of work's start, not only while it holds the outbox's turn, since its every round trip
    stands between a request and its answer (and the commit, and the frames after it), or, for
    the relay's runs and the other background work, between commits and their publishing.
    Under a burst some unit of work is nearly always open: delivery then goes in small slices
    throughout (it cost no measurable CPU at 20 leads a second, docs/benchmarks.md).

    Each hold of the outbox's turn (`begin` to `end`), as it ends, goes to `on_held` (seconds):
    the turn is taken by one unit of work at a time, so that when such writes come more often
    than one per hold, they queue.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._open = 0
        self._held = 0
        self._clock = clock
        self.on_held: Callable[[float], None] | None = None

    @property
    def pressing(self) -> bool:
        return self._open > 0 or self._held > 0

    def opened(self) -> None:
        """A unit of work began."""
        self._open += 1

    def closed(self) -> None:
        """A unit of work that began has ended."""
        if self._open == 0:
            raise RuntimeError("Urgency.closed() without opened()")
        self._open -= 1

    def begin(self) -> float:
        """A unit of work holds the outbox's turn; returns when, to be given back to `end`."""
        self._held += 1
        return self._clock()

    def end(self, since: float | None = None) -> None:
        """The unit of work no longer holds the turn it took at `since` (what `begin` returned);
        the hold's length goes to `on_held`."""
        if self._held == 0:
            raise RuntimeError("Urgency.end() without begin()")
        self._held -= 1
        if since is not None and self.on_held is not None:
            self.on_held(self._clock() - since)
