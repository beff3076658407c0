"""RegisterUser: a token's user is registered the first time, and kept up to date after."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from application.commands import RegisterUserCommand
from application.users.register_user import RegisterUser
from domain.errors import InvalidInput
from domain.users import User

if TYPE_CHECKING:
    from conftest import CountingUnitOfWork, FixedClock, StoreReader


@pytest.fixture
def register(counting_uow: CountingUnitOfWork, clock: FixedClock) -> RegisterUser:
    return RegisterUser(counting_uow, clock)


async def test_a_first_token_registers_its_user(
    register: RegisterUser, clock: FixedClock, read: StoreReader
) -> None:
    now = clock.now()

    user = await register(RegisterUserCommand("u-1", name="Alice", email="alice@example.com"))

    assert user == User("u-1", "Alice", "alice@example.com", created_at=now, updated_at=now)
    assert await read.user("u-1") == user
    assert await read.user_ids() == ["u-1"]


async def test_a_later_token_updates_the_name_and_email(
    register: RegisterUser, clock: FixedClock, read: StoreReader
) -> None:
    registered_at = clock.now()
    await register(RegisterUserCommand("u-1", name="Alice", email="alice@example.com"))
    updated_at = clock.advance(days=1)

    user = await register(RegisterUserCommand("u-1", name="Alice L.", email="al@example.com"))

    expected = User("u-1", "Alice L.", "al@example.com", registered_at, updated_at)
    assert user == expected
    assert await read.user("u-1") == expected
    assert await read.user_ids() == ["u-1"]


async def test_the_same_claims_again_write_nothing(
    register: RegisterUser, counting_uow: CountingUnitOfWork, clock: FixedClock, read: StoreReader
) -> None:
    first = await register(RegisterUserCommand("u-1", name="Alice", email="alice@example.com"))
    clock.advance(days=1)

    again = await register(RegisterUserCommand("u-1", name=" Alice ", email="alice@example.com"))

    assert again == first
    assert await read.user("u-1") == first
    assert counting_uow.commits == 1


async def test_overlong_claims_are_stored_clipped(
    register: RegisterUser, read: StoreReader
) -> None:
    await register(RegisterUserCommand("u-1", name="a" * 500, email="e" * 500))

    stored = await read.user("u-1")

    assert stored is not None
    assert (stored.name, stored.email) == ("a" * 200, "e" * 254)


async def test_an_empty_subject_registers_no_one(register: RegisterUser, read: StoreReader) -> None:
    with pytest.raises(InvalidInput) as caught:
        await register(RegisterUserCommand("", name="Nobody"))

    assert caught.value.field == "sub"
    assert await read.user_ids() == []
