"""The JSON that Socket.IO clients receive, shaped exactly as the contract says."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from domain.notifications import InboxEntry, Notification

ROOM_PREFIX = "user:"


def user_room(user_id: str) -> str:
    """Every socket of a user joins this room, so one emit reaches all of their tabs."""
    return f"{ROOM_PREFIX}{user_id}"


def user_rooms(user_ids: Iterable[str]) -> list[str]:
    """The rooms of `user_ids`, as `user_room` names them."""
    return [ROOM_PREFIX + user_id for user_id in user_ids]


def notification_json(
    notification: Notification,
    read_at: datetime | None,
    updated_at: datetime,
    *,
    seen_at: datetime | None = None,
    delivered_at: datetime | None = None,
    archived_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": str(notification.id),
        "type": notification.type.value,
        "title": notification.title,
        "message": notification.message,
        "isRead": read_at is not None,
        "readAt": _iso(read_at),
        "relatedLeadId": str(notification.related_lead_id)
        if notification.related_lead_id
        else None,
        "actorId": notification.actor_id,
        "createdAt": _iso(notification.created_at),
        "updatedAt": _iso(updated_at),
        "seenAt": _iso(seen_at),
        "deliveredAt": _iso(delivered_at),
        "archivedAt": _iso(archived_at),
        "groupKey": notification.group_key,
    }


def new_notification_json(notification: Notification) -> dict[str, Any]:
    """A notification as every recipient first sees it: unread, unseen, not yet delivered."""
    return notification_json(notification, None, notification.created_at)


def entry_json(entry: InboxEntry) -> dict[str, Any]:
    return notification_json(
        entry.notification,
        entry.read_at,
        entry.updated_at,
        seen_at=entry.seen_at,
        delivered_at=entry.delivered_at,
        archived_at=entry.archived_at,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
