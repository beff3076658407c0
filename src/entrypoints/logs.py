"""Logging to stdout: readable lines for people, or one JSON object per line for machines."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

import msgspec

from entrypoints.request_context import RequestIdFilter

CONSOLE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s%(request_suffix)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry).decode()


class ConsoleFormatter(logging.Formatter):
    """One line per record, ending with the request's id when there is one."""

    def __init__(self) -> None:
        super().__init__(CONSOLE_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request_suffix = f" [request {request_id}]" if request_id else ""
        return super().formatMessage(record)


class WireFilter(logging.Filter):
    """Drops the WebSocket library's wire lines: at DEBUG it logs every frame and handshake
    header it reads or writes ("< TEXT '…'", "< authorization: …", through uvicorn's logger),
    and a Socket.IO CONNECT or a graphql-transport-ws `connection_init` holds the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno <= logging.DEBUG
            and isinstance(record.msg, str)
            and record.msg.startswith(("< ", "> "))
            and record.name.startswith(("uvicorn", "websockets"))
        )


def configure_logging(
    level: str = "INFO", log_format: str = "console", stream: TextIO = sys.stdout
) -> None:
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(WireFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else ConsoleFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Per-request lines from the server and the socket libraries are noise at INFO.
    for noisy in ("uvicorn.access", "herald.socketio", "herald.engineio", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
