"""The Redis server of the tests: its URL, and a skip (or a failure) when it does not answer."""

from __future__ import annotations

import os

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

REDIS_URL = os.environ.get("HERALD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def redis_url() -> str:
    """`REDIS_URL` of the test server, once it has answered a PING."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        reason = f"Redis is not available ({type(error).__name__}: {error})"
        if os.environ.get("HERALD_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        await client.aclose()
    return REDIS_URL
