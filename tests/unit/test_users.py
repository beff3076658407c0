"""Users: registration from token claims, how they are named, and how their profile changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidInput
from domain.users import User

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def test_register_keeps_the_claims_and_the_time() -> None:
    user = User.register("u-1", "Alice", "alice@example.com", NOW)

    assert user == User("u-1", "Alice", "alice@example.com", created_at=NOW, updated_at=NOW)


@pytest.mark.parametrize("user_id", ["", "x" * 256], ids=["empty", "256 characters"])
def test_register_refuses_a_subject_outside_1_to_255_characters(user_id: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        User.register(user_id, "Alice", None, NOW)

    assert caught.value.field == "sub"


@pytest.mark.parametrize("user_id", ["a", "x" * 255])
def test_register_accepts_a_subject_of_1_to_255_characters(user_id: str) -> None:
    assert User.register(user_id, None, None, NOW).id == user_id


@pytest.mark.parametrize(
    ("claim", "stored"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("  Alice  ", "Alice"),
        ("a" * 200, "a" * 200),
        ("a" * 201, "a" * 200),
        ("a" * 5000, "a" * 200),
    ],
    ids=["missing", "empty", "blank", "padded", "200", "201", "5000"],
)
def test_an_overlong_or_blank_name_claim_is_clipped_not_refused(
    claim: str | None, stored: str | None
) -> None:
    assert User.register("u-1", claim, None, NOW).name == stored


@pytest.mark.parametrize(
    ("claim", "stored"),
    [
        (None, None),
        ("  ", None),
        (" alice@example.com ", "alice@example.com"),
        ("e" * 254, "e" * 254),
        ("e" * 255, "e" * 254),
    ],
    ids=["missing", "blank", "padded", "254", "255"],
)
def test_an_overlong_or_blank_email_claim_is_clipped_not_refused(
    claim: str | None, stored: str | None
) -> None:
    assert User.register("u-1", None, claim, NOW).email == stored


@pytest.mark.parametrize(
    ("name", "shown"),
    [("Alice", "Alice"), (None, "u-1"), ("", "u-1"), ("   ", "u-1")],
    ids=["named", "no name", "empty name", "blank name"],
)
def test_display_name_is_the_name_else_the_id(name: str | None, shown: str) -> None:
    assert User.register("u-1", name, None, NOW).display_name == shown


def test_update_profile_takes_new_claims_and_says_so() -> None:
    user = User.register("u-1", "Alice", "alice@example.com", NOW)

    changed = user.update_profile("Alice Liddell", "alice@wonderland.example", LATER)

    assert changed is True
    assert user == User(
        "u-1", "Alice Liddell", "alice@wonderland.example", created_at=NOW, updated_at=LATER
    )


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("Alice", "alice@example.com"),
        ("  Alice ", " alice@example.com  "),
    ],
    ids=["same claims", "same claims once trimmed"],
)
def test_update_profile_with_the_same_claims_changes_nothing(name: str, email: str) -> None:
    user = User.register("u-1", "Alice", "alice@example.com", NOW)

    changed = user.update_profile(name, email, LATER)

    assert changed is False
    assert user == User("u-1", "Alice", "alice@example.com", created_at=NOW, updated_at=NOW)


def test_update_profile_clips_like_register_does() -> None:
    user = User.register("u-1", "a" * 200, None, NOW)

    assert user.update_profile("a" * 300, None, LATER) is False
    assert user.update_profile("b" * 300, None, LATER) is True
    assert user.name == "b" * 200


def test_a_token_without_a_name_claim_clears_the_name() -> None:
    user = User.register("u-1", "Alice", None, NOW)

    assert user.update_profile(None, None, LATER) is True
    assert user.name is None
    assert user.display_name == "u-1"
