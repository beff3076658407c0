"""SocketIoPublisher: one emit per event, encoded once, sent to the rooms of its users."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from adapters.socketio.payloads import entry_json, new_notification_json, user_rooms
from domain.events import (
    InboxEvent,
    NotificationCreated,
    NotificationDeleted,
    NotificationsBulkUpdated,
    NotificationUpdated,
    StoredEvent,
    UnreadCountsChanged,
)

CREATED = "notification:created"
UPDATED = "notification:updated"
BULK_UPDATED = "notifications:bulk-updated"
DELETED = "notification:deleted"
UNREAD_COUNT = "notifications:unread-count"
RESYNC = "notifications:resync"


class Emitter(Protocol):
    """The part of `socketio.AsyncServer` the publisher needs."""

    async def emit(self, event: str, data: Any = None, *, to: Any = None) -> None: ...


class Message:
    """One Socket.IO message: an event name, its payload, and the users it is for."""

    __slots__ = ("event", "payload", "user_ids")

    def __init__(self, event: str, payload: dict[str, Any], user_ids: Sequence[str]) -> None:
        self.event, self.payload, self.user_ids = event, payload, user_ids


def messages_for(stored: StoredEvent) -> Iterator[Message]:
    """The messages an inbox event becomes; every payload carries the event's id as `eventId`."""
    for event, payload, user_ids in _messages(stored.event):
        yield Message(event, {**payload, "eventId": stored.id}, user_ids)


def messages_to(stored: StoredEvent, user_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The messages of an inbox event for one of its users (a client catching up), as
    `messages_for` addresses them: a broadcast's counts are looked up for that user alone,
    rather than grouped for all of them."""
    event = stored.event
    if isinstance(event, UnreadCountsChanged):
        count = event.counts.get(user_id)
        if count is not None:
            yield (
                UNREAD_COUNT,
                {**_counts(count, event.unseen.get(user_id, count)), "eventId": stored.id},
            )
        return
    for message in messages_for(stored):
        if user_id in message.user_ids:
            yield message.event, message.payload


def _counts(count: int, unseen: int) -> dict[str, Any]:
    return {"count": count, "unseen": unseen}


def _messages(event: InboxEvent) -> Iterator[tuple[str, dict[str, Any], Sequence[str]]]:
    match event:
        case NotificationCreated(notification, recipients):
            yield CREATED, new_notification_json(notification), recipients
        case NotificationUpdated(entry):
            yield UPDATED, entry_json(entry), (entry.user_id,)
        case NotificationsBulkUpdated(user_id, count, action, group_key):
            bulk: dict[str, Any] = {"action": action, "count": count}
            if group_key is not None:
                bulk["groupKey"] = group_key
            yield BULK_UPDATED, bulk, (user_id,)
        case NotificationDeleted(user_id, notification_id):
            yield DELETED, {"id": str(notification_id)}, (user_id,)
        case UnreadCountsChanged(counts, unseen):
            # Users who now have the same counts share one payload, so a broadcast costs one
            # encode per distinct pair of counts, not one per recipient. An event stored before
            # seen existed has no unseen count: everything unread was unseen then.
            by_counts: dict[tuple[int, int], list[str]] = defaultdict(list)
            for user_id, count in counts.items():
                by_counts[count, unseen.get(user_id, count)].append(user_id)
            for (count, unseen_count), user_ids in by_counts.items():
                yield UNREAD_COUNT, _counts(count, unseen_count), user_ids


class SocketIoPublisher:
    def __init__(self, server: Emitter) -> None:
        self._server = server

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        for stored in events:
            for message in messages_for(stored):
                rooms = user_rooms(message.user_ids)
                await self._server.emit(message.event, message.payload, to=rooms)
