"""Mutations are rate-limited per user: in this process, or across processes through Redis."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

import pytest
from dependency_injector import providers
from edge_support import SECRET, Caller, callers, make_container
from redis.asyncio import Redis

from entrypoints.container import Container
from entrypoints.rate_limit import InMemoryRateLimiter, RedisRateLimiter, make_rate_limiter
from entrypoints.settings import Settings, SettingsError
from redis_service import redis_url

RATE_LIMITED = {
    "errors": [{"message": "Too many requests", "extensions": {"code": "RATE_LIMITED"}}]
}
CREATE_LEAD = 'mutation { createLead(input: {name: "Acme"}) { id } }'


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# The limiter on its own


async def test_the_limit_is_per_rolling_second_and_per_key() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(3, clock=clock)

    first = [await limiter.allow("alice") for _ in range(4)]
    other = await limiter.allow("bob")
    clock.now += 0.5
    still_refused = await limiter.allow("alice")
    clock.now += 0.5
    again = await limiter.allow("alice")

    assert first == [True, True, True, False]
    assert other is True
    assert still_refused is False
    assert again is True


async def test_a_cost_beyond_what_is_left_is_refused_and_not_spent() -> None:
    limiter = InMemoryRateLimiter(5, clock=Clock())

    assert await limiter.allow("alice", 4) is True
    assert await limiter.allow("alice", 2) is False
    assert await limiter.allow("alice", 1) is True
    assert await limiter.allow("alice", 1) is False


async def test_memory_is_bounded_by_the_users_kept() -> None:
    limiter = InMemoryRateLimiter(1, max_keys=100, clock=Clock())

    for user in range(1_000):
        await limiter.allow(f"user-{user}")

    assert len(limiter) == 100


@pytest.fixture
async def redis_limiters() -> AsyncIterator[tuple[RedisRateLimiter, RedisRateLimiter]]:
    url = await redis_url()
    prefix = f"herald:test:{uuid.uuid4().hex}:"
    clock = Clock(1_700_000_000.25)
    # Two limiters, two connections: two processes as far as Redis can tell.
    first = RedisRateLimiter(Redis.from_url(url), 3, prefix=prefix, clock=clock)
    second = RedisRateLimiter(Redis.from_url(url), 3, prefix=prefix, clock=clock)
    yield first, second
    await first.close()
    await second.close()


async def test_with_redis_the_limit_holds_across_processes(
    redis_limiters: tuple[RedisRateLimiter, RedisRateLimiter],
) -> None:
    first, second = redis_limiters

    answers = [
        await first.allow("alice"),
        await second.allow("alice"),
        await first.allow("alice"),
        await second.allow("alice"),
        await first.allow("bob"),
    ]

    assert answers == [True, True, True, False, True]


async def test_with_redis_a_cost_over_the_limit_is_refused(
    redis_limiters: tuple[RedisRateLimiter, RedisRateLimiter],
) -> None:
    first, _ = redis_limiters

    assert await first.allow("alice", 4) is False
    assert await first.allow("alice", 3) is True


async def test_when_redis_does_not_answer_mutations_go_through_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    limiter = RedisRateLimiter(unreachable, 1)

    with caplog.at_level(logging.WARNING, logger="herald.rate_limit"):
        answers = [await limiter.allow("alice") for _ in range(3)]
    await limiter.close()

    assert answers == [True, True, True]
    assert len(caplog.records) == 1


async def test_redis_is_used_when_redis_url_is_set() -> None:
    with_redis = make_rate_limiter(Settings(jwt_secret=SECRET, redis_url="redis://127.0.0.1:6379"))
    without = make_rate_limiter(Settings(jwt_secret=SECRET))

    assert isinstance(with_redis, RedisRateLimiter)
    assert isinstance(without, InMemoryRateLimiter)
    await with_redis.close()


# The setting


@pytest.mark.parametrize(("value", "expected"), [(None, 20), ("", 20), ("5", 5), (" 100 ", 100)])
def test_rate_limit_per_second_is_read_from_the_environment(
    value: str | None, expected: int
) -> None:
    env = {"JWT_SECRET": SECRET} | ({} if value is None else {"RATE_LIMIT_PER_SECOND": value})

    assert Settings.from_env(env).rate_limit_per_second == expected


@pytest.mark.parametrize("value", ["0", "-1", "ten", "1.5", "²", "9" * 5000])
def test_a_rate_limit_that_is_not_a_positive_integer_is_one_clear_line(value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"JWT_SECRET": SECRET, "RATE_LIMIT_PER_SECOND": value})

    message = str(refused.value)
    assert message.startswith("RATE_LIMIT_PER_SECOND must be a positive integer")
    assert "\n" not in message


# Through GraphQL


@pytest.fixture
def container() -> Container:
    made = make_container()
    frozen = InMemoryRateLimiter(made.settings().rate_limit_per_second, clock=Clock())
    made.rate_limiter.override(providers.Object(frozen))  # every request in the same instant
    return made


@pytest.fixture
async def alice_and_bob(container: Container) -> AsyncIterator[tuple[Caller, Caller]]:
    alice, bob = callers(container, "alice", "bob")
    yield alice, bob
    await alice.aclose()
    await bob.aclose()


async def _lead_count(caller: Caller) -> int:
    return len((await caller.data("{ leads(limit: 100) { id } }"))["leads"])


async def test_the_21st_mutation_in_a_second_is_refused_and_others_are_not_held_up(
    alice_and_bob: tuple[Caller, Caller],
) -> None:
    alice, bob = alice_and_bob

    allowed = [(await alice.post(CREATE_LEAD)).status_code for _ in range(20)]
    refused = await alice.post(CREATE_LEAD)
    bobs = await bob.post(CREATE_LEAD)
    unread = await alice.data("{ getUnreadCount }")

    assert allowed == [200] * 20
    assert refused.status_code == 429
    assert refused.json() == RATE_LIMITED
    assert refused.headers["Retry-After"] == "1"
    assert bobs.status_code == 200
    assert "errors" not in bobs.json()
    assert unread == {"getUnreadCount": 1}  # Bob's lead; queries are not limited
    assert await _lead_count(alice) == 21  # the refused one never ran


async def test_mutations_refused_are_counted_in_the_metrics_by_name_and_outcome(
    alice_and_bob: tuple[Caller, Caller],
) -> None:
    alice, _ = alice_and_bob

    allowed = [
        (await alice.post("mutation Named { markAllAsRead }")).status_code for _ in range(20)
    ]
    refused = [
        await alice.post("mutation Named { markAllAsRead }"),
        await alice.post("mutation { markAllAsRead }"),
    ]
    series = (await alice.http.get("/metrics")).text.splitlines()

    assert allowed == [200] * 20
    assert [response.status_code for response in refused] == [429, 429]
    operations = "herald_graphql_operations_total"
    assert f'{operations}{{operation="Named",outcome="ok"}} 20.0' in series
    assert f'{operations}{{operation="Named",outcome="RATE_LIMITED"}} 1.0' in series
    assert f'{operations}{{operation="(anonymous)",outcome="RATE_LIMITED"}} 1.0' in series


async def test_aliased_mutations_are_each_counted(alice_and_bob: tuple[Caller, Caller]) -> None:
    alice, _ = alice_and_bob

    def aliased(count: int) -> str:
        fields = " ".join(
            f'l{i}: createLead(input: {{name: "L{i}"}}) {{ id }}' for i in range(count)
        )
        return f"mutation {{ {fields} }}"

    too_many = await alice.post(aliased(21))
    twenty = await alice.post(aliased(20))
    one_more = await alice.post("mutation { ...M } fragment M on Mutation { markAllAsRead }")

    assert too_many.status_code == 429
    assert twenty.status_code == 200
    assert one_more.json() == RATE_LIMITED
    assert await _lead_count(alice) == 20
