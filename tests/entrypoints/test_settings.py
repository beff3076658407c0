"""Settings from the environment: defaults, and one clear line for every bad value."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from entrypoints import settings
from entrypoints.settings import Settings, SettingsError

SECRET = "s" * 32


def test_the_defaults_are_the_contracts() -> None:
    settings = Settings.from_env({"JWT_SECRET": SECRET})

    assert settings.database_url == "sqlite+aiosqlite:///./herald.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 3001)
    assert settings.environment == "development"
    assert settings.cors_origins == ("http://localhost:3000",)
    assert (settings.log_level, settings.log_format) == ("INFO", "console")
    assert settings.redis_url is None
    assert settings.rate_limit_per_second == 20
    assert settings.max_sockets_per_user == 20
    assert settings.forwarded_allow_ips == ()
    assert settings.websocket_compression is False


def test_trusted_proxies_are_addresses_networks_or_any() -> None:
    settings = Settings.from_env(
        {"JWT_SECRET": SECRET, "FORWARDED_ALLOW_IPS": " 10.0.0.1, 192.168.0.0/16,::1 "}
    )
    trusting_any = Settings.from_env({"JWT_SECRET": SECRET, "FORWARDED_ALLOW_IPS": "*"})

    assert settings.forwarded_allow_ips == ("10.0.0.1", "192.168.0.0/16", "::1")
    assert trusting_any.forwarded_allow_ips == ("*",)


@pytest.mark.parametrize(
    "url", ["sqlite+aiosqlite:///./herald.db", "sqlite+aiosqlite:////var/lib/herald/herald.db"]
)
def test_a_sqlite_file_is_a_database_url(url: str) -> None:
    assert Settings.from_env({"JWT_SECRET": SECRET, "DATABASE_URL": url}).database_url == url


def test_websocket_compression_is_turned_on_by_name() -> None:
    settings = Settings.from_env({"JWT_SECRET": SECRET, "WEBSOCKET_COMPRESSION": "on"})

    assert settings.websocket_compression is True


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"HERALD_PORT": "²"}, "HERALD_PORT must be a port number"),
        ({"HERALD_PORT": "0"}, "HERALD_PORT must be a port number"),
        ({"HERALD_PORT": "70000"}, "HERALD_PORT must be a port number"),
        ({"HERALD_ENV": "staging"}, "HERALD_ENV must be one of"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be one of"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be a logging level"),
        ({"JWT_SECRET": "short"}, "at least 32 bytes"),
        ({"HERALD_ENV": "production", "JWT_SECRET": ""}, "JWT_SECRET is required"),
        ({"RATE_LIMIT_PER_SECOND": "-1"}, "RATE_LIMIT_PER_SECOND must be a positive integer"),
        ({"SOCKET_CONNECTS_PER_SECOND": "x"}, "SOCKET_CONNECTS_PER_SECOND must be a positive"),
        ({"DATABASE_URL": "mysql://db"}, "DATABASE_URL must start with"),
        (
            {"DATABASE_URL": "postgresql+asyncpg://herald:s3cret@@db:xx/herald"},
            "DATABASE_URL is not a database URL",
        ),
        ({"DATABASE_URL": "sqlite+aiosqlite:///:memory:"}, "not be an in-memory SQLite"),
        ({"DATABASE_URL": "sqlite+aiosqlite://"}, "not be an in-memory SQLite"),
        (
            {"DATABASE_URL": "sqlite+aiosqlite:///file::memory:?cache=shared&uri=true"},
            "not be an in-memory SQLite",
        ),
        (
            {"DATABASE_URL": "sqlite+aiosqlite:///file:herald?mode=memory&uri=true"},
            "not be an in-memory SQLite",
        ),
        ({"REDIS_URL": "notaurl"}, "REDIS_URL is not a Redis URL"),
        ({"REDIS_URL": "redis://redis:port/0"}, "REDIS_URL is not a Redis URL"),
        ({"REDIS_URL": "redis://:s3cret/x@redis:6379/0"}, "REDIS_URL is not a Redis URL"),
        ({"MAX_SOCKETS_PER_USER": "0"}, "MAX_SOCKETS_PER_USER must be a positive integer"),
        ({"FORWARDED_ALLOW_IPS": "proxy.internal"}, "FORWARDED_ALLOW_IPS must list IP"),
        ({"FORWARDED_ALLOW_IPS": "10.0.0.1/8"}, "FORWARDED_ALLOW_IPS must list IP"),
        ({"WEBSOCKET_COMPRESSION": "yes"}, "WEBSOCKET_COMPRESSION must be one of"),
    ],
)
def test_a_bad_value_is_one_clear_line(variables: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"JWT_SECRET": SECRET, **variables})

    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert "s3cret" not in str(refused.value)


def test_commands_started_together_on_a_fresh_clone_make_one_development_secret(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".herald" / "jwt-secret"
    start = threading.Barrier(8)

    def read_or_make() -> str:
        start.wait()
        return settings._development_secret(path)

    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: read_or_make(), range(8)))

    assert len(set(made)) == 1
    assert made[0] == path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["jwt-secret"]  # nothing left aside


def test_the_development_secret_is_made_where_files_cannot_be_hard_linked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: str, target: str) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(settings.os, "link", no_links)
    path = tmp_path / ".herald" / "jwt-secret"

    made = settings._development_secret(path)

    assert len(made) >= 32
    assert settings._development_secret(path) == made == path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["jwt-secret"]
