"""SocketIoPublisher: one emit per event, encoded once, sent to the rooms of its users."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

from adapters.socketio.payloads import entry_json, new_notification_json, user_room
from domain.events import (
    InboxEvent,
    NotificationCreated,
    NotificationDeleted,
    NotificationsBulkUpdated,
    NotificationUpdated,
    UnreadCountsChanged,
)

CREATED = "notification:created"
UPDATED = "notification:updated"
BULK_UPDATED = "notifications:bulk-updated"
DELETED = "notification:deleted"
UNREAD_COUNT = "notifications:unread-count"


class Emitter(Protocol):
    """The part of `socketio.AsyncServer` the publisher needs."""

    async def emit(self, event: str, data: Any = None, *, to: Any = None) -> None: ...


Emit = tuple[str, dict[str, Any], list[str]]


def emits_for(event: InboxEvent) -> list[Emit]:
    """The Socket.IO messages an inbox event becomes: (event name, payload, rooms)."""
    match event:
        case NotificationCreated(notification, recipients):
            rooms = [user_room(user_id) for user_id in recipients]
            return [(CREATED, new_notification_json(notification), rooms)]
        case NotificationUpdated(entry):
            return [(UPDATED, entry_json(entry), [user_room(entry.user_id)])]
        case NotificationsBulkUpdated(user_id, count):
            payload = {"action": "markAllAsRead", "count": count}
            return [(BULK_UPDATED, payload, [user_room(user_id)])]
        case NotificationDeleted(user_id, notification_id):
            return [(DELETED, {"id": str(notification_id)}, [user_room(user_id)])]
        case UnreadCountsChanged(counts):
            # Users who now have the same count share one payload, so a broadcast
            # costs one encode per distinct count, not one per recipient.
            by_count: dict[int, list[str]] = defaultdict(list)
            for user_id, count in counts.items():
                by_count[count].append(user_room(user_id))
            return [(UNREAD_COUNT, {"count": count}, rooms) for count, rooms in by_count.items()]


class SocketIoPublisher:
    def __init__(self, server: Emitter) -> None:
        self._server = server

    async def publish(self, events: Sequence[InboxEvent]) -> None:
        for event in events:
            for name, payload, rooms in emits_for(event):
                await self._server.emit(name, payload, to=rooms)
