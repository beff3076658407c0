"""The HMAC cursor codec: a position comes back exactly for its user, and nothing else decodes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from adapters.cursors import MAX_CURSOR_LENGTH, MAX_GROUP_CURSOR_LENGTH, HmacCursorCodec

SECRET = "a server secret of at least 32 bytes"
POSITION = (datetime(2025, 3, 14, 9, 30, 15, 123456, tzinfo=UTC), uuid4())


@pytest.fixture
def codec() -> HmacCursorCodec:
    return HmacCursorCodec(SECRET)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2025, 3, 14, 9, 30, 15, 123456, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_a_position_comes_back_exactly(codec: HmacCursorCodec, moment: datetime) -> None:
    notification_id = uuid4()

    decoded = codec.decode("bob", codec.encode("bob", (moment, notification_id)))

    assert decoded == (moment, notification_id)
    assert decoded is not None
    assert decoded[0].tzinfo is UTC


def test_a_cursor_is_short_url_safe_text(codec: HmacCursorCodec) -> None:
    cursor = codec.encode("bob", POSITION)

    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert len(cursor) <= 100 < MAX_CURSOR_LENGTH


def test_the_same_secret_gives_the_same_cursor_in_every_process() -> None:
    assert HmacCursorCodec(SECRET).encode("bob", POSITION) == HmacCursorCodec(
        SECRET.encode()
    ).encode("bob", POSITION)


def test_a_cursor_is_refused_for_any_other_user(codec: HmacCursorCodec) -> None:
    cursor = codec.encode("bob", POSITION)

    for user_id in ("carol", "bo", "bob ", "Bob", ""):
        assert codec.decode(user_id, cursor) is None


def test_a_cursor_made_with_another_secret_is_refused(codec: HmacCursorCodec) -> None:
    forged = HmacCursorCodec("another " + SECRET).encode("bob", POSITION)

    assert codec.decode("bob", forged) is None


def test_changing_any_character_of_a_cursor_spoils_it(codec: HmacCursorCodec) -> None:
    cursor = codec.encode("bob", POSITION)

    for index, character in enumerate(cursor):
        for replacement in {"A", "B", "_", "-"} - {character}:
            tampered = cursor[:index] + replacement + cursor[index + 1 :]
            assert codec.decode("bob", tampered) is None, (index, replacement)


def test_a_shortened_or_lengthened_cursor_is_refused(codec: HmacCursorCodec) -> None:
    cursor = codec.encode("bob", POSITION)

    for spoilt in (cursor[:-1], cursor[1:], cursor + "A", cursor + "=", "A" + cursor):
        assert codec.decode("bob", spoilt) is None


@pytest.mark.parametrize(
    "cursor",
    ["", "A", "garbage", "====", "a b", "é" * 40, "\x00" * 40, "A" * (MAX_CURSOR_LENGTH + 1)],
)
def test_garbage_is_refused(codec: HmacCursorCodec, cursor: str) -> None:
    assert codec.decode("bob", cursor) is None


GROUP = (
    datetime(2025, 3, 14, 9, 30, 15, 123456, tzinfo=UTC),
    "comment_added:66a89910-df61-463d-ba5c-3789e568af70",  # fixed: workers collect alike
)


@pytest.mark.parametrize(
    "key", [GROUP[1], "lead_created:2025-03-14:", "lead_created:2025-03-14:" + "é" * 255, ""]
)
def test_a_group_position_comes_back_exactly(codec: HmacCursorCodec, key: str) -> None:
    cursor = codec.encode_group("bob", (GROUP[0], key))

    assert codec.decode_group("bob", cursor) == (GROUP[0], key)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert len(cursor) <= MAX_GROUP_CURSOR_LENGTH


def test_a_group_cursor_is_refused_for_any_other_user_or_secret(codec: HmacCursorCodec) -> None:
    cursor = codec.encode_group("bob", GROUP)

    assert codec.decode_group("carol", cursor) is None
    assert HmacCursorCodec(SECRET + "!").decode_group("bob", cursor) is None
    assert codec.decode_group("bob", cursor[:-1]) is None


def test_a_group_cursor_never_passes_for_an_inbox_cursor_nor_the_other_way(
    codec: HmacCursorCodec,
) -> None:
    assert codec.decode("bob", codec.encode_group("bob", GROUP)) is None
    assert codec.decode_group("bob", codec.encode("bob", POSITION)) is None
