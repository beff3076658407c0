"""A publisher that keeps what it was asked to publish, for tests to read."""

from __future__ import annotations

from collections.abc import Sequence

from domain.events import InboxEvent


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[InboxEvent] = []

    async def publish(self, events: Sequence[InboxEvent]) -> None:
        self.published.extend(events)
