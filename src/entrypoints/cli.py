"""The `herald` command: serve, migrate, token."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import timedelta
from types import FrameType
from typing import TextIO

from adapters.jwt.tokens import JwtTokenIssuer
from adapters.sqlalchemy import migrations
from adapters.sqlalchemy.engine import database_problem, make_engine
from entrypoints.logs import configure_logging
from entrypoints.settings import Settings, SettingsError

log = logging.getLogger("herald")


class StartupError(Exception):
    """Herald cannot start; the message is the one line the operator sees."""


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
    token.add_argument("subject", metavar="SUBJECT", help="the user id (the token's sub)")
    token.add_argument("--name", help="the user's display name")
    token.add_argument("--email", help="the user's email address")
    token.add_argument("--ttl", type=_positive_int, default=3600, help="lifetime in seconds")
    token.set_defaults(run=_token)
    return parser


def _settings(stream: TextIO) -> Settings:
    # Log with the defaults until the configuration itself has been read.
    configure_logging(stream=stream)
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format, stream=stream)
    return settings


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from entrypoints.app import create_app
    from entrypoints.container import Container

    asyncio.run(_prepare_database(settings))
    app = create_app(Container(settings=settings))
    log.info(
        "Herald serves on http://%s:%s (%s)", settings.host, settings.port, settings.environment
    )
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again under the handler
    # it found: this one makes that a clean exit, status 0.
    signal.signal(signal.SIGTERM, _stopped)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        ws="websockets-sansio",
    )


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


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {value!r}")
    return int(value)
