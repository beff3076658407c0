"""Work that others queue behind, and the background work that makes way for it."""

from __future__ import annotations


class Urgency:
    """Whether a unit of work of this process holds the outbox's turn, which every write that
    tells someone (each `createLead`) waits for, one after the other.

    The turn is held over a few round trips to the database, and each reply waits for its
    turn of the event loop. With the loop busy delivering a burst, a round trip took a loop
    iteration of 30 to 50 ms: the turn was held 120 to 300 ms at the median, so fewer leads a
    second could commit than came, and the rest queued for seconds (docs/benchmarks.md).
    While it presses, delivery puts smaller slices of frames per turn of the loop, so that
    those turns stay shorter.
    """

    def __init__(self) -> None:
        self._held = 0

    @property
    def pressing(self) -> bool:
        return self._held > 0

    def begin(self) -> None:
        self._held += 1

    def end(self) -> None:
        if self._held == 0:
            raise RuntimeError("Urgency.end() without begin()")
        self._held -= 1
