"""Leads: the CRM's prospects, shared by the whole team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidInput
from domain.text import storable

MAX_LEAD_NAME = 200
MAX_COMPANY = 200
MAX_EMAIL = 254
MIN_SCORE, MAX_SCORE = 0, 100


@dataclass(slots=True)
class Lead:
    id: UUID
    name: str
    email: str | None
    company: str | None
    score: int
    owner_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def create(
        cls,
        lead_id: UUID,
        *,
        name: str,
        email: str | None,
        company: str | None,
        score: int,
        owner_id: str,
        now: datetime,
    ) -> Lead:
        """A new lead owned by its creator, its fields checked against the contract's limits."""
        return cls(
            id=lead_id,
            name=_lead_name(name),
            email=_email(email),
            company=_company(company),
            score=_score(score),
            owner_id=owner_id,
            created_at=now,
            updated_at=now,
        )

    def assign(self, owner_id: str, now: datetime) -> bool:
        """Hand the lead to another owner; returns whether anything changed."""
        if owner_id == self.owner_id:
            return False
        self.owner_id, self.updated_at = owner_id, now
        return True

    def change_score(self, score: int, now: datetime) -> bool:
        """Score it anew; returns whether the score really changed."""
        score = _score(score)
        if score == self.score:
            return False
        self.score, self.updated_at = score, now
        return True


def _lead_name(value: str) -> str:
    value = storable(value, "name").strip()
    if not 1 <= len(value) <= MAX_LEAD_NAME:
        raise InvalidInput("name", f"must be 1..{MAX_LEAD_NAME} characters")
    return value


def _company(value: str | None) -> str | None:
    value = storable(value or "", "company").strip()
    if len(value) > MAX_COMPANY:
        raise InvalidInput("company", f"must be at most {MAX_COMPANY} characters")
    return value or None


def _email(value: str | None) -> str | None:
    value = storable(value or "", "email").strip()
    if not value:
        return None
    local, at, domain = value.partition("@")
    if len(value) > MAX_EMAIL or not at or not local or not domain or "@" in domain:
        raise InvalidInput("email", f"must be at most {MAX_EMAIL} characters with one @")
    return value


def _score(value: int) -> int:
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise InvalidInput("score", f"must be {MIN_SCORE}..{MAX_SCORE}")
    return value
