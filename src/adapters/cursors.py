"""Feed cursors: an inbox or group position in msgpack, signed for one user with HMAC-SHA256,
base64url."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

import msgspec

from application.ports import GroupPosition, InboxPosition

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_VERSION = 1
_TAG_BYTES = hashlib.sha256().digest_size
# Ours are about 80 characters; anything much longer is not worth decoding.
MAX_CURSOR_LENGTH = 200
# A group's carries its key (at most 400 characters, the column's size): up to about 650.
MAX_GROUP_CURSOR_LENGTH = 800
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
# The key is derived from the server secret for this use alone, so that no MAC made here
# means anything anywhere else the secret is used (the JWTs), and the other way round.
_KEY_PURPOSE = b"herald/notification-feed-cursor/v1"
# Group cursors are signed with a key of their own: neither kind ever passes for the other.
_GROUP_KEY_PURPOSE = b"herald/notification-group-cursor/v1"


class _Position(msgspec.Struct, array_like=True, frozen=True):
    version: int
    created_at_us: int  # microseconds since the Unix epoch, UTC: exact on every backend
    notification_id: bytes


class _GroupPosition(msgspec.Struct, array_like=True, frozen=True):
    version: int
    created_at_us: int
    key: str


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_Position)
_group_decoder = msgspec.msgpack.Decoder(_GroupPosition)


class HmacCursorCodec:
    """A cursor is base64url(payload ‖ HMAC(key, [user id, payload])), without padding.

    Bound to its user, so that a cursor is refused for anyone else; the position inside is not
    secret (it is the createdAt and id the client already has), only unforgeable.
    """

    def __init__(self, secret: str | bytes) -> None:
        key = secret.encode() if isinstance(secret, str) else secret
        self._key = hmac.new(key, _KEY_PURPOSE, hashlib.sha256).digest()
        self._group_key = hmac.new(key, _GROUP_KEY_PURPOSE, hashlib.sha256).digest()

    def encode(self, user_id: str, position: InboxPosition) -> str:
        created_at, notification_id = position
        payload = _encoder.encode(_Position(_VERSION, _micros(created_at), notification_id.bytes))
        return _base64url(payload + _tag(self._key, user_id, payload))

    def decode(self, user_id: str, cursor: str) -> InboxPosition | None:
        payload = _verified(self._key, user_id, cursor, MAX_CURSOR_LENGTH)
        if payload is None:
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

    def encode_group(self, user_id: str, position: GroupPosition) -> str:
        created_at, key = position
        payload = _encoder.encode(_GroupPosition(_VERSION, _micros(created_at), key))
        return _base64url(payload + _tag(self._group_key, user_id, payload))

    def decode_group(self, user_id: str, cursor: str) -> GroupPosition | None:
        payload = _verified(self._group_key, user_id, cursor, MAX_GROUP_CURSOR_LENGTH)
        if payload is None:
            return None
        try:
            position = _group_decoder.decode(payload)
            if position.version != _VERSION:
                return None
            return _EPOCH + position.created_at_us * _MICROSECOND, position.key
        except (msgspec.DecodeError, ValueError, OverflowError):
            return None


def _micros(created_at: datetime) -> int:
    """Microseconds since the Unix epoch, UTC."""
    return (created_at - _EPOCH) // _MICROSECOND


def _verified(key: bytes, user_id: str, cursor: str, max_length: int) -> bytes | None:
    """The payload of a cursor signed with this key for this user; None for anything else."""
    if not 0 < len(cursor) <= max_length or not _BASE64URL.fullmatch(cursor):
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        return None
    # One spelling per cursor: no stray padding bits that decode to the same bytes.
    if _base64url(raw) != cursor or len(raw) <= _TAG_BYTES:
        return None
    payload, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
    if not hmac.compare_digest(tag, _tag(key, user_id, payload)):
        return None
    return payload


def _tag(key: bytes, user_id: str, payload: bytes) -> bytes:
    # msgpack prefixes each part with its length, so no two (user, payload) pairs collide.
    message = _encoder.encode([user_id, payload])
    return hmac.new(key, message, hashlib.sha256).digest()


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
