"""The background relay: woken by commits, and what it reports of the events still waiting."""

from __future__ import annotations

import asyncio

from adapters.memory import InMemoryStore, InMemoryUnitOfWork, RecordingPublisher
from application.delivery.relay_events import RelayEvents
from domain.events import NotificationsBulkUpdated
from entrypoints.delivery import BackgroundRelay

WAIT_SECONDS = 5


class CountedBacklog(RelayEvents):
    """A relay that counts the backlog's reads (each a unit of work of its own)."""

    reads = 0

    async def backlog(self) -> int:
        CountedBacklog.reads += 1
        return await super().backlog()


async def test_a_run_reports_what_it_read_of_the_backlog_without_reading_it_again() -> None:
    store, publisher = InMemoryStore(), RecordingPublisher()
    async with InMemoryUnitOfWork(store) as uow:
        await uow.events.add([NotificationsBulkUpdated("bob", 1)])
        await uow.commit()
    reported: list[int] = []
    told = asyncio.Event()

    def report(waiting: int) -> None:
        reported.append(waiting)
        told.set()

    background = BackgroundRelay(
        lambda: CountedBacklog(lambda: InMemoryUnitOfWork(store), publisher),
        poll_seconds=60,
        on_backlog=report,
    )

    background.start()
    try:
        await background.committed()
        async with asyncio.timeout(WAIT_SECONDS):
            await told.wait()
    finally:
        await background.stop()

    assert publisher.event_ids == [1]
    assert reported[0] == 0
    assert CountedBacklog.reads == 0
