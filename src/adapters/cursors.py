"""Feed cursors: an inbox position in msgpack, signed for one user with HMAC-SHA256, base64url."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

import msgspec

from application.ports import InboxPosition

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_VERSION = 1
_TAG_BYTES = hashlib.sha256().digest_size
# Ours are about 80 characters; anything much longer is not worth decoding.
MAX_CURSOR_LENGTH = 200
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
# The key is derived from the server secret for this use alone, so that no MAC made here
# means anything anywhere else the secret is used (the JWTs), and the other way round.
_KEY_PURPOSE = b"herald/notification-feed-cursor/v1"


class _Position(msgspec.Struct, array_like=True, frozen=True):
    version: int
    created_at_us: int  # microseconds since the Unix epoch, UTC: exact on every backend
    notification_id: bytes


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_Position)


class HmacCursorCodec:
    """A cursor is base64url(payload ‖ HMAC(key, [user id, payload])), without padding.

    Bound to its user, so that a cursor is refused for anyone else; the position inside is not
    secret (it is the createdAt and id the client already has), only unforgeable.
    """

    def __init__(self, secret: str | bytes) -> None:
        key = secret.encode() if isinstance(secret, str) else secret
        self._key = hmac.new(key, _KEY_PURPOSE, hashlib.sha256).digest()

    def encode(self, user_id: str, position: InboxPosition) -> str:
        created_at, notification_id = position
        micros = (created_at - _EPOCH) // _MICROSECOND
        payload = _encoder.encode(_Position(_VERSION, micros, notification_id.bytes))
        return _base64url(payload + self._tag(user_id, payload))

    def decode(self, user_id: str, cursor: str) -> InboxPosition | None:
        if not 0 < len(cursor) <= MAX_CURSOR_LENGTH or not _BASE64URL.fullmatch(cursor):
            return None
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            return None
        # One spelling per cursor: no stray padding bits that decode to the same bytes.
        if _base64url(raw) != cursor or len(raw) <= _TAG_BYTES:
            return None
        payload, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
        if not hmac.compare_digest(tag, self._tag(user_id, payload)):
            return None
        try:
            position = _decoder.decode(payload)
            if position.version != _VERSION:
                return None
            return (
                _EPOCH + position.created_at_us * _MICROSECOND,
                UUID(bytes=position.notification_id),
            )
        except (msgspec.DecodeError, ValueError, OverflowError):
            return None

    def _tag(self, user_id: str, payload: bytes) -> bytes:
        # msgpack prefixes each part with its length, so no two (user, payload) pairs collide.
        message = _encoder.encode([user_id, payload])
        return hmac.new(self._key, message, hashlib.sha256).digest()


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
