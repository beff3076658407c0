"""Who is calling: the identity a verified token proves, and the port that verifies tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import msgspec


class Identity(msgspec.Struct, frozen=True):
    """A user as a valid token names them."""

    user_id: str
    name: str | None
    email: str | None
    expires_at: datetime


class InvalidToken(Exception):
    """The token is missing, malformed, expired, badly signed or otherwise unacceptable."""


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Identity:
        """The identity the token proves; raises `InvalidToken` otherwise."""
        ...
