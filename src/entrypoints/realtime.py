"""Socket.IO connections: a valid token in the handshake, then the user's own room."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import socketio
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from adapters.socketio.payloads import user_room
from application.auth import InvalidToken
from entrypoints.auth import Authenticator

log = logging.getLogger("herald.realtime")


def attach_handlers(server: socketio.AsyncServer, authenticator: Authenticator) -> None:
    """Authenticate every handshake, and hang up on a socket when its token expires."""
    expiries: dict[str, asyncio.TimerHandle] = {}
    hang_ups: set[asyncio.Future[Any]] = set()  # keeps running disconnects referenced

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            identity = await authenticator.authenticate(token if isinstance(token, str) else "")
        except InvalidToken:
            raise SocketRefused("unauthorized") from None
        await server.enter_room(sid, user_room(identity.user_id))
        delay = (identity.expires_at - datetime.now(UTC)).total_seconds()
        loop = asyncio.get_running_loop()
        expiries[sid] = loop.call_later(max(delay, 0), _hang_up, sid)

    def _hang_up(sid: str) -> None:
        expiries.pop(sid, None)
        task = asyncio.ensure_future(server.disconnect(sid))
        hang_ups.add(task)
        task.add_done_callback(hang_ups.discard)
        task.add_done_callback(_log_failure)

    async def disconnect(sid: str, *args: Any) -> None:
        timer = expiries.pop(sid, None)
        if timer is not None:
            timer.cancel()

    server.on("connect", connect)
    server.on("disconnect", disconnect)


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not disconnect an expired socket: %s", task.exception())
