"""The inbox's deferred changes applied in the background of `herald serve`: markAllAsRead's
entries written soon after its answer, whatever fails meanwhile."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from uuid import uuid4

import pytest
import sqlalchemy as sa
from edge_support import SECRET

from adapters.sqlalchemy.migrations import upgrade_async
from adapters.sqlalchemy.tables import notification_recipients, read_marks
from application.commands import MarkAllAsReadCommand
from databases import create_postgres_database, drop_postgres_database
from domain.notifications import Notification, NotificationType
from entrypoints.container import Container
from entrypoints.deferred import DeferredChanges
from entrypoints.settings import Settings

WAIT_SECONDS = 5
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


class FakeApply:
    """Stands in for the use case: each run applies the changes of `waiting` users, one at a
    time, or fails when told to."""

    def __init__(self, waiting: int = 0, failing_runs: tuple[int, ...] = ()) -> None:
        self.waiting, self.runs = waiting, 0
        self._failing_runs = failing_runs
        self.ran = asyncio.Event()

    async def __call__(self) -> int:
        self.runs += 1
        self.ran.set()
        if self.runs in self._failing_runs:
            raise ConnectionRefusedError("the database went away")
        applied, self.waiting = min(self.waiting, 1), max(self.waiting - 1, 0)
        return applied


async def ran(fake: FakeApply, count: int) -> None:
    async with asyncio.timeout(WAIT_SECONDS):
        while fake.runs < count:
            fake.ran.clear()
            await fake.ran.wait()


async def test_a_local_commit_wakes_it_and_it_runs_until_nothing_waits() -> None:
    fake = FakeApply()
    loop = DeferredChanges(lambda: fake, poll_seconds=60)
    loop.start()
    try:
        await ran(fake, 1)  # at start, for what was left before
        fake.waiting = 3
        await loop.committed()
        await ran(fake, 5)  # three applied, then one that finds nothing
        await asyncio.sleep(0.05)
        assert (fake.runs, fake.waiting) == (5, 0)
    finally:
        await loop.stop()


async def test_it_polls_for_what_other_processes_left() -> None:
    fake = FakeApply()
    loop = DeferredChanges(lambda: fake, poll_seconds=0.01)
    loop.start()
    try:
        await ran(fake, 3)
    finally:
        await loop.stop()


async def test_a_failed_run_is_logged_and_tried_again_after_a_pause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeApply(waiting=1, failing_runs=(1,))
    loop = DeferredChanges(lambda: fake, poll_seconds=0.01, max_pause=0.02)
    with caplog.at_level(logging.WARNING, logger="herald.inbox"):
        loop.start()
        try:
            await ran(fake, 3)
        finally:
            await loop.stop()

    assert fake.waiting == 0
    assert any(
        "could not apply the inbox's deferred changes" in record.getMessage()
        for record in caplog.records
    )


@pytest.mark.postgres
async def test_mark_all_read_is_written_to_the_entries_soon_after_it_answers() -> None:
    url = await create_postgres_database()
    await upgrade_async(url)
    container = Container(settings=Settings(jwt_secret=SECRET, database_url=url))
    loop = container.deferred_changes()
    try:
        async with container.uow() as uow:
            for _ in range(3):
                notification = Notification(
                    uuid4(), NotificationType.COMMENT_ADDED, "A comment", "…", None, "alice", NOW
                )
                await uow.inbox.add(notification, ["bob"])
            await uow.commit()
        loop.start()
        answer = await container.mark_all_as_read()(MarkAllAsReadCommand("bob"))

        async with asyncio.timeout(WAIT_SECONDS):
            while await unread_entries(container) or await pending_marks(container):  # noqa: ASYNC110
                await asyncio.sleep(0.01)  # written by another task, in another transaction
        assert answer == 3
    finally:
        await loop.stop()
        await container.inbox_queries().close()
        await container.engine().dispose()
        await drop_postgres_database(url)


async def unread_entries(container: Container) -> int:
    async with container.engine().connect() as connection:
        unread = sa.not_(notification_recipients.c.is_read)
        count = await connection.scalar(
            sa.select(sa.func.count()).select_from(notification_recipients).where(unread)
        )
        return int(count or 0)


async def pending_marks(container: Container) -> int:
    async with container.engine().connect() as connection:
        count = await connection.scalar(sa.select(sa.func.count()).select_from(read_marks))
        return int(count or 0)
