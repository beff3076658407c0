"""GraphQL subscriptions: the same events as Socket.IO, with the same replay promise."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import strawberry

from adapters.socketio.managers import HoldingManager
from adapters.socketio.payloads import user_of_room
from adapters.socketio.publisher import CREATED, UPDATED
from application.delivery.events_since import EventsSince
from entrypoints.catch_up import Message, Missed
from entrypoints.graphql.context import Info
from entrypoints.graphql.types import Notification, NotificationType

QUEUE_LIMIT = 10_000  # events waiting for one slow subscriber before it is ended


class Subscriber:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = False

    def offer(self, message: Message) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True


class LiveEvents:
    """The subscribers of this process, fed with every event the Socket.IO manager delivers here
    (from this process's relay, or through Redis from another's): one publisher for both."""

    def __init__(self, manager: HoldingManager) -> None:
        self._subscribers: dict[str, set[Subscriber]] = {}
        manager.observers.append(self._deliver)

    def _deliver(self, event: str, data: dict[str, Any], rooms: list[str]) -> None:
        if not self._subscribers:
            return
        for room in rooms:
            user_id = user_of_room(room)
            for subscriber in self._subscribers.get(user_id or "", ()):
                subscriber.offer((event, data))

    @contextlib.contextmanager
    def _subscribe(self, user_id: str) -> Iterator[Subscriber]:
        subscriber = Subscriber()
        self._subscribers.setdefault(user_id, set()).add(subscriber)
        try:
            yield subscriber
        finally:
            mine = self._subscribers[user_id]
            mine.discard(subscriber)
            if not mine:
                del self._subscribers[user_id]

    async def stream(
        self, events_since: EventsSince, user_id: str, after: int | None
    ) -> AsyncIterator[Message]:
        """What the user missed after `after`, then live events, in order and without repeats.

        Ends when the subscriber falls too far behind: it resubscribes with its lastEventId.
        """
        with self._subscribe(user_id) as subscriber:  # live events wait while history is read
            missed = Missed(events_since, user_id, after)
            async for message in missed.messages():
                yield message
            while not subscriber.overflowed:
                event, data = await subscriber.queue.get()
                if missed.is_new(data):
                    missed.through = data["eventId"]
                    yield event, data


@strawberry.type(description="One event of the caller's inbox, as Socket.IO sends it.")
class NotificationEvent:
    event_id: int | None = strawberry.field(description="Increases per user; null for a resync.")
    event: str = strawberry.field(description="The Socket.IO event name, e.g. notification:created")
    notification: Notification | None = None
    count: int | None = strawberry.field(
        default=None, description="The unread count, or how many were marked read."
    )
    action: str | None = None
    id: strawberry.ID | None = strawberry.field(default=None, description="A deleted one's id.")
    reason: str | None = strawberry.field(default=None, description="Why a resync is needed.")

    @classmethod
    def from_message(cls, event: str, data: dict[str, Any]) -> NotificationEvent:
        notification = _notification(data) if event in (CREATED, UPDATED) else None
        deleted = data.get("id") if notification is None else None
        return cls(
            event_id=data.get("eventId"),
            event=event,
            notification=notification,
            count=data.get("count"),
            action=data.get("action"),
            id=strawberry.ID(deleted) if deleted else None,
            reason=data.get("reason"),
        )


def _notification(data: dict[str, Any]) -> Notification:
    read_at, lead_id = data["readAt"], data["relatedLeadId"]
    return Notification(
        id=strawberry.ID(data["id"]),
        type=NotificationType(data["type"]),
        title=data["title"],
        message=data["message"],
        is_read=data["isRead"],
        read_at=datetime.fromisoformat(read_at) if read_at else None,
        related_lead_id=strawberry.ID(lead_id) if lead_id else None,
        actor_id=data["actorId"],
        created_at=datetime.fromisoformat(data["createdAt"]),
        updated_at=datetime.fromisoformat(data["updatedAt"]),
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The caller's inbox events; from `lastEventId` on, every retained one first."
    )
    async def notification_events(
        self, info: Info, last_event_id: int | None = None
    ) -> AsyncIterator[NotificationEvent]:
        container = info.context.container
        stream = container.live_events().stream(
            container.events_since(), info.context.user_id, last_event_id
        )
        async for event, data in stream:
            yield NotificationEvent.from_message(event, data)
