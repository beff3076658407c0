"""The ping of a pooled PostgreSQL connection: which failures replace the connection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.exc import InvalidatePoolError

from adapters.sqlalchemy.engine import _connected, _ping


class Driver:
    def __init__(self, error: Exception | None, *, closed: bool) -> None:
        self.error, self.closed, self.queries = error, closed, 0

    async def execute(self, query: str) -> str:
        self.queries += 1
        if self.error is not None:
            raise self.error
        return query

    def is_closed(self) -> bool:
        return self.closed


class Adapted:
    """What SQLAlchemy's asyncpg dialect hands the pool's events: the driver's connection, and
    a way to run its coroutines."""

    def __init__(self, driver: Driver) -> None:
        self.driver_connection = driver

    def run_async(self, call: Callable[[Driver], Awaitable[Any]]) -> Any:
        coroutine = call(self.driver_connection)
        try:
            coroutine.send(None)
        except StopIteration as done:
            return done.value
        raise AssertionError("the ping waited for something")  # pragma: no cover


class Record:
    def __init__(self) -> None:
        self.info: dict[str, Any] = {}


def test_a_connection_that_answers_is_kept() -> None:
    driver = Driver(None, closed=False)

    _ping(Adapted(driver), Record(), None)  # type: ignore[arg-type]

    assert driver.queries == 1


def test_a_new_connection_is_not_pinged_at_its_first_checkout() -> None:
    driver, record = Driver(None, closed=False), Record()
    _connected(Adapted(driver), record)  # type: ignore[arg-type]

    _ping(Adapted(driver), record, None)  # type: ignore[arg-type]
    _ping(Adapted(driver), record, None)  # type: ignore[arg-type]

    assert driver.queries == 1


@pytest.mark.parametrize(
    "driver",
    [
        Driver(RuntimeError("connection is closed"), closed=True),
        Driver(ConnectionResetError("reset by peer"), closed=False),
    ],
    ids=["closed", "network-error"],
)
def test_a_closed_connection_is_replaced_and_the_pool_made_again(driver: Driver) -> None:
    with pytest.raises(InvalidatePoolError):
        _ping(Adapted(driver), Record(), None)  # type: ignore[arg-type]


def test_any_other_failure_is_raised_as_it_is() -> None:
    driver = Driver(ValueError("not a disconnection"), closed=False)

    with pytest.raises(ValueError, match="not a disconnection"):
        _ping(Adapted(driver), Record(), None)  # type: ignore[arg-type]
