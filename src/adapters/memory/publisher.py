"""A publisher that keeps what it was asked to publish, and a relay that keeps what commits
handed it, for tests to read."""

from __future__ import annotations

from collections.abc import Sequence

from domain.events import InboxEvent, StoredEvent


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[InboxEvent] = []
        self.event_ids: list[int] = []

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        self.published.extend(stored.event for stored in events)
        self.event_ids.extend(stored.id for stored in events)


class RecordingRelay:
    def __init__(self) -> None:
        self.handed: list[list[StoredEvent]] = []  # each commit's events

    async def committed(self, events: Sequence[StoredEvent]) -> None:
        self.handed.append(list(events))
