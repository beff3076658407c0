"""Users: the people Herald notifies, registered from the claims of their tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.errors import InvalidInput
from domain.text import is_storable, storable

MAX_USER_ID_LENGTH = 255
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254


@dataclass(slots=True)
class User:
    id: str
    name: str | None
    email: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def register(cls, user_id: str, name: str | None, email: str | None, now: datetime) -> User:
        user_id = valid_user_id(user_id)
        return cls(user_id, _clip(name, MAX_NAME_LENGTH), _clip(email, MAX_EMAIL_LENGTH), now, now)

    @property
    def display_name(self) -> str:
        """How notifications name this user: their name, else their id."""
        return self.name or self.id

    def update_profile(self, name: str | None, email: str | None, now: datetime) -> bool:
        """Take the newest claims; returns whether anything changed."""
        name, email = _clip(name, MAX_NAME_LENGTH), _clip(email, MAX_EMAIL_LENGTH)
        if (name, email) == (self.name, self.email):
            return False
        self.name, self.email, self.updated_at = name, email, now
        return True


def valid_user_id(user_id: str) -> str:
    """A user id (a token's `sub`) Herald can register, else `InvalidInput`."""
    if not user_id or len(user_id) > MAX_USER_ID_LENGTH:
        raise InvalidInput("sub", f"must be 1..{MAX_USER_ID_LENGTH} characters")
    return storable(user_id, "sub")


def _clip(value: str | None, limit: int) -> str | None:
    # Claims come from the identity service; an overlong one is cut, what cannot be stored is
    # left out, neither is refused.
    value = "".join(char for char in (value or "") if is_storable(char)).strip()
    return value[:limit] or None
