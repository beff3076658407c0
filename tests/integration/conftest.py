"""Integration fixtures: the same test on SQLite and PostgreSQL, or on those and in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork, RecordingRelay
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.ports import UnitOfWork

NewUnitOfWork = Callable[[], UnitOfWork]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind; a sync fixture, so that it may pick an async one."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest) -> str | None:
    """A migrated database of each kind, or None for the in-memory adapters."""
    if request.param == "memory":
        return None
    url: str = request.getfixturevalue(f"migrated_{request.param}_url")
    return url


@pytest.fixture
def relay() -> RecordingRelay:
    """The relay of the units of work under test: keeps what each commit handed it."""
    return RecordingRelay()


@pytest.fixture
async def new_uow(backend_url: str | None, relay: RecordingRelay) -> AsyncIterator[NewUnitOfWork]:
    """Makes a fresh unit of work on the backend under test, as each use-case call would; what
    its commits hand their relay is in `relay`."""
    if backend_url is None:
        store = InMemoryStore()
        yield lambda: InMemoryUnitOfWork(store, relay=relay)
        return
    engine = make_engine(backend_url)
    session_factory = make_session_factory(engine)
    yield lambda: SqlAlchemyUnitOfWork(session_factory, relay=relay)
    await engine.dispose()
