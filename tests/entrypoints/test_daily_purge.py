"""The daily purge of `herald serve`: started and stopped with the app, failures never fatal."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from dependency_injector import providers
from edge_support import make_container, served

from adapters.memory import InMemoryStore, InMemoryUnitOfWork
from application.commands import PurgeOlderThanCommand
from application.retention.purge import PurgeResult
from builders import a_notification
from entrypoints.retention import DailyPurge

WAIT_SECONDS = 5


class FakePurge:
    """Stands in for the use case: records each run, and fails those it is told to."""

    def __init__(self, failing_runs: tuple[int, ...] = ()) -> None:
        self.days: list[int] = []
        self._failing_runs = failing_runs
        self.ran = asyncio.Event()

    async def __call__(self, command: PurgeOlderThanCommand) -> PurgeResult:
        self.days.append(command.days)
        self.ran.set()
        if len(self.days) in self._failing_runs:
            raise ConnectionRefusedError("the database went away")
        return PurgeResult(notifications=2, entries=5, events=3)


async def runs(fake: FakePurge, count: int) -> None:
    async with asyncio.timeout(WAIT_SECONDS):
        while len(fake.days) < count:
            fake.ran.clear()
            await fake.ran.wait()


async def test_it_runs_shortly_after_start_then_at_every_interval() -> None:
    fake = FakePurge()
    daily = DailyPurge(lambda: fake, 30, first_run_after=0.05, every=0.01)

    daily.start()
    await asyncio.sleep(0.02)
    assert fake.days == []
    await runs(fake, 3)
    await daily.stop()
    stopped_at = len(fake.days)
    await asyncio.sleep(0.05)

    assert fake.days[:3] == [30, 30, 30]
    assert len(fake.days) == stopped_at


async def test_a_failed_run_is_logged_and_the_next_one_still_comes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakePurge(failing_runs=(1,))
    daily = DailyPurge(lambda: fake, 7, first_run_after=0, every=0.01)

    with caplog.at_level(logging.INFO, logger="herald.retention"):
        daily.start()
        await runs(fake, 2)
        await daily.stop()

    messages = [record.getMessage() for record in caplog.records]
    assert any("the daily purge failed" in message for message in messages)
    assert (
        "purged what is older than 7 days: 2 notifications, 3 events; 5 inbox entries went "
        "with the notifications"
    ) in messages


async def test_stopping_before_it_started_or_twice_is_harmless() -> None:
    daily = DailyPurge(lambda: FakePurge(), 30)
    await daily.stop()
    daily.start()
    await daily.stop()
    await daily.stop()


# With the app: the lifespan of `herald serve`, on the in-memory container


async def given_notifications(store: InMemoryStore, *ages: timedelta) -> list[UUID]:
    now = datetime.now(UTC)
    made = [a_notification(now - age) for age in ages]
    async with InMemoryUnitOfWork(store) as uow:
        for notification in made:
            await uow.inbox.add(notification, ["bob"])
        await uow.commit()
    return [notification.id for notification in made]


async def inbox(store: InMemoryStore) -> list[UUID]:
    async with InMemoryUnitOfWork(store) as uow:
        return [entry.notification.id for entry in await uow.inbox.newest("bob", 100)]


class ObservedDailyPurge(DailyPurge):
    """The daily purge, telling when a run is over."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ran = asyncio.Event()

    async def run_once(self) -> None:
        await super().run_once()
        self.ran.set()


async def test_serve_purges_what_is_older_than_retention_days_soon_after_start() -> None:
    container = make_container(retention_days=30)
    # The same wiring as the container's, without the wait before the first run.
    container.daily_purge.override(
        providers.Singleton(
            ObservedDailyPurge,
            container.purge_older_than.provider,
            container.settings.provided.retention_days,
            first_run_after=0,
        )
    )
    store = container.memory_store()
    _, recent = await given_notifications(store, timedelta(days=31), timedelta(days=29))

    async with served(container):
        async with asyncio.timeout(WAIT_SECONDS):
            await container.daily_purge().ran.wait()
        assert await inbox(store) == [recent]


async def test_serve_waits_before_its_first_purge_and_stops_it_on_shutdown() -> None:
    container = make_container(retention_days=30)
    store = container.memory_store()
    old, recent = await given_notifications(store, timedelta(days=31), timedelta(days=29))

    async with served(container):
        await asyncio.sleep(0.05)

    # The first run comes a while after start: this server stopped before then.
    assert await inbox(store) == [recent, old]
