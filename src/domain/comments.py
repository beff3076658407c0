"""Comments: what teammates say about a lead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidInput
from domain.text import storable

MAX_BODY = 5_000


@dataclass(frozen=True, slots=True)
class Comment:
    id: UUID
    lead_id: UUID
    author_id: str
    body: str
    created_at: datetime

    @classmethod
    def write(
        cls, comment_id: UUID, *, lead_id: UUID, author_id: str, body: str, now: datetime
    ) -> Comment:
        if not storable(body, "body").strip() or len(body) > MAX_BODY:
            raise InvalidInput("body", f"must be 1..{MAX_BODY} characters, not only spaces")
        return cls(comment_id, lead_id, author_id, body, now)
