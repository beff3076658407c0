"""The replay index's upkeep in the background of `herald serve`: after what the relay published,
at most once a period, never fatal."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.sqlalchemy.upkeep import UpkeepNotAllowed
from entrypoints.upkeep import ReplayIndexUpkeepLoop

WAIT_SECONDS = 5
QUIET_SECONDS = 0.1  # how long a loop that should do nothing is watched


class FakeMerge:
    """Stands in for `ReplayIndexUpkeep`: counts its runs, and fails the runs it is told to."""

    def __init__(self, failing_runs: tuple[int, ...] = (), error: Exception | None = None) -> None:
        self.runs = 0
        self._failing_runs = failing_runs
        self._error = error or ConnectionRefusedError("the database went away")
        self.ran = asyncio.Event()

    async def __call__(self) -> int:
        self.runs += 1
        self.ran.set()
        if self.runs in self._failing_runs:
            raise self._error
        return 1

    async def until(self, runs: int) -> None:
        async with asyncio.timeout(WAIT_SECONDS):
            while self.runs < runs:
                self.ran.clear()
                await self.ran.wait()


async def test_it_merges_once_events_were_published_and_not_before() -> None:
    merge = FakeMerge()
    loop = ReplayIndexUpkeepLoop(merge, every=60)
    loop.start()
    try:
        await asyncio.sleep(QUIET_SECONDS)
        assert merge.runs == 0
        loop.published()
        await merge.until(1)
    finally:
        await loop.stop()


async def test_what_is_published_within_a_period_waits_for_its_end() -> None:
    merge = FakeMerge()
    loop = ReplayIndexUpkeepLoop(merge, every=60)
    loop.start()
    try:
        loop.published()
        await merge.until(1)
        loop.published()
        loop.published()
        await asyncio.sleep(QUIET_SECONDS)
        assert merge.runs == 1
    finally:
        await loop.stop()


async def test_what_is_published_during_a_merge_or_its_pause_is_merged_next() -> None:
    merge = FakeMerge()
    loop = ReplayIndexUpkeepLoop(merge, every=0.01)
    loop.start()
    try:
        loop.published()
        await merge.until(1)
        loop.published()
        await merge.until(2)
        await asyncio.sleep(QUIET_SECONDS)
        assert merge.runs == 2  # nothing more was published
    finally:
        await loop.stop()


async def test_a_failed_merge_is_logged_and_tried_again_after_a_pause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    merge = FakeMerge(failing_runs=(1,))
    loop = ReplayIndexUpkeepLoop(merge, every=0.01)
    with caplog.at_level(logging.WARNING, logger="herald.delivery"):
        loop.start()
        try:
            loop.published()
            await merge.until(2)  # with nothing published since
        finally:
            await loop.stop()
    assert "could not merge the replay index's pending list" in caplog.text
    assert "the database went away" in caplog.text


async def test_where_the_user_may_not_merge_the_index_it_says_so_and_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    merge = FakeMerge(failing_runs=(1,), error=UpkeepNotAllowed("must be owner of index"))
    loop = ReplayIndexUpkeepLoop(merge, every=0.01)
    with caplog.at_level(logging.WARNING, logger="herald.delivery"):
        loop.start()
        try:
            loop.published()
            await merge.until(1)
            await asyncio.sleep(QUIET_SECONDS)
            loop.published()
            await asyncio.sleep(QUIET_SECONDS)
            assert merge.runs == 1
        finally:
            await loop.stop()
    assert "left to PostgreSQL to merge: must be owner of index" in caplog.text


async def test_stopping_lets_the_merge_under_way_finish_and_ends_there() -> None:
    started, finish = asyncio.Event(), asyncio.Event()
    finished = []

    async def slow_merge() -> int:
        started.set()
        await finish.wait()
        finished.append(True)
        return 1

    loop = ReplayIndexUpkeepLoop(slow_merge, every=60)
    loop.start()
    loop.published()
    async with asyncio.timeout(WAIT_SECONDS):
        await started.wait()
        stopping = asyncio.create_task(loop.stop())
        await asyncio.sleep(QUIET_SECONDS)
        assert not stopping.done()  # waiting for the merge
        finish.set()
        # Then it ends, well before the 2 s grace would run out, let alone the 60 s period.
        await asyncio.wait_for(stopping, timeout=1)
    assert finished == [True]
