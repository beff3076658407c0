"""Configuration from the environment, checked once at start-up."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
from redis.connection import parse_url as parse_redis_url
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from adapters.email.message import DEFAULT_SENDER, parse_sender
from adapters.email.smtp import SmtpServer, parse_smtp_url

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./herald.db"
DEV_SECRET_FILE = Path(".herald/jwt-secret")
MIN_SECRET_BYTES = 32
ENVIRONMENTS = ("development", "production")
LOG_FORMATS = ("console", "json")
SWITCH = ("on", "off")
DEFAULT_RATE_LIMIT_PER_SECOND = 20
DEFAULT_RETENTION_DAYS = 90
DEFAULT_SOCKET_CONNECTS_PER_SECOND = 50
DEFAULT_MAX_SOCKETS_PER_USER = 20
DEFAULT_EMAIL_DELAY_SECONDS = 600

log = logging.getLogger("herald.settings")


class SettingsError(Exception):
    """A configuration value is unusable; the message is one line for the operator."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    jwt_secret: str
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = 3001
    cors_origins: tuple[str, ...] = ("http://localhost:3000",)
    log_level: str = "INFO"
    log_format: str = "console"
    rate_limit_per_second: int = DEFAULT_RATE_LIMIT_PER_SECOND
    socket_connects_per_second: int = DEFAULT_SOCKET_CONNECTS_PER_SECOND
    retention_days: int = DEFAULT_RETENTION_DAYS
    max_sockets_per_user: int = DEFAULT_MAX_SOCKETS_PER_USER
    # The proxies trusted to say who the client is (uvicorn's `forwarded_allow_ips`); empty:
    # none, and the peer's own address is the client's.
    forwarded_allow_ips: tuple[str, ...] = ()
    smtp: SmtpServer | None = None  # SMTP_URL; None: no email
    email_from: str = DEFAULT_SENDER
    email_delay_seconds: int = DEFAULT_EMAIL_DELAY_SECONDS
    public_url: str | None = None  # None: http://host:port ([host] for IPv6)

    @property
    def listen_address(self) -> str:
        """`host:port` as a URL writes it: an IPv6 host in brackets (`[::1]:3001`)."""
        try:
            bracketed = ipaddress.ip_address(self.host).version == 6
        except ValueError:  # a name, such as localhost
            bracketed = False
        return f"[{self.host}]:{self.port}" if bracketed else f"{self.host}:{self.port}"

    @property
    def public_base_url(self) -> str:
        """Where users reach Herald, for the links in emails; no trailing slash."""
        return self.public_url or f"http://{self.listen_address}"

    # permessage-deflate on Socket.IO's WebSocket: off unless asked for (see docs/benchmarks.md)
    websocket_compression: bool = False

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and check every variable of the contract's configuration table."""
        env = os.environ if env is None else env
        environment = _choice(env, "HERALD_ENV", "development", ENVIRONMENTS)
        return cls(
            database_url=_database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            redis_url=_redis_url(env.get("REDIS_URL") or None),
            jwt_secret=jwt_secret(env, production=environment == "production"),
            jwt_issuer=env.get("JWT_ISSUER") or None,
            jwt_audience=env.get("JWT_AUDIENCE") or None,
            environment=environment,
            host=env.get("HERALD_HOST") or "127.0.0.1",
            port=_port(env.get("HERALD_PORT") or "3001"),
            cors_origins=_origins(env.get("CORS_ORIGINS", "http://localhost:3000")),
            log_level=_log_level(env.get("LOG_LEVEL") or "INFO"),
            log_format=_choice(env, "LOG_FORMAT", "console", LOG_FORMATS),
            rate_limit_per_second=_positive_int(
                env,
                "RATE_LIMIT_PER_SECOND",
                DEFAULT_RATE_LIMIT_PER_SECOND,
            ),
            socket_connects_per_second=_positive_int(
                env,
                "SOCKET_CONNECTS_PER_SECOND",
                DEFAULT_SOCKET_CONNECTS_PER_SECOND,
            ),
            retention_days=_positive_int(
                env,
                "RETENTION_DAYS",
                DEFAULT_RETENTION_DAYS,
                "a positive integer (days)",
            ),
            max_sockets_per_user=_positive_int(
                env,
                "MAX_SOCKETS_PER_USER",
                DEFAULT_MAX_SOCKETS_PER_USER,
            ),
            forwarded_allow_ips=_trusted_proxies(env.get("FORWARDED_ALLOW_IPS")),
            smtp=_smtp(env.get("SMTP_URL")),
            email_from=_email_from(env.get("EMAIL_FROM")),
            email_delay_seconds=_positive_int(
                env,
                "EMAIL_DELAY_SECONDS",
                DEFAULT_EMAIL_DELAY_SECONDS,
                "a whole number from 1",
            ),
            public_url=_public_url(env.get("PUBLIC_URL")),
            websocket_compression=_choice(env, "WEBSOCKET_COMPRESSION", "off", SWITCH) == "on",
        )


def jwt_secret(env: Mapping[str, str], *, production: bool) -> str:
    """`JWT_SECRET`, else (in development only) the secret kept in `.herald/jwt-secret`."""
    secret = env.get("JWT_SECRET")
    if secret:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
        return secret
    if production:
        raise SettingsError("JWT_SECRET is required when HERALD_ENV=production")
    return _development_secret(DEV_SECRET_FILE)


def _development_secret(path: Path) -> str:
    if not path.exists() and _create_secret(path):
        log.warning("JWT_SECRET is not set: created a development secret in %s", path)
    else:
        log.warning("JWT_SECRET is not set: using the development secret in %s", path)
    secret = path.read_text().strip()
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(f"the development secret in {path} is shorter than 32 bytes")
    return secret


def _create_secret(path: Path) -> bool:
    """Writes a new secret at `path` unless one is there; whether this call wrote it. Written
    aside, then linked into place: commands started together (`serve` and `token` on a fresh
    clone) make one secret, and none of them reads it half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as aside:  # mode 0600
        aside.write(secrets.token_urlsafe(48))
    try:
        os.link(aside.name, path)
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: moved into place, if still free (two
        # commands started at the same instant there may each move one: the last one stays)
        if path.exists():
            return False
        os.replace(aside.name, path)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(aside.name)
    return True


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _database_url(url: str) -> str:
    if not url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        raise SettingsError(
            "DATABASE_URL must start with postgresql+asyncpg:// or sqlite+aiosqlite://"
        )
    try:
        parsed = make_url(url)  # its port read as a number too
    except (ArgumentError, ValueError):  # their messages may hold the password: not repeated
        raise SettingsError(
            "DATABASE_URL is not a database URL (scheme://user:password@host:port/database)"
        ) from None
    if parsed.get_backend_name() == "sqlite" and _in_memory(parsed.database, parsed.query):
        # Each pooled connection would open its own empty database: never migrated, no tables.
        raise SettingsError(
            "DATABASE_URL must not be an in-memory SQLite database: Herald needs a SQLite file"
            " (sqlite+aiosqlite:///./herald.db) or PostgreSQL"
        )
    return url


def _in_memory(database: str | None, query: Mapping[str, object]) -> bool:
    """Whether SQLite keeps this database in memory: no path, `:memory:`, or a `file:` URI of
    `mode=memory` or `:memory:`."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return True
    return database.startswith("file:") and query.get("mode") == "memory"


def _redis_url(url: str | None) -> str | None:
    if url is not None:
        try:
            parse_redis_url(url)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
        except ValueError:  # its message may hold the password (one with a `/` in it)
            raise SettingsError(
                "REDIS_URL is not a Redis URL (redis://[user:password@]host:port/db, rediss://…"
                " or unix://…)"
            ) from None
    return url


def _port(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 65536:
        raise SettingsError(f"HERALD_PORT must be a port number (1..65535), not {value!r}")
    return int(value)


def _origins(value: str) -> tuple[str, ...]:
    return tuple(origin.strip() for origin in value.split(",") if origin.strip())


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in logging.getLevelNamesMapping():
        raise SettingsError(f"LOG_LEVEL must be a logging level such as INFO, not {value!r}")
    return level


def _positive_int(
    env: Mapping[str, str], name: str, default: int, what: str = "a positive integer"
) -> int:
    """A rate per second, a cap, days or seconds: a positive integer (at most nine digits)."""
    value = env.get(name)
    text = (value or "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 9 and int(text) > 0):
        raise SettingsError(f"{name} must be {what}, not {value!r}")
    return int(text)


def _trusted_proxies(value: str | None) -> tuple[str, ...]:
    """Addresses or networks (`10.0.0.0/8`), comma-separated, or `*` for any peer."""
    entries = tuple(entry.strip() for entry in (value or "").split(",") if entry.strip())
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry)
        except ValueError:
            raise SettingsError(
                f"FORWARDED_ALLOW_IPS must list IP addresses or networks, or be *, not {entry!r}"
            ) from None
    return entries


def _smtp(value: str | None) -> SmtpServer | None:
    if not (value or "").strip():
        return None
    try:
        return parse_smtp_url(value or "")
    except ValueError as error:  # its message never repeats the URL: it may hold a password
        raise SettingsError(str(error)) from None


def _email_from(value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        return DEFAULT_SENDER
    try:
        parse_sender(text)
    except ValueError:
        raise SettingsError(
            f"EMAIL_FROM must be one address, as in 'Herald <herald@example.com>', not {text!r}"
        ) from None
    return text


def _public_url(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  # raises on a port that is not a number
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username is not None
        or any(char.isspace() for char in text)
    ):
        raise SettingsError(
            f"PUBLIC_URL must be an http:// or https:// address such as https://herald.example.com,"
            f" not {text!r}"
        )
    return text.rstrip("/")
