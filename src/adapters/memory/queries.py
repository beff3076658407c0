"""`InboxQueries` in memory: the store's committed state, read as the repository reads it."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from adapters.memory.unit_of_work import InMemoryInboxRepository, InMemoryStore
from application.ports import GroupSlice, InboxSlice
from domain.notifications import (
    InboxCounts,
    InboxEntry,
    NotificationGroup,
    NotificationType,
    Receipt,
    SentNotification,
)


class InMemoryInboxQueries:
    """Reads what was committed last, without waiting for a transaction in progress (as a
    database reader would not); entries are copies, so callers cannot change the store."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def unread_count(self, user_id: str) -> int:
        return await self._committed().unread_count(user_id)

    async def counts(self, user_id: str) -> InboxCounts:
        entries = self._committed().selected(user_id)
        return InboxCounts(
            unread=sum(not entry.is_read for entry in entries),
            unseen=sum(entry.seen_at is None for entry in entries),
            total=len(entries),
        )

    async def page(self, wanted: InboxSlice) -> list[InboxEntry]:
        return await self._committed().page(
            wanted.user_id,
            limit=wanted.limit,
            before=wanted.before,
            unread_only=wanted.unread_only,
            types=wanted.types,
            related_lead_id=wanted.related_lead_id,
            archived=wanted.archived,
        )

    async def groups(self, wanted: GroupSlice) -> list[NotificationGroup]:
        selected = self._committed().selected(
            wanted.user_id,
            wanted.unread_only,
            wanted.types,
            wanted.related_lead_id,
            wanted.archived,
        )
        members: dict[str, list[InboxEntry]] = {}
        for entry in sorted(selected, key=_newest_first, reverse=True):
            members.setdefault(entry.notification.group_key, []).append(entry)
        # Newest first, then by key: a stable sort by time of the groups sorted by key.
        ordered = sorted(members.items())
        ordered.sort(key=lambda group: group[1][0].notification.created_at, reverse=True)
        if wanted.after is not None:
            after_at, after_key = wanted.after
            ordered = [
                (key, entries)
                for key, entries in ordered
                if (at := entries[0].notification.created_at) < after_at
                or (at == after_at and key > after_key)
            ]
        return [self._group(key, entries) for key, entries in ordered[: wanted.limit]]

    async def sent_about(self, lead_id: UUID, limit: int) -> list[SentNotification]:
        state = self._store.state
        holders: dict[UUID, list[InboxEntry]] = {}
        for inbox in state.inboxes.values():
            for entry in inbox.values():
                if entry.notification.related_lead_id == lead_id:
                    holders.setdefault(entry.notification.id, []).append(entry)
        sent = [
            SentNotification(
                notification=copy.copy(state.notifications[notification_id]),
                recipients=len(entries),
                delivered=sum(entry.delivered_at is not None for entry in entries),
                seen=sum(entry.seen_at is not None for entry in entries),
                read=sum(entry.is_read for entry in entries),
            )
            for notification_id, entries in holders.items()
        ]
        sent.sort(key=lambda s: (s.notification.created_at, s.notification.id), reverse=True)
        return sent[:limit]

    async def receipts(self, notification_id: UUID, limit: int) -> list[Receipt]:
        state = self._store.state
        receipts = [
            Receipt(
                user_id=user_id,
                name=user.name if (user := state.users.get(user_id)) is not None else None,
                delivered_at=entry.delivered_at,
                seen_at=entry.seen_at,
                read_at=entry.read_at,
            )
            for user_id, inbox in state.inboxes.items()
            if (entry := inbox.get(notification_id)) is not None
        ]
        receipts.sort(key=lambda receipt: receipt.user_id)
        return receipts[:limit]

    async def close(self) -> None:
        """Nothing to release."""

    def _group(self, key: str, members: list[InboxEntry]) -> NotificationGroup:
        """The group of these selected members, newest first."""
        latest = members[0]
        actors = _actors(members)
        lead_id = latest.notification.related_lead_id
        lead = self._store.state.leads.get(lead_id) if lead_id is not None else None
        lead_scoped = latest.notification.type is not NotificationType.LEAD_CREATED
        return NotificationGroup(
            key=key,
            count=len(members),
            unread_count=sum(not entry.is_read for entry in members),
            actor_ids=tuple(actors[:3]),
            actor_count=len(actors),
            latest=copy.copy(latest),
            first_at=min(entry.notification.created_at for entry in members),
            lead_name=lead.name if lead is not None and lead_scoped else None,
        )

    def _committed(self) -> InMemoryInboxRepository:
        # The state is replaced, not changed, by each commit: take the current one per call.
        return InMemoryInboxRepository(self._store.state)


def _newest_first(entry: InboxEntry) -> tuple[datetime, UUID]:
    return entry.notification.created_at, entry.notification.id


def _actors(members: Iterable[InboxEntry]) -> list[str]:
    """The members' distinct actors by their latest time: most recent first, ties by id."""
    latest: dict[str, datetime] = {}
    for entry in members:
        actor, at = entry.notification.actor_id, entry.notification.created_at
        if actor is not None and (actor not in latest or latest[actor] < at):
            latest[actor] = at
    by_id = sorted(latest.items())
    return [actor for actor, _ in sorted(by_id, key=lambda pair: pair[1], reverse=True)]
