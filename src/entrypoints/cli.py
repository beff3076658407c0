"""The `herald` command: serve, migrate, token, purge."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import socket
import sys
from collections.abc import Sequence
from datetime import timedelta
from types import FrameType
from typing import TextIO

from adapters.jwt.tokens import JwtTokenIssuer
from adapters.sqlalchemy import migrations
from adapters.sqlalchemy.engine import database_problem, make_engine
from application.retention.purge import PurgeResult
from domain.errors import InvalidInput
from domain.users import valid_user_id
from entrypoints.logs import configure_logging
from entrypoints.settings import Settings, SettingsError
from entrypoints.websocket import CoalescingWebSocketProtocol

MAX_TOKEN_LIFETIME = 10 * 366 * 24 * 3600  # ten years, in seconds
# Allocations between young collections in `herald serve` (Python's default is 700); see
# `settle_collector`. Measured in docs/benchmarks.md.
YOUNG_COLLECTION_EVERY = 5_000

log = logging.getLogger("herald")


class StartupError(Exception):
    """Herald cannot start, or a command cannot run; the message is the one line the operator
    sees."""


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        # `herald token` prints the token on stdout, so its logs go to stderr.
        settings = _settings(sys.stderr if args.run is _token else sys.stdout)
        args.run(settings, args)
    except (SettingsError, StartupError) as error:
        print(f"herald: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="herald", description="Herald, the CRM's notifications.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve HTTP, GraphQL and Socket.IO")
    serve.set_defaults(run=_serve)
    migrate = commands.add_parser("migrate", help="upgrade the database schema to the latest")
    migrate.set_defaults(run=_migrate)
    token = commands.add_parser("token", help="print a signed token for a user")
    token.add_argument(
        "subject", metavar="SUBJECT", type=_subject, help="the user id (the token's sub)"
    )
    token.add_argument("--name", help="the user's display name")
    token.add_argument("--email", help="the user's email address")
    token.add_argument(
        "--ttl", type=_lifetime, default=3600, help="lifetime in seconds (at most ten years)"
    )
    token.set_defaults(run=_token)
    purge = commands.add_parser("purge", help="delete notifications and events older than DAYS")
    purge.add_argument(
        "--older-than",
        metavar="DAYS",
        required=True,
        help="a whole number of days, at least 1 (a day of history is always kept)",
    )
    purge.set_defaults(run=_purge)
    return parser


def _settings(stream: TextIO) -> Settings:
    # Log with the defaults until the configuration itself has been read.
    configure_logging(stream=stream)
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format, stream=stream)
    return settings


def settle_collector() -> None:
    """The garbage collector set for a server that has started.

    What start-up built (the schema, the container, the routes) lives as long as the process:
    frozen out of the collector's generations, it is no longer walked by each full collection,
    which stalled every request behind it (docs/benchmarks.md: the reads' p99). A young
    collection runs every `YOUNG_COLLECTION_EVERY` allocations rather than 700: fewer of a
    burst's short-lived objects (a frame waiting in a socket's queue, a request half answered)
    are still alive when one runs, so fewer are carried into the old generation, whose growth
    sets off the full collections that stall the loop (docs/benchmarks.md).
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, middle, old)


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from entrypoints.app import create_app
    from entrypoints.container import Container

    listening = _listening_sockets(settings)
    asyncio.run(_prepare_database(settings))
    app = create_app(Container(settings=settings))
    settle_collector()
    log.info("Herald serves on http://%s (%s)", settings.listen_address, settings.environment)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again under the handler
    # it found: this one makes that a clean exit, status 0.
    signal.signal(signal.SIGTERM, _stopped)
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="on",
        ws=CoalescingWebSocketProtocol,
        # Only the trusted proxies' X-Forwarded-For / -Proto rewrite the client's address.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=list(settings.forwarded_allow_ips) or None,
        ws_per_message_deflate=settings.websocket_compression,
    )
    uvicorn.Server(config).run(sockets=listening)


def _listening_sockets(settings: Settings) -> list[socket.socket]:
    """The sockets `herald serve` listens on, bound before anything else starts, as asyncio's
    `create_server` binds them (each address of HERALD_HOST, IPv6 ones for IPv6 alone): an
    address that is not this machine's, or a port taken, is one line, not uvicorn's log."""
    address = settings.listen_address
    try:
        found = socket.getaddrinfo(
            settings.host, settings.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as error:
        raise StartupError(f"cannot listen on {address}: {error.strerror}") from None
    bound: list[socket.socket] = []
    try:
        for family, kind, protocol, _, where in dict.fromkeys(found):
            listening = socket.socket(family, kind, protocol)
            bound.append(listening)
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                listening.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            listening.bind(where)
    except OSError as error:
        for listening in bound:
            listening.close()
        raise StartupError(f"cannot listen on {address}: {error.strerror}") from None
    return bound


def _stopped(signum: int, frame: FrameType | None) -> None:
    log.info("Herald stopped")
    raise SystemExit(0)


async def _prepare_database(settings: Settings) -> None:
    """The embedded database is migrated on start; any other must already be at head."""
    if settings.is_sqlite:
        await _check_database(settings, require_current=False)
        await migrations.upgrade_async(settings.database_url)
    else:
        await _check_database(settings, require_current=True)


def _migrate(settings: Settings, args: argparse.Namespace) -> None:
    asyncio.run(_check_database(settings, require_current=False))
    migrations.upgrade(settings.database_url)
    log.info("the database schema is at %s", migrations.head_revision())


async def _check_database(settings: Settings, *, require_current: bool) -> None:
    engine = make_engine(settings.database_url)
    try:
        problem = await database_problem(engine)
        if problem:
            raise StartupError(f"the database is unreachable: {problem}")
        unknown = await migrations.unknown_revisions(engine)
        if unknown:  # neither upgraded nor served: its tables are not the ones this code knows
            raise StartupError(
                f"the database is at revision {', '.join(map(repr, unknown))}, which this"
                " version of Herald does not know (a newer Herald migrated it)"
            )
        if require_current and not await migrations.schema_is_current(engine):
            raise StartupError("the database schema is behind: run `herald migrate` first")
    finally:
        await engine.dispose()


def _token(settings: Settings, args: argparse.Namespace) -> None:
    issuer = JwtTokenIssuer(settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience)
    print(
        issuer.issue(
            args.subject, name=args.name, email=args.email, ttl=timedelta(seconds=args.ttl)
        )
    )


def _purge(settings: Settings, args: argparse.Namespace) -> None:
    days = _days(args.older_than)
    result = asyncio.run(_purge_database(settings, days))
    print(
        f"deleted {result.notifications} notifications and {result.events} events"
        f" older than {days} days; {result.entries} inbox entries went with the notifications"
    )


async def _purge_database(settings: Settings, days: int) -> PurgeResult:
    from sqlalchemy.exc import SQLAlchemyError

    from application.commands import PurgeOlderThanCommand
    from entrypoints.container import Container

    await _prepare_database(settings)
    container = Container(settings=settings)
    try:
        return await container.purge_older_than()(PurgeOlderThanCommand(days))
    except (SQLAlchemyError, OSError) as error:
        # Each batch is committed on its own: what was deleted before the failure stays so.
        raise StartupError(f"the purge stopped: {_one_line(error)}") from error
    finally:
        await container.engine().dispose()


def _one_line(error: Exception) -> str:
    cause = getattr(error, "orig", None) or error  # a DBAPIError's own text carries the SQL
    return f"{type(cause).__name__}: {' '.join(str(cause).split())}"[:300]


def _days(value: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9 and int(text) >= 1):
        raise StartupError(f"--older-than must be a whole number of days from 1, not {value!r}")
    return int(text)


def _lifetime(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_TOKEN_LIFETIME:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds from 1 to {MAX_TOKEN_LIFETIME}, not {value!r}"
        )
    return int(value)


def _subject(value: str) -> str:
    """A user id the server accepts as a token's `sub`."""
    try:
        return valid_user_id(value)
    except InvalidInput as error:
        raise argparse.ArgumentTypeError(error.message) from None
