"""Integration fixtures: the same test on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind; a sync fixture, so that it may pick an async one."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url
