"""The background relay: woken by commits, and what it reports of the events still waiting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork, RecordingPublisher
from application.delivery.relay_events import InOrder, RelayEvents
from domain.events import NotificationsBulkUpdated, StoredEvent
from entrypoints.container import Container
from entrypoints.delivery import BackgroundRelay
from entrypoints.settings import Settings

WAIT_SECONDS = 5


class Away(RecordingPublisher):
    """A publisher whose transport is down."""

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        raise ConnectionError("the transport is away")


async def one_run(background: BackgroundRelay, told: asyncio.Event) -> None:
    """Starts the background relay, wakes it, and stops it once `told` is set (by its report)."""
    background.start()
    try:
        await background.committed([])
        async with asyncio.timeout(WAIT_SECONDS):
            await told.wait()
    finally:
        await background.stop()


async def first_report(store: InMemoryStore, publisher: RecordingPublisher) -> tuple[int, int]:
    """What the background relay reports after its first run, and how many times it read the
    backlog for that (each read a unit of work of its own)."""
    async with InMemoryUnitOfWork(store) as uow:
        await uow.events.add([NotificationsBulkUpdated("bob", 1)])
        await uow.commit()
    reads = 0
    reported: list[int] = []
    told = asyncio.Event()

    class CountedBacklog(RelayEvents):
        async def backlog(self) -> int:
            nonlocal reads
            reads += 1
            return await super().backlog()

    def report(waiting: int) -> None:
        reported.append(waiting)
        told.set()

    background = BackgroundRelay(
        lambda: CountedBacklog(lambda: InMemoryUnitOfWork(store), publisher),
        poll_seconds=60,
        on_backlog=report,
    )
    await one_run(background, told)
    return reported[0], reads


async def test_a_run_reports_what_its_mark_read_of_the_backlog_without_reading_it_again() -> None:
    publisher = RecordingPublisher()

    assert await first_report(InMemoryStore(), publisher) == (0, 0)
    assert publisher.event_ids == [1]


async def test_a_run_that_published_nothing_reports_the_backlog_it_reads() -> None:
    assert await first_report(InMemoryStore(), Away()) == (1, 1)


async def published_calls(publisher: RecordingPublisher, *, waiting: bool = True) -> int:
    """How many times the background relay said it published, over one run (with an event
    `waiting` to be published, or none)."""
    store = InMemoryStore()
    if waiting:
        async with InMemoryUnitOfWork(store) as uow:
            await uow.events.add([NotificationsBulkUpdated("bob", 1)])
            await uow.commit()
    calls = 0
    told = asyncio.Event()

    def published() -> None:
        nonlocal calls
        calls += 1

    background = BackgroundRelay(
        lambda: RelayEvents(lambda: InMemoryUnitOfWork(store), publisher),
        poll_seconds=60,
        on_backlog=lambda _waiting: told.set(),
    )
    background.on_published = published
    await one_run(background, told)
    return calls


async def test_a_run_that_published_says_so() -> None:
    assert await published_calls(RecordingPublisher()) == 1


async def test_a_run_that_found_nothing_or_failed_says_nothing() -> None:
    assert await published_calls(RecordingPublisher(), waiting=False) == 0
    assert await published_calls(Away()) == 0


async def commit(store: InMemoryStore, background: BackgroundRelay, count: int) -> None:
    async with InMemoryUnitOfWork(store, relay=background) as uow:
        await uow.events.add([NotificationsBulkUpdated("bob", count)])
        await uow.commit()


async def test_the_only_publisher_publishes_a_commit_at_once_and_its_relay_marks_it() -> None:
    store, publisher = InMemoryStore(), RecordingPublisher()
    in_order = InOrder(publisher)
    marking = RelayEvents(lambda: InMemoryUnitOfWork(store), in_order)
    runs = [marking]
    background = BackgroundRelay(lambda: runs[0], poll_seconds=60, in_order=in_order)
    await commit(store, background, 1)  # not started: the relay's run publishes it
    assert await marking() == 1
    # From now on the relay's runs fail (their publisher is away): only the commit publishes.
    runs[0] = RelayEvents(lambda: InMemoryUnitOfWork(store), InOrder(Away()))
    background.start()

    await commit(store, background, 2)
    async with asyncio.timeout(WAIT_SECONDS):
        while publisher.event_ids != [1, 2]:  # noqa: ASYNC110 - the task publishes on its own
            await asyncio.sleep(0.001)
    assert store.state.published_through == 1  # published, not marked

    runs[0] = marking
    await background.stop()  # its last run marks it, and publishes it no more
    assert store.state.published_through == 2
    assert publisher.event_ids == [1, 2]


async def test_what_fails_to_be_published_at_commit_is_left_to_the_relay(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, publisher = InMemoryStore(), Away()
    in_order = InOrder(publisher)
    in_order.through = 0  # as after a relay's run that found nothing before
    background = BackgroundRelay(
        lambda: RelayEvents(lambda: InMemoryUnitOfWork(store), in_order),
        poll_seconds=60,
        in_order=in_order,
    )
    background.start()

    with caplog.at_level(logging.WARNING, logger="herald.delivery"):
        await commit(store, background, 1)  # answered: the failure is not the caller's
        async with asyncio.timeout(WAIT_SECONDS):
            while "not published at commit" not in caplog.text:  # noqa: ASYNC110 - logged by the task
                await asyncio.sleep(0.001)
    await background.stop()

    assert in_order.through == 0
    assert store.state.published_through == 0  # nothing marked: a later run publishes it


@pytest.mark.parametrize("redis_url", [None, "redis://127.0.0.1:1/0"], ids=["alone", "redis"])
def test_only_a_process_without_redis_publishes_at_commit(redis_url: str | None) -> None:
    settings = Settings(
        jwt_secret="s" * 32, database_url="sqlite+aiosqlite://", redis_url=redis_url
    )
    container = Container(settings=settings)

    in_order = container.in_order()

    if redis_url is None:  # the only publisher: the relay's runs go through it too
        assert isinstance(in_order, InOrder)
        assert container.relay_events()._publisher is in_order
    else:  # any process's relay may publish any event, through Redis
        assert in_order is None
        assert container.relay_events()._publisher is container.publisher()


async def test_a_relay_stopped_as_it_is_woken_stops() -> None:
    # On Python 3.11 `wait_for` swallowed a cancellation that came as the event it waited for
    # was set: the relay ran on, and `stop()` waited for it for ever.
    for _ in range(50):
        background = BackgroundRelay(
            lambda: RelayEvents(lambda: InMemoryUnitOfWork(InMemoryStore()), Away()),
            poll_seconds=60,
        )
        background.start()
        await asyncio.sleep(0)  # the relay waits to be woken
        await background.committed([])  # woken, and stopped in the same turn of the loop
        stopping = asyncio.create_task(background.stop())
        done, _ = await asyncio.wait({stopping}, timeout=WAIT_SECONDS)
        if not done:  # the relay ran on: cancelled once more, it ends, and so does the test
            for task in asyncio.all_tasks():
                if task.get_name() == "herald-relay":
                    task.cancel()
            await stopping
        assert done, "the relay did not stop"
