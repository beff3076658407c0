"""A unit of work presses its process's urgency (`adapters.urgency`) from its start until its
transaction ends, and at no other time: delivery puts smaller slices for that long (see
tests/adapters/test_delivery_while_urgent.py); and it tells the urgency how long it held the
outbox's turn."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from test_repository_contract import NOW

from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.repositories import SqlAlchemyEventLog, SqlAlchemyInboxRepository
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from adapters.urgency import Urgency
from builders import a_notification
from domain.events import NotificationsBulkUpdated, StoredEvent
from entrypoints.container import Container
from entrypoints.settings import Settings


class Watched(Urgency):
    def __init__(self) -> None:
        super().__init__()
        self.log: list[str] = []
        self.holds: list[float] = []
        self.on_held = self.holds.append

    def opened(self) -> None:
        super().opened()
        self.log.append("opened")

    def closed(self) -> None:
        super().closed()
        self.log.append("closed")

    def begin(self) -> float:
        since = super().begin()
        self.log.append("begin")
        return since

    def end(self, since: float | None = None) -> None:
        super().end(since)
        self.log.append("end")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def migrated_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"migrated_{request.param}_url")
    return url


@pytest.fixture
async def unit_of_work(migrated_url: str) -> AsyncIterator[tuple[SqlAlchemyUnitOfWork, Watched]]:
    engine = make_engine(migrated_url)
    urgency = Watched()
    yield SqlAlchemyUnitOfWork(make_session_factory(engine), urgency=urgency), urgency
    await engine.dispose()


async def test_it_presses_while_open_and_tells_how_long_the_turn_was_held(
    unit_of_work: tuple[SqlAlchemyUnitOfWork, Watched], monkeypatch: pytest.MonkeyPatch
) -> None:
    uow, urgency = unit_of_work
    pressing_as_events_were_written: list[bool] = []
    write_pending = SqlAlchemyEventLog.write_pending

    async def watched_write_pending(
        log: SqlAlchemyEventLog, inbox: SqlAlchemyInboxRepository
    ) -> list[StoredEvent]:
        written = await write_pending(log, inbox)
        pressing_as_events_were_written.append(urgency.pressing)  # the turn held until commit
        return written

    monkeypatch.setattr(SqlAlchemyEventLog, "write_pending", watched_write_pending)

    assert not urgency.pressing
    async with uow:
        assert urgency.pressing  # from the start: every round trip waits on the loop
        await uow.inbox.add(a_notification(NOW), ["bob", "carol"])
        assert urgency.log == ["opened"]  # the entries are written before the turn
        await uow.commit()
        assert urgency.log == ["opened", "begin", "end"]
    assert not urgency.pressing

    assert pressing_as_events_were_written == [True]
    assert urgency.log == ["opened", "begin", "end", "closed"]
    assert len(urgency.holds) == 1  # how long the turn was held, as it ended
    assert urgency.holds[0] > 0


async def test_a_commit_that_fails_under_the_turn_stops_pressing(
    unit_of_work: tuple[SqlAlchemyUnitOfWork, Watched], monkeypatch: pytest.MonkeyPatch
) -> None:
    uow, urgency = unit_of_work

    async def failing_write_pending(
        log: SqlAlchemyEventLog, inbox: SqlAlchemyInboxRepository
    ) -> list[StoredEvent]:
        await inbox.flush()  # the counts written under the turn, then the outbox fails
        raise RuntimeError("the outbox could not be written")

    monkeypatch.setattr(SqlAlchemyEventLog, "write_pending", failing_write_pending)

    async with uow:
        await uow.inbox.add(a_notification(NOW), ["bob"])
        with pytest.raises(RuntimeError, match="outbox"):
            await uow.commit()
        assert urgency.log == ["opened", "begin"]  # the transaction, and the turn, end
        assert urgency.pressing  # as the unit of work does

    assert urgency.log == ["opened", "begin", "end", "closed"]
    assert not urgency.pressing


async def test_a_unit_of_work_that_takes_no_turn_presses_while_open_and_holds_nothing(
    unit_of_work: tuple[SqlAlchemyUnitOfWork, Watched],
) -> None:
    uow, urgency = unit_of_work
    async with uow:
        assert await uow.users.get("nobody") is None
        assert urgency.pressing
        await uow.commit()

    assert urgency.log == ["opened", "closed"]
    assert urgency.holds == []
    assert not urgency.pressing


async def test_it_presses_from_a_turn_taken_by_the_use_case_itself(
    unit_of_work: tuple[SqlAlchemyUnitOfWork, Watched],
) -> None:
    """The bulk writes take the turn before reading the counts their events carry."""
    uow, urgency = unit_of_work
    async with uow:
        await uow.inbox.add(a_notification(NOW), ["bob"])
        await uow.events.take_turn()
        assert urgency.pressing
        await uow.events.take_turn()  # held already: nothing more
        await uow.commit()

    assert urgency.log == ["opened", "begin", "end", "closed"]


async def test_it_presses_when_writing_the_events_takes_the_turn(
    unit_of_work: tuple[SqlAlchemyUnitOfWork, Watched],
) -> None:
    """Events with no count to change: their ids are taken by the write itself."""
    uow, urgency = unit_of_work
    async with uow:
        await uow.events.add([NotificationsBulkUpdated("bob", 0)])
        await uow.commit()

    assert urgency.log == ["opened", "begin", "end", "closed"]


async def test_it_stops_pressing_even_if_the_session_fails_to_close(
    unit_of_work: tuple[SqlAlchemyUnitOfWork, Watched], monkeypatch: pytest.MonkeyPatch
) -> None:
    uow, urgency = unit_of_work
    close = AsyncSession.close

    async def close_then_fail(session: AsyncSession) -> None:
        await close(session)
        raise RuntimeError("the connection broke as it was given back")

    monkeypatch.setattr(AsyncSession, "close", close_then_fail)

    with pytest.raises(RuntimeError, match="given back"):
        async with uow:
            await uow.events.take_turn()

    assert urgency.log == ["opened", "begin", "end", "closed"]
    assert not urgency.pressing


async def test_a_commit_that_the_database_refuses_ends_the_turn_at_once(
    unit_of_work: tuple[SqlAlchemyUnitOfWork, Watched], monkeypatch: pytest.MonkeyPatch
) -> None:
    uow, urgency = unit_of_work

    async def refused(session: AsyncSession) -> None:
        raise RuntimeError("the database refused the commit")

    async with uow:
        await uow.inbox.add(a_notification(NOW), ["bob"])
        monkeypatch.setattr(AsyncSession, "commit", refused)
        with pytest.raises(RuntimeError, match="refused"):
            await uow.commit()
        assert urgency.log == ["opened", "begin", "end"]
        monkeypatch.undo()

    assert urgency.log == ["opened", "begin", "end", "closed"]
    assert not urgency.pressing


async def test_each_commit_of_one_unit_of_work_presses_for_its_own_turn(
    unit_of_work: tuple[SqlAlchemyUnitOfWork, Watched],
) -> None:
    uow, urgency = unit_of_work
    async with uow:
        await uow.inbox.add(a_notification(NOW), ["bob"])
        await uow.commit()
        await uow.inbox.add(a_notification(NOW), ["carol"])
        await uow.commit()

    assert urgency.log == ["opened", "begin", "end", "begin", "end", "closed"]
    assert len(urgency.holds) == 2


async def test_the_container_gives_its_units_of_work_the_urgency_that_delivery_heeds(
    migrated_sqlite_url: str,
) -> None:
    container = Container(settings=Settings(jwt_secret="s" * 32, database_url=migrated_sqlite_url))
    try:
        urgency = container.socketio_server().manager.urgency
        async with container.uow():
            assert urgency.pressing
        assert not urgency.pressing
    finally:
        await container.engine().dispose()


def test_each_hold_is_timed_as_it_ends_and_overlapping_holds_each_by_their_own_start() -> None:
    now = [10.0]
    urgency = Urgency(clock=lambda: now[0])
    holds: list[float] = []
    urgency.on_held = holds.append

    first = urgency.begin()
    now[0] = 10.5
    second = urgency.begin()  # one taking the turn as the other's end is on its way
    now[0] = 10.75
    urgency.end(first)
    assert urgency.pressing
    now[0] = 11.0
    urgency.end(second)

    assert holds == [0.75, 0.5]
    assert not urgency.pressing
    with pytest.raises(RuntimeError, match="without begin"):
        urgency.end()


def test_it_presses_while_any_unit_of_work_is_open() -> None:
    urgency = Urgency()
    urgency.opened()
    urgency.opened()
    urgency.closed()
    assert urgency.pressing

    urgency.closed()
    assert not urgency.pressing
    with pytest.raises(RuntimeError, match="without opened"):
        urgency.closed()
