"""Socket.IO client managers that can hold a socket's live events while it catches up.

A socket that reconnects with `lastEventId` first gets what it missed from the event history;
live events addressed to it meanwhile are held, then sent after the history, in order. The same
holding works for the in-process manager and for the Redis one that joins several processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

import socketio
from engineio import packet as eio_packet
from socketio import packet

from adapters.socketio.coalescing import CountCoalescer
from adapters.socketio.publisher import CREATED, UNREAD_COUNT
from adapters.urgency import Urgency

log = logging.getLogger("herald.socketio")

Held = list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """An event on its way: its frame, its recipients (sid → engine.io sid), and the sids
    not yet reached in their order (an iterator, consumed as they are)."""

    event: str
    data: dict[str, Any]
    frame: eio_packet.Packet
    recipients: dict[str, str]
    order: Iterator[str]


class _Room(dict[str, str]):
    """A room's sockets, sid → engine.io sid: a dict where python-socketio keeps a `bidict` (a
    dict each way), which only its room of every socket of a namespace (the room `None`) is
    read backwards through. A socket is alone in its own room, and nearly alone in its user's:
    0.5 KiB a socket less."""

    __slots__ = ()

    @property
    def _fwdm(self) -> dict[str, str]:  # what python-socketio reads of a room's bidict
        return self


class PublishFailed(Exception):
    """An event could not be handed to Redis; the relay will try again."""


# Frames put on sockets' queues per turn of the event loop, about: a slice ends with the
# socket whose frames reach it (a socket gets all its waiting frames at once). A frame put on
# a socket's queue is written in that turn (`server.LeanSocket`), and the loop reads the
# network again only once the turn is over: an event put on a thousand queues at once kept the
# database's replies (and with them the outbox's turn, which every `createLead` waits for)
# behind a thousand writes.
FRAMES_PER_TURN = 64
# While a unit of work here is open (`Urgency`): the loop's turns are kept shorter, so that
# the database's replies to it wait for less (a `createLead` makes ten round trips).
FRAMES_PER_TURN_WHILE_URGENT = 8


class HoldingManager(socketio.AsyncManager):  # type: ignore[misc]
    """Local delivery, with sockets whose events can be held for a while.

    An event is encoded once and its frame put straight on the queue of each recipient socket
    (python-socketio would start a task per recipient), which writes it at once where its
    connection takes it: a slow socket only lets its own queue grow. The frames go out in
    slices of about `FRAMES_PER_TURN`, the sockets of the oldest event first, each with its
    frames of every waiting event together (one write to the network behind a burst): a
    socket's frames keep emit order, and an event to one user waits for the frames of those
    emitted before it. Whether a socket is held, or still in the
    session it was addressed in, is decided as its frame is put. Unread counts are
    coalesced per user (see `coalescing`). While `urgency` presses, the slices are smaller.
    """

    def __init__(
        self,
        *args: Any,
        clock: Callable[[], float] = time.monotonic,
        urgency: Urgency | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.urgency = urgency or Urgency()
        self._held: dict[str, Held] = {}
        # After catching up, a socket has had every event up to its floor: a late live copy of
        # one of those (the relay lagging behind the history) is not sent again.
        self._floors: dict[str, int] = {}
        # The newest event emitted here: its frames may still wait, or its count (coalescing).
        self.last_event_id = 0
        # Called with every event this process delivers (name, payload, rooms): other live
        # transports (GraphQL subscriptions) are fed from here, so all share one publisher.
        self.observers: list[Callable[[str, dict[str, Any], list[str]], None]] = []
        # The rooms those other transports have a client in here, each transport's own (a room
        # is in one while it has one; an empty one is false): with the sockets' rooms, those
        # where anyone listens.
        self.listened: list[Container[str]] = []
        # Called with an event id when a listener that was away hears again (see `resumed`):
        # each live transport catches its clients up on what came after it.
        self.on_resumed: list[Callable[[int], None]] = []
        self.counts = CountCoalescer(self._send_count, clock=clock)
        # Events not yet put on every recipient's queue, oldest first; and by socket, the
        # events whose frame it has not been given yet, in emit order (no tuple per frame: see
        # `_participants`).
        self._outgoing: deque[_Outgoing] = deque()
        self._waiting: dict[str, deque[_Outgoing]] = {}
        self._putting: asyncio.Handle | None = None
        self.frames_unqueued = 0  # of those events, frames not yet put on their socket's queue

    async def emit(  # the local delivery of every event that reaches this process
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if not _of_outbox(data, namespace, callback):
            await super().emit(
                event, data, namespace=namespace, room=room, skip_sid=skip_sid, callback=callback
            )
            return
        self.last_event_id = max(self.last_event_id, data["eventId"])
        rooms = [room] if isinstance(room, str) else list(room or [])
        if event == UNREAD_COUNT:
            rooms = self.counts.counts(data, self._listened(rooms))
        elif event == CREATED:
            self.counts.created(rooms)
        else:
            self.counts.before(rooms)
        if rooms:
            self._deliver(event, data, rooms, skip_sid)

    def _listened(self, rooms: list[str]) -> list[str]:
        """The rooms where someone in this process listens (a socket, or a client of another
        live transport), and those with a count waiting, which a newer count replaces. A
        broadcast's counts name every recipient's room, and most are empty where few of its
        users are connected: those are neither coalesced nor looked for again (a client that
        connects later catches up from the history, or is owed only what comes after it)."""
        sockets = self.rooms.get("/", {})
        others = [rooms_of for rooms_of in (self.counts.waiting_rooms, *self.listened) if rooms_of]
        kept: list[str] = []
        for room in rooms:
            if room in sockets:
                kept.append(room)
                continue
            for rooms_of in others:
                if room in rooms_of:
                    kept.append(room)
                    break
        return kept

    def _send_count(self, data: dict[str, Any], rooms: list[str]) -> None:
        self._deliver(UNREAD_COUNT, data, rooms, None)

    def _deliver(self, event: str, data: dict[str, Any], rooms: list[str], skip_sid: Any) -> None:
        for observe in self.observers:
            observe(event, data, rooms)
        if "/" not in self.rooms:
            return
        recipients = self._participants(rooms)
        skipped = [skip_sid] if isinstance(skip_sid, str) else (skip_sid or [])
        for sid in skipped:
            recipients.pop(sid, None)
        if not recipients:
            return
        outgoing = _Outgoing(event, data, self._frame(event, data), recipients, iter(recipients))
        self._outgoing.append(outgoing)
        waiting = self._waiting
        for sid in recipients:
            events = waiting.get(sid)
            if events is None:
                waiting[sid] = events = deque()
            events.append(outgoing)
        self.frames_unqueued += len(recipients)
        if self._putting is None:
            self._putting = asyncio.get_running_loop().call_soon(self._put_some)

    def _participants(self, rooms: list[str]) -> dict[str, str]:
        """The sockets in these rooms, each sid with its engine.io sid. python-socketio's
        `get_participants` yields a tuple per socket; an event waits for up to
        `len(recipients) / FRAMES_PER_TURN` turns, so those tuples outlived the collector's
        young generation and were walked by each full collection."""
        namespace = self.rooms.get("/", {})
        participants: dict[str, str] = {}
        add = participants.update
        for room in rooms:
            members = namespace.get(room)
            if members is not None:
                add(members)  # a `_Room` is a dict: merged without a view of its items
        return participants

    def basic_enter_room(
        self, sid: str, namespace: str, room: Any, eio_sid: str | None = None
    ) -> None:
        rooms = self.rooms.get(namespace)
        # A room made here, where python-socketio would make a bidict: any but the namespace's
        # room of every socket (None), and only where python-socketio would let the socket in.
        if (
            room is not None
            and rooms is not None
            and room not in rooms
            and (room == sid or not self.is_sid_room(namespace, room))
        ):
            rooms[room] = _Room()
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)

    def _put_some(self) -> None:
        """Put the next frames on their sockets' queues (about `FRAMES_PER_TURN`, fewer while
        the urgency presses: see `_put`), then yield."""
        self._putting = None
        try:
            self._put(FRAMES_PER_TURN_WHILE_URGENT if self.urgency.pressing else FRAMES_PER_TURN)
        finally:  # the frames after one that failed still go
            if self._outgoing:
                self._putting = asyncio.get_running_loop().call_soon(self._put_some)

    def deliver_pending(self) -> None:
        """Hand every frame still waiting to its socket now (its queue, or what is held for
        it), the counts held back for their window included: `last_event_id` counts them as
        sent too, and a socket that catches up from it would drop them later, under its
        floor."""
        self.counts.flush()
        if self._putting is not None:
            self._putting.cancel()
            self._putting = None
        self._put(None)

    def resumed(self, after: int) -> None:
        """Events after `after` may not have been heard here (the Redis listener was away):
        each live transport reads them from the history. Whatever waits goes first."""
        self.deliver_pending()
        for catch_up in self.on_resumed:
            catch_up(after)

    def _put(self, budget: int | None) -> None:
        """Each socket of the oldest event gets its frame together with its frames of every
        later event still waiting: they are written in one turn (one write to the network, see
        `entrypoints.websocket`), so that behind a burst there are fewer writes than frames. A
        socket's frames keep their order; a slice ends with the socket whose frames reach the
        budget, so that those frames still leave in one write (a slice cut within them
        measured no faster: bench/findings.md)."""
        sockets, waiting, sessions = self.server.eio.sockets, self._waiting, self._sessions()
        while self._outgoing:
            oldest = self._outgoing[0]
            for sid in oldest.order:
                events = waiting.get(sid)
                if not events or events[0] is not oldest:
                    continue  # its frame went out with an earlier event's
                put = len(events)
                while events:  # what a failure leaves stays for the slices after
                    outgoing = events.popleft()
                    self.frames_unqueued -= 1
                    self._put_one(sockets, sessions, outgoing, sid, outgoing.recipients[sid])
                del waiting[sid]
                if budget is not None:
                    budget -= put
                    if budget <= 0:
                        return
            self._outgoing.popleft()

    def frames_queued(self) -> int:
        """Frames on this process's sockets' queues, not yet written to their connections."""
        return sum(socket.queue.qsize() for socket in self.server.eio.sockets.values())

    def _sessions(self) -> Mapping[str, str]:
        """Each socket of the namespace, sid → engine.io sid: `eio_sid_from_sid` for every
        socket at once. python-socketio keeps them in a `bidict`, whose lookups are three
        Python calls each; this is the dict it reads (as `_Room._fwdm`)."""
        sockets = self.rooms.get("/", {}).get(None)
        if sockets is None:
            return {}
        return cast("Mapping[str, str]", getattr(sockets, "_fwdm", sockets))

    def _put_one(
        self,
        sockets: dict[str, Any],
        sessions: Mapping[str, str],
        outgoing: _Outgoing,
        sid: str,
        eio_sid: str,
    ) -> None:
        # A session that ended meanwhile (disconnected, its token expired) gets nothing more,
        # even where its connection stays open, or carries a new session.
        if sessions.get(sid) != eio_sid:
            return
        if self._held or self._floors:
            if sid in self._held:
                self._held[sid].append((outgoing.event, outgoing.data))
                return
            floor = self._floors.get(sid)
            if floor is not None:
                if outgoing.data["eventId"] <= floor:
                    return
                del self._floors[sid]
        socket = sockets.get(eio_sid)
        if socket is not None and not socket.closed:
            socket.queue.put_nowait(outgoing.frame)

    def _frame(self, event: str, data: dict[str, Any]) -> eio_packet.Packet:
        """The Engine.IO packet of an event, encoded once for every socket that gets it."""
        encoded = self.server.packet_class(packet.EVENT, namespace="/", data=[event, data])
        return eio_packet.Packet(eio_packet.MESSAGE, encoded.encode())

    def hold(self, sid: str) -> None:
        """Hold the socket's live events from now on, including those emitted before whose
        frames still wait: a caller that counts those as sent (`last_event_id`) puts them
        first (`deliver_pending`)."""
        self._held.setdefault(sid, [])

    def take_held(self, sid: str) -> Held:
        """What was held for the socket so far; it stays held until `release`."""
        held, self._held[sid] = self._held.get(sid, []), []
        return held

    def release(self, sid: str, floor: int | None = None) -> None:
        """Back to live delivery; events up to `floor` are not sent to it again."""
        self._held.pop(sid, None)
        if floor is None:
            self._floors.pop(sid, None)
        else:
            self._floors[sid] = floor

    def floor(self, sid: str) -> int | None:
        """The newest event the socket has had from its last catch-up, while no live event
        newer than that has reached it."""
        return self._floors.get(sid)

    async def send_now(self, sid: str, event: str, data: dict[str, Any]) -> None:
        """Send to this socket only, past any holding and past Redis: its frame put on the
        socket's queue, as a live frame is (python-socketio's emit would start a task for it,
        and wait for that task, for every event a catch-up sends)."""
        eio_sid = self.eio_sid_from_sid(sid, "/")
        socket = self.server.eio.sockets.get(eio_sid) if eio_sid is not None else None
        if socket is not None and not socket.closed:
            socket.queue.put_nowait(self._frame(event, data))


class HoldingRedisManager(socketio.AsyncRedisManager, HoldingManager):  # type: ignore[misc]
    """The Redis manager, with holding, failures that reach the caller, and a listener that
    knows when it may have missed messages.

    python-socketio only logs a failed publish: here it raises, so the relay keeps the events and
    publishes them again. Each process publishes a heartbeat on the channel every second; hearing
    any message proves its own listener is subscribed. Redis keeps nothing for a listener whose
    connection dropped, however briefly: when the listener subscribes (again, after a dropped
    connection or redis-py's own reconnection), it calls `resumed` with the newest event heard
    before, ahead of any message published since, so that local clients catch up on what came
    after it, in order. Events of the outbox reach this process's sockets only through the
    listener, like every other process's (`emit`).

    A connection whose peer is gone without a word (half-open) fails no read of a subscription:
    the listener gives its connection up when a heartbeat that Redis took is not heard in
    `SILENCE_SECONDS` (a subscription never confirmed included), and a command (a publish)
    fails after `COMMAND_TIMEOUT_SECONDS` without an answer.
    """

    HEARTBEAT_SECONDS = 1.0
    SILENCE_SECONDS = 3.0
    COMMAND_TIMEOUT_SECONDS = 5.0
    MAX_RETRY_SECONDS = 60.0  # the longest pause between two tries of the listener
    connected: bool  # set by python-socketio: whether its Redis client is connected

    def __init__(self, url: str, *, urgency: Urgency | None = None, **kwargs: Any) -> None:
        kwargs["redis_options"] = {
            "socket_timeout": self.COMMAND_TIMEOUT_SECONDS,
            "socket_connect_timeout": self.COMMAND_TIMEOUT_SECONDS,
            **(kwargs.get("redis_options") or {}),
        }
        super().__init__(url, **kwargs)  # python-socketio's, which passes on none of its own
        self.urgency = urgency or self.urgency
        self._last_heard = 0.0
        # When Redis took the first heartbeat of this process not heard since (all were heard
        # while it is no later than `_last_heard`).
        self._heartbeat_taken = 0.0
        self._heartbeat: asyncio.Task[None] | None = None
        self._subscriptions = 0  # of the listener so far: each after the first follows a drop
        # The newest event heard through Redis. The relays publish one batch at a time, in
        # event order, so what a listener missed came after it.
        self.heard_event_id = 0

    def initialize(self) -> None:
        super().initialize()
        if not self.write_only:
            self._heartbeat = asyncio.ensure_future(self._beat())

    def listener_alive(self) -> bool:
        return time.monotonic() - self._last_heard < self.SILENCE_SECONDS

    def _redis_connect(self) -> None:
        super()._redis_connect()
        # The listener's subscriptions come through as messages too: they tell of a drop.
        self.pubsub.ignore_subscribe_messages = False

    async def emit(  # an event of the outbox goes to Redis only; it is delivered as heard
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """python-socketio delivers an event here before it publishes it, so local sockets
        could get it ahead of older events of other processes that the listener had not
        heard yet, or missed. An event of the outbox is delivered here only once heard back,
        as in every other process: each process's sockets get the channel's one order."""
        if not _of_outbox(data, namespace, callback) or kwargs.get("ignore_queue"):
            await super().emit(
                event,
                data,
                namespace=namespace,
                room=room,
                skip_sid=skip_sid,
                callback=callback,
                to=to,
                **kwargs,
            )
            return
        await self._publish(
            {
                "method": "emit",
                "event": event,
                "data": [data],
                "binary": False,
                "namespace": "/",
                "room": to or room,
                "skip_sid": skip_sid,
                "callback": None,
                "host_id": self.host_id,
            }
        )

    async def _publish(self, data: Any) -> None:
        try:
            if not self.connected:
                self._redis_connect()
            await self.redis.publish(self.channel, self.json.dumps(data))
        except Exception as error:
            self.connected = False
            raise PublishFailed(f"{type(error).__name__}: {error}") from error

    async def _redis_listen_with_retries(self) -> AsyncIterator[dict[str, Any]]:
        """The messages of the listener's subscription, its confirmations included. A
        connection that fails, or that went deaf (`_deaf`, through two reads in a row: a late
        read of a stalled loop may find nothing yet), is given up for a new one, after a pause
        that doubles with each try in a row that got no confirmation (python-socketio's way)."""
        pause = 1.0
        while True:
            pubsub = None
            try:
                self._redis_connect()
                pubsub = self.pubsub
                self._heartbeat_taken = 0.0  # those sent before were for the last connection
                await pubsub.subscribe(self.channel)
                suspect = False
                while True:
                    message = await pubsub.get_message(timeout=self.HEARTBEAT_SECONDS)
                    if message is not None:
                        suspect = False
                        if message.get("type") == "subscribe":
                            pause = 1.0
                        yield message
                    elif not self._deaf():
                        suspect = False
                    elif suspect:
                        raise ConnectionError(
                            f"a heartbeat that Redis took {self.SILENCE_SECONDS:.0f} s ago was "
                            "not heard"
                        )
                    else:
                        suspect = True
            except Exception as error:
                log.error("cannot receive from Redis, retrying in %.0f s: %s", pause, error)
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.MAX_RETRY_SECONDS)

    def _deaf(self) -> bool:
        """Whether Redis took a heartbeat of this process `SILENCE_SECONDS` ago or more, and
        nothing was heard since it did: the listener's connection carries nothing any more."""
        taken = self._heartbeat_taken
        return taken > self._last_heard and time.monotonic() - taken >= self.SILENCE_SECONDS

    async def _listen(self) -> Any:
        """python-socketio's listener, which also sees the subscriptions: the messages of the
        channel, decoded once (python-socketio takes a dict as it is)."""
        channel = self.channel.encode()
        async for message in self._redis_listen_with_retries():
            if message.get("channel") != channel:
                continue
            if message["type"] == "subscribe":
                self._subscribed()
            elif message["type"] == "message" and "data" in message:
                self._last_heard = time.monotonic()
                try:
                    data = self.json.loads(message["data"])
                except ValueError:
                    continue  # not python-socketio's
                if not isinstance(data, dict):
                    continue
                event_id = _event_id(data)
                self.heard_event_id = max(self.heard_event_id, event_id)
                if data.get("host_id") == self.host_id and _of_outbox(
                    {"eventId": event_id}, data.get("namespace"), data.get("callback")
                ):
                    data["host_id"] = None  # python-socketio would skip its own (see `emit`)
                yield data

    def _subscribed(self) -> None:
        """Also the first time: sockets may have connected before the listener subscribed
        (Redis was away when the process started)."""
        self._last_heard = time.monotonic()  # Redis answered on the listener's connection
        self._subscriptions += 1
        if self._subscriptions > 1:
            log.warning("the Redis listener subscribed again: local clients catch up")
        self.resumed(self.heard_event_id)

    async def _beat(self) -> None:
        while True:
            sent = time.monotonic()  # it may be heard before the publish returns
            try:
                await self._publish({"method": "heartbeat", "host_id": self.host_id})
            except PublishFailed as error:
                log.debug("no heartbeat: %s", error)
            else:
                if self._heartbeat_taken <= self._last_heard:  # the first not heard yet
                    self._heartbeat_taken = sent
            await asyncio.sleep(self.HEARTBEAT_SECONDS)


def _of_outbox(data: Any, namespace: str | None, callback: Any) -> bool:
    """Whether an emit is of an event of the outbox (it carries its `eventId`), to every
    socket of its rooms in the default namespace."""
    return _event_id(data) > 0 and callback is None and (namespace or "/") == "/"


def _event_id(data: Any) -> int:
    """The event id of an event's payload, or of the message python-socketio published for
    it; 0 for anything else."""
    if isinstance(data, dict) and data.get("method") == "emit":
        payload = data.get("data")
        data = payload[0] if isinstance(payload, list) and len(payload) == 1 else None
    event_id = data.get("eventId") if isinstance(data, dict) else None
    return event_id if isinstance(event_id, int) and not isinstance(event_id, bool) else 0
