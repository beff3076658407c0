"""End to end: `herald serve`, `migrate` and `token` as an operator meets them."""

from __future__ import annotations

import asyncio
import socket
import stat
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from e2e_support import herald, herald_env, start_server, stop_server
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from adapters.sqlalchemy.migrations import upgrade

pytestmark = pytest.mark.e2e


def test_serve_works_with_no_configuration_and_accepts_herald_token(tmp_path: Path) -> None:
    env = {key: value for key, value in herald_env().items() if key != "JWT_SECRET"}
    env.pop("DATABASE_URL", None)
    server = start_server(env, cwd=tmp_path)
    try:
        token = herald("token", "alice", "--name", "Alice", env=env, cwd=tmp_path)
        response = httpx.post(
            f"{server.url}/graphql",
            json={"query": "{ getUnreadCount }"},
            headers={"Authorization": f"Bearer {token.stdout.strip()}"},
        )
    finally:
        stop_server(server.process)

    assert token.returncode == 0
    assert response.json() == {"data": {"getUnreadCount": 0}}
    assert (tmp_path / "herald.db").exists()
    secret = tmp_path / ".herald" / "jwt-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"HERALD_ENV": "staging"}, "HERALD_ENV must be one of development, production"),
        ({"HERALD_PORT": "http"}, "HERALD_PORT must be a port number"),
        ({"HERALD_ENV": "production", "JWT_SECRET": ""}, "JWT_SECRET is required"),
        ({"HERALD_ENV": "production", "JWT_SECRET": "short"}, "at least 32 bytes"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must start with"),
        ({"DATABASE_URL": "sqlite+aiosqlite:///:memory:"}, "not be an in-memory SQLite"),
        ({"RATE_LIMIT_PER_SECOND": "0"}, "RATE_LIMIT_PER_SECOND must be a positive integer"),
        ({"HERALD_HOST": "256.1.1.1"}, "cannot listen on 256.1.1.1:"),
        ({"HERALD_HOST": "nowhere.invalid"}, "cannot listen on nowhere.invalid:"),
        (
            {"DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/none"},
            "the database is unreachable",
        ),
    ],
)
def test_a_bad_setting_stops_serve_with_one_clear_line(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    result = herald("serve", env=herald_env(**variables), cwd=tmp_path)

    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_a_port_already_taken_stops_serve_with_one_clear_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = herald("serve", env=herald_env(HERALD_PORT=str(port)), cwd=tmp_path)

    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"herald: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "Traceback" not in result.stderr + result.stdout


def test_serve_refuses_a_postgresql_schema_that_is_behind_until_migrated(
    empty_postgres: str,
) -> None:
    env = herald_env(DATABASE_URL=empty_postgres)

    refused = herald("serve", env=env)
    migrated = herald("migrate", env=env)
    server = start_server(env)
    stop_server(server.process)

    assert refused.returncode != 0
    assert "herald migrate" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert migrated.returncode == 0


@pytest.fixture(params=["sqlite", "postgresql"])
def database_of_a_newer_herald(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database migrated to a revision that none of this code's scripts has."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("empty_postgres")
    upgrade(url)
    asyncio.run(_set_revision(url, "9999_future"))
    return url


async def _set_revision(url: str, revision: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE alembic_version SET version_num = :revision"),
                {"revision": revision},
            )
    finally:
        await engine.dispose()


@pytest.mark.parametrize("command", ["serve", "migrate", "purge"])
def test_a_database_a_newer_herald_migrated_is_refused_with_one_line(
    tmp_path: Path, database_of_a_newer_herald: str, command: str
) -> None:
    args = ["purge", "--older-than", "30"] if command == "purge" else [command]

    result = herald(*args, env=herald_env(DATABASE_URL=database_of_a_newer_herald), cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "herald: the database is at revision '9999_future', which this version of Herald does"
        " not know (a newer Herald migrated it)"
    )
    assert "Traceback" not in result.stdout


def test_token_prints_only_the_token(tmp_path: Path) -> None:
    result = herald("token", "bob", "--ttl", "60", env=herald_env(), cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout.count(".") == 2
    assert len(result.stdout.split()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bob", "--ttl", "999999999999999"], "--ttl: must be a number of seconds from 1 to"),
        (["bob", "--ttl", "0"], "--ttl: must be a number of seconds from 1 to"),
        ([""], "SUBJECT: must be 1..255 characters"),
        (["x" * 256], "SUBJECT: must be 1..255 characters"),
        (["bob\udcff"], "SUBJECT: must not contain NUL characters or lone surrogates"),
    ],
    ids=["ttl beyond any date", "ttl 0", "empty subject", "subject too long", "undecodable"],
)
def test_token_refuses_what_the_server_would_with_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = herald("token", *args, env=herald_env(), cwd=tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr
