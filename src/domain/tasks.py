"""Tasks: work to do on a lead, created by one teammate, perhaps assigned to another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidInput
from domain.text import storable

MAX_TITLE = 200


@dataclass(slots=True)
class Task:
    id: UUID
    lead_id: UUID
    title: str
    assignee_id: str | None
    created_by_id: str
    completed_at: datetime | None
    created_at: datetime

    @classmethod
    def create(
        cls,
        task_id: UUID,
        *,
        lead_id: UUID,
        title: str,
        assignee_id: str | None,
        created_by_id: str,
        now: datetime,
    ) -> Task:
        title = storable(title, "title").strip()
        if not 1 <= len(title) <= MAX_TITLE:
            raise InvalidInput("title", f"must be 1..{MAX_TITLE} characters")
        return cls(task_id, lead_id, title, assignee_id, created_by_id, None, now)

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    def complete(self, now: datetime) -> bool:
        """Complete it now; returns whether anything changed (a task is completed once)."""
        if self.completed_at is not None:
            return False
        self.completed_at = now
        return True
