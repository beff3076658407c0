"""Running a use case again when the database gave up its unit of work for a concurrent one."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from application.ports import ConcurrentUpdate

ATTEMPTS = 3

P = ParamSpec("P")
R = TypeVar("R")


def retried(use_case: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Wraps a use case's `__call__`: on `ConcurrentUpdate` it runs again from the start, in a
    new unit of work, at most `ATTEMPTS` times in all; the last conflict goes to the caller."""

    @functools.wraps(use_case)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for _ in range(ATTEMPTS - 1):
            try:
                return await use_case(*args, **kwargs)
            except ConcurrentUpdate:
                continue
        return await use_case(*args, **kwargs)

    return run
