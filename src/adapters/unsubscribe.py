"""Unsubscribe tokens: a user id signed with HMAC-SHA256, base64url, for one-click links."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

# A user id is at most 255 characters (1,020 bytes of UTF-8 at worst); nothing longer is ours.
MAX_TOKEN_LENGTH = 1500
_TOKEN = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})")
# A key for this use alone, derived from the server secret (as the feed cursors' is).
_KEY_PURPOSE = b"herald/email-unsubscribe/v1"


class HmacUnsubscribeTokens:
    """`base64url(user id) . base64url(HMAC(key, user id))`: not secret, only unforgeable, and
    valid as long as the server secret is (an old email's link keeps working)."""

    def __init__(self, secret: str | bytes) -> None:
        key = secret.encode() if isinstance(secret, str) else secret
        self._key = hmac.new(key, _KEY_PURPOSE, hashlib.sha256).digest()

    def issue(self, user_id: str) -> str:
        payload = user_id.encode()
        return f"{_base64url(payload)}.{_base64url(self._tag(payload))}"

    def verify(self, token: str) -> str | None:
        """The user id the token was issued for; None for anything else."""
        match = _TOKEN.fullmatch(token) if len(token) <= MAX_TOKEN_LENGTH else None
        if match is None:
            return None
        try:
            payload, tag = (_unbase64url(part) for part in match.groups())
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(tag, self._tag(payload)):
            return None
        # One spelling per token: the same bytes with other padding bits are not accepted.
        if token != f"{_base64url(payload)}.{_base64url(tag)}":
            return None
        try:
            return payload.decode()
        except UnicodeDecodeError:
            return None

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unbase64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
