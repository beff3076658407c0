"""Socket.IO connections: a valid token in the handshake, the user's own room, and catching up
on what a returning client missed."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from socketio.exceptions import ConnectionRefusedError as SocketRefused

from adapters.socketio.managers import HoldingManager
from adapters.socketio.payloads import user_room
from adapters.socketio.server import SocketServer
from adapters.timers import Scheduled, Timers
from application.auth import InvalidToken
from application.commands import ConfirmDeliveryCommand
from application.delivery.events_since import EventsSince
from application.notifications.confirm_delivery import ConfirmDelivery
from application.ports import ConcurrentUpdate, DatabaseBusy
from entrypoints.auth import Authenticator
from entrypoints.catch_up import Missed
from entrypoints.rate_limit import RateLimiter

log = logging.getLogger("herald.realtime")

DELIVERED = "notifications:delivered"  # from the client: {"eventId": N}
CONFIRM_EVERY_SECONDS = 1.0
MAX_EVENT_ID = 2**63 - 1  # event ids are 64-bit: a larger one confirms up to the newest


class DeliveryConfirmations:
    """Delivery confirmations, gathered per user and applied at most once a second.

    Confirmations are cumulative: of a user's confirmations within a second, only the highest
    matters. A flush applies every waiting user's highest in one unit of work (one statement on
    PostgreSQL, whatever the number of users); when it met a busy database, they wait for the
    next one. `close` applies what still waits.
    """

    def __init__(
        self,
        confirm_delivery: Callable[[], ConfirmDelivery],
        every: float = CONFIRM_EVERY_SECONDS,
    ) -> None:
        self._confirm_delivery, self._every = confirm_delivery, every
        self._waiting: dict[str, int] = {}  # user id → the highest event id confirmed
        self._last_flush: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def confirm(self, user_id: str, event_id: int) -> None:
        if self._closed:
            return
        if event_id > self._waiting.get(user_id, -1):
            self._waiting[user_id] = event_id
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None or self._flushing is not None or not self._waiting:
            return
        loop = asyncio.get_running_loop()
        delay = 0.0
        if self._last_flush is not None:
            delay = max(self._last_flush + self._every - loop.time(), 0.0)
        self._timer = loop.call_later(delay, self._start_flush)

    def _start_flush(self) -> None:
        self._timer = None
        self._flushing = asyncio.ensure_future(self.flush())
        self._flushing.add_done_callback(self._flushed)

    def _flushed(self, task: asyncio.Future[None]) -> None:
        self._flushing = None
        if not task.cancelled() and task.exception() is not None:
            log.warning("delivery confirmations failed: %s", task.exception())
        if not self._closed:
            self._schedule()

    async def flush(self) -> None:
        """Apply every waiting user's highest confirmation, once, all in one unit of work."""
        self._last_flush = asyncio.get_running_loop().time()
        waiting, self._waiting = self._waiting, {}
        if not waiting:
            return
        commands = [ConfirmDeliveryCommand(user, event_id) for user, event_id in waiting.items()]
        try:
            await self._confirm_delivery().all(commands)
        except (ConcurrentUpdate, DatabaseBusy):
            # Again at the next flush, unless a higher one came meanwhile.
            for user_id, event_id in waiting.items():
                if event_id > self._waiting.get(user_id, -1):
                    self._waiting[user_id] = event_id
        except Exception as error:
            log.warning("delivery confirmations of %d users not applied: %s", len(waiting), error)

    async def close(self) -> None:
        """Stop gathering, and apply what waits."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flushing is not None:
            await asyncio.wait([self._flushing])
        if self._waiting:
            await self.flush()


class Realtime:
    """The handlers of the default namespace, and the sockets this process serves."""

    def __init__(
        self,
        server: SocketServer,
        authenticator: Authenticator,
        events_since: Callable[[], EventsSince],
        connect_limiter: RateLimiter,
        max_sockets_per_user: int,
        confirmations: DeliveryConfirmations,
    ) -> None:
        self._server, self._authenticator, self._events_since = server, authenticator, events_since
        self._connect_limiter, self._max_sockets_per_user = connect_limiter, max_sockets_per_user
        self._manager: HoldingManager = server.manager
        self._users: dict[str, str] = {}  # sid → user id
        self._sockets_per_user: Counter[str] = Counter()
        self._expiries: dict[str, Scheduled] = {}  # each socket's token's expiry
        self._timers = Timers()
        self._handshaking: set[str] = set()  # sids whose handshake is not answered yet
        # sid → None while the socket catches up; an event id once it owes another pass after
        # it (the Redis listener was away meanwhile: see `catch_up_everyone`).
        self._catching_up: dict[str, int | None] = {}
        # sid → the newest event its client had when it connected (its lastEventId, or "now"):
        # nothing before it is owed to it live.
        self._starts: dict[str, int] = {}
        self._tasks: set[asyncio.Future[Any]] = set()  # keeps background work referenced
        self.confirmations = confirmations
        server.on("connect", self.connect)
        server.on("disconnect", self.disconnect)
        server.on(DELIVERED, self.delivered)
        # As each frame is read: a thousand clients confirm within a tenth of a second.
        server.on_now(DELIVERED, self.delivered_now)
        self._manager.on_resumed.append(self.catch_up_everyone)

    @property
    def connected(self) -> int:
        return len(self._users)

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if not await self._connect_limiter.allow(client_address(environ)):
            raise SocketRefused("rate-limited")
        auth = auth if isinstance(auth, dict) else {}
        token = auth.get("token")
        try:
            identity = await self._authenticator.authenticate(
                token if isinstance(token, str) else ""
            )
        except InvalidToken:
            raise SocketRefused("unauthorized") from None
        except (ConcurrentUpdate, DatabaseBusy):
            # Every handshake gets an answer: this one may be tried again.
            raise SocketRefused("try-again") from None
        last_event_id = auth.get("lastEventId")
        if last_event_id is not None and (
            not isinstance(last_event_id, int) or isinstance(last_event_id, bool)
        ):
            raise SocketRefused("lastEventId must be an integer")
        if self._left_meanwhile(sid):  # python-socketio would call no `disconnect` for it
            raise SocketRefused("gone")
        # The check and the reservation with no `await` between them: handshakes of one user
        # that arrive together cannot all pass the check before any of them is counted.
        if self._sockets_per_user[identity.user_id] >= self._max_sockets_per_user:
            raise SocketRefused("too-many-connections")
        self._sockets_per_user[identity.user_id] += 1
        self._users[sid] = identity.user_id
        self._handshaking.add(sid)
        try:
            missed = await self._join(sid, identity.user_id, last_event_id)
        except Exception as error:
            await self.disconnect(sid)  # python-socketio calls none for a refused handshake
            if not isinstance(error, ConcurrentUpdate | DatabaseBusy):
                log.warning("socket handshake failed: %s", error)
            raise SocketRefused("try-again") from None
        except BaseException:
            await self.disconnect(sid)
            raise
        finally:
            self._handshaking.discard(sid)
        if self._left_meanwhile(sid):  # while the room was joined and "now" read
            await self.disconnect(sid)
            raise SocketRefused("gone")
        delay = (identity.expires_at - datetime.now(UTC)).total_seconds()
        self._expiries[sid] = self._timers.call_later(max(delay, 0), partial(self._hang_up, sid))
        # What it missed is sent once the handshake is answered: the client is ready for it.
        self._starts[sid] = missed.through or 0
        self._start_catch_up(sid, missed)

    async def _join(self, sid: str, user_id: str, after: int | None) -> Missed:
        """Before the handshake is answered: the socket is in its user's room, what reaches it
        is held, and without `after` "now" is read. Whatever the client does once it is told
        it is connected then reaches it."""
        self._manager.hold(sid)
        missed = Missed(self._events_since(), user_id, after)
        await self._server.enter_room(sid, user_room(user_id))
        await missed.start()
        return missed

    async def disconnect(self, sid: str, *args: Any) -> None:
        user_id = self._users.pop(sid, None)
        if user_id is not None:
            self._sockets_per_user[user_id] -= 1
            if not self._sockets_per_user[user_id]:
                del self._sockets_per_user[user_id]
        self._manager.release(sid)
        self._catching_up.pop(sid, None)
        self._starts.pop(sid, None)
        timer = self._expiries.pop(sid, None)
        if timer is not None:
            timer.cancel()

    async def delivered(self, sid: str, *args: Any) -> None:
        """`notifications:delivered` in a form `delivered_now` is not handed as it is read (an
        acknowledgement asked for, JSON msgspec cannot read): the same, with one argument;
        anything else is dropped."""
        if len(args) == 1:
            self.delivered_now(sid, args[0])

    def delivered_now(self, sid: str, data: Any) -> None:
        """`notifications:delivered` `{"eventId": N}`: the socket's user received every new
        notification up to event N. Anything else is dropped quietly: a client's mistake is
        worth neither a disconnect nor a log line per frame."""
        user_id = self._users.get(sid)
        if user_id is None or not isinstance(data, dict):
            return
        event_id = data.get("eventId")
        if isinstance(event_id, int) and not isinstance(event_id, bool) and event_id >= 0:
            # A non-negative integer beyond any id confirms every event, as any id past the
            # newest does (marks never go past the newest notification's event).
            self.confirmations.confirm(user_id, min(event_id, MAX_EVENT_ID))

    async def close(self) -> None:
        """At shutdown: the confirmations that still wait are applied."""
        await self.confirmations.close()

    def _start_catch_up(self, sid: str, missed: Missed) -> None:
        """Hold the socket's live events from now on, and catch it up in the background."""
        self._manager.hold(sid)
        self._catching_up.setdefault(sid, None)  # owed a pass already, if told in its handshake
        self._background(self.catch_up(sid, missed))

    async def catch_up(self, sid: str, missed: Missed) -> None:
        """Send the socket what it `missed`, then live events, in order.

        Live events for the socket are held meanwhile (`_start_catch_up`); those it already has
        are dropped. When the Redis listener was away meanwhile, the history is read again
        before any event held since, so what it missed comes in order too.
        """
        failed = False
        try:
            while True:
                async for event, data in missed.messages():
                    await self._manager.send_now(sid, event, data)
                await self._send_held(sid, missed)
                after = self._catching_up.get(sid)
                if after is None or sid not in self._users:
                    break
                self._catching_up[sid] = None
                # From what it has: the history up to it, and what was held, heard before the
                # listener went away. After a resync the client refetches: from what it heard.
                since = after if missed.through is None else missed.through
                missed = Missed(self._events_since(), self._users[sid], self._since(sid, since))
        except Exception as error:
            # Sent nothing newer, and still held until it is gone: its client connects again
            # with the last event it has, and is caught up then, rather than left with a gap.
            failed = True
            log.warning("a socket's catch-up failed, its connection is closed: %s", error)
            self._close(sid)
        finally:
            self._catching_up.pop(sid, None)
            if sid not in self._users:  # it left meanwhile: nothing is kept for it
                self._manager.release(sid)
            elif not failed:  # a failed one stays held until it is gone
                self._manager.release(sid, floor=missed.through)

    async def _send_held(self, sid: str, missed: Missed) -> None:
        """Send what was held for the socket that it does not have yet, oldest first, until it
        owes another pass: what is held from then on may be newer than what it missed, and
        waits for that pass."""
        while self._catching_up.get(sid) is None and (held := self._manager.take_held(sid)):
            for event, data in held:
                if missed.is_new(data):
                    await self._manager.send_now(sid, event, data)
                    missed.through = data["eventId"]

    def _left_meanwhile(self, sid: str) -> bool:
        """Whether the client went away while its handshake was being checked."""
        eio_sid = self._manager.eio_sid_from_sid(sid, "/")
        socket = self._server.eio.sockets.get(eio_sid)
        return socket is None or socket.closed or socket.closing

    def catch_up_everyone(self, after: int) -> None:
        """After the Redis listener was away (`HoldingManager.resumed`, which put what waited
        first): every local socket catches up on the events after `after`."""
        for sid, user_id in list(self._users.items()):
            # One catch-up at a time: a socket catching up, or about to (its handshake may have
            # read "now" before the events missed were committed), reads the history again.
            if sid in self._catching_up or sid in self._handshaking:
                owed = self._catching_up.get(sid)
                self._catching_up[sid] = after if owed is None else min(owed, after)
                continue
            missed = Missed(self._events_since(), user_id, self._since(sid, after))
            self._start_catch_up(sid, missed)

    def _since(self, sid: str, after: int) -> int:
        """Where a catch-up of the socket starts: after `after`, after its start, and after the
        floor its last catch-up left (while it had nothing newer, it has every event up to it)."""
        return max(after, self._starts.get(sid, 0), self._manager.floor(sid) or 0)

    def _close(self, sid: str) -> None:
        """Drop the socket's connection: Socket.IO clients connect again by themselves after a
        lost connection (not after a server-side disconnect, nor promptly after engine.io's
        CLOSE packet, which a WebSocket client ignores)."""
        timer = self._expiries.pop(sid, None)
        if timer is not None:
            timer.cancel()
        eio_sid = self._manager.eio_sid_from_sid(sid, "/")
        socket = self._server.eio.sockets.pop(eio_sid, None)
        if socket is not None:
            self._background(_drop(socket))

    def _hang_up(self, sid: str) -> None:
        self._expiries.pop(sid, None)
        self._background(self._server.disconnect(sid))

    def _background(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("socket work failed: %s", task.exception())


async def _drop(socket: Any) -> None:
    """Close an engine.io socket without a word: its session ends (python-socketio calls
    `disconnect`), and the None queued after its frames closes the connection (engine.io's
    writer, or Herald's socket, `adapters.socketio.server.LeanSocket`)."""
    await socket.close(wait=False, abort=True)
    socket.queue.put_nowait(None)


def client_address(environ: dict[str, Any]) -> str:
    """The client's address: the ASGI scope's, which uvicorn takes from a trusted proxy's
    `X-Forwarded-For` (engine.io's own `REMOTE_ADDR` is always 127.0.0.1 under ASGI)."""
    client = environ.get("asgi.scope", {}).get("client")
    return str(client[0]) if client else str(environ.get("REMOTE_ADDR"))
