"""How many mutations a user may run per second: in this process, or across processes in Redis."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from entrypoints.settings import Settings

WINDOW_SECONDS = 1.0
USERS_TRACKED = 10_000  # beyond this, the user idle the longest is forgotten
REDIS_TIMEOUT_SECONDS = 0.5
WARN_EVERY_SECONDS = 60.0

log = logging.getLogger("herald.rate_limit")


class RateLimiter(Protocol):
    async def allow(self, key: str, cost: int = 1) -> bool:
        """Whether `key` may spend `cost` more now; if so, it is spent."""
        ...

    async def close(self) -> None: ...


class InMemoryRateLimiter:
    """At most `per_second` in any rolling second, per key (a sliding log of what was spent).

    Memory is bounded: a key holds at most `per_second` entries, and at most `max_keys` keys are
    kept, the least recently active being dropped first (they have long left the window).
    """

    def __init__(
        self,
        per_second: int,
        *,
        max_keys: int = USERS_TRACKED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit, self._max_keys, self._clock = per_second, max_keys, clock
        self._spent: OrderedDict[str, _Window] = OrderedDict()

    async def allow(self, key: str, cost: int = 1) -> bool:
        now = self._clock()
        window = self._spent.get(key)
        if window is None:
            window = self._spent[key] = _Window()
            if len(self._spent) > self._max_keys:
                self._spent.popitem(last=False)
        else:
            self._spent.move_to_end(key)
        window.forget_before(now - WINDOW_SECONDS)
        if window.total + cost > self._limit:
            return False
        window.spend(now, cost)
        return True

    async def close(self) -> None:
        self._spent.clear()

    def __len__(self) -> int:
        return len(self._spent)


class _Window:
    __slots__ = ("entries", "total")

    def __init__(self) -> None:
        self.entries: deque[tuple[float, int]] = deque()
        self.total = 0

    def forget_before(self, start: float) -> None:
        while self.entries and self.entries[0][0] <= start:
            self.total -= self.entries.popleft()[1]

    def spend(self, now: float, cost: int) -> None:
        self.entries.append((now, cost))
        self.total += cost


class RedisRateLimiter:
    """At most `per_second` per key in each clock second, counted in Redis for every process.

    A fixed window (INCRBY and EXPIRE in one transaction) costs one round trip; its price is that
    a burst straddling the turn of a second may reach twice the limit. When Redis does not answer,
    mutations are let through and a warning is logged: a rate limit must not turn an outage of
    Redis into an outage of every mutation.
    """

    def __init__(
        self,
        redis: Redis,
        per_second: int,
        *,
        prefix: str = "herald:rate:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis, self._limit, self._prefix, self._clock = redis, per_second, prefix, clock
        self._warned_at: float | None = None

    async def allow(self, key: str, cost: int = 1) -> bool:
        if cost > self._limit:
            return False
        window = int(self._clock())
        name = f"{self._prefix}{window}:{key}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incrby(name, cost)
                pipe.expire(name, 2 * int(WINDOW_SECONDS))
                spent, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            self._warn(error)
            return True
        return int(spent) <= self._limit

    async def close(self) -> None:
        await self._redis.aclose()

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("rate limit not enforced: Redis did not answer (%s)", type(error).__name__)


def make_rate_limiter(settings: Settings) -> RateLimiter:
    """Redis when `REDIS_URL` is set, so the limit holds across processes; else this process."""
    if settings.redis_url:
        redis = Redis.from_url(
            settings.redis_url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        return RedisRateLimiter(redis, settings.rate_limit_per_second)
    return InMemoryRateLimiter(settings.rate_limit_per_second)
