"""Work that others queue behind, and the background work that steps aside for it."""

from __future__ import annotations


class Urgency:
    """Whether a unit of work of this process holds the outbox's turn, which every write that
    tells someone (each `createLead`) waits for, one after the other.

    The turn is held over a few round trips to the database, and each reply waits for its
    turn of the event loop. With the loop busy delivering a burst, a round trip took a loop
    iteration of 30 to 50 ms: the turn was held 140 ms at the median, so only 7 leads a second
    could commit, and the rest queued for seconds (docs/benchmarks.md). Delivery steps aside
    while the turn is held here, for `patience` seconds in a row at most.
    """

    def __init__(self, patience: float = 0.01) -> None:
        self.patience = patience
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
