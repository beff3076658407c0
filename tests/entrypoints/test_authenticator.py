"""The Authenticator: the latest token's name and email are the user's, written only when new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork
from adapters.system import SystemClock
from application.auth import Identity
from application.commands import RegisterUserCommand
from application.users.register_user import RegisterUser
from domain.users import User
from entrypoints.auth import PROFILE_REWRITTEN_AFTER_SECONDS, Authenticator

EXPIRES = datetime.now(UTC) + timedelta(hours=1)


class ClaimsAsTokens:
    """A verifier whose tokens are `sub|name|email`: the claims, as a verified token gives them."""

    def verify(self, token: str) -> Identity:
        user_id, name, email = token.split("|")
        return Identity(user_id, name or None, email or None, EXPIRES)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class CountingRegistration(RegisterUser):
    def __init__(self, store: InMemoryStore) -> None:
        super().__init__(InMemoryUnitOfWork(store), SystemClock())
        self.calls = 0

    async def __call__(self, command: RegisterUserCommand) -> User:
        self.calls += 1
        return await super().__call__(command)


def authenticator(store: InMemoryStore, clock: Clock) -> tuple[Authenticator, CountingRegistration]:
    registration = CountingRegistration(store)
    return Authenticator(ClaimsAsTokens(), lambda: registration, clock), registration


async def profile(store: InMemoryStore, user_id: str) -> tuple[str | None, str | None]:
    async with InMemoryUnitOfWork(store) as uow:
        user = await uow.users.get(user_id)
    assert user is not None
    return user.name, user.email


@pytest.mark.parametrize(
    "tokens",
    [
        ["Alice|al@example.com", "Alicia|al@example.com", "Alice|al@example.com"],
        ["Alice|al@example.com", "Alice|", "Alice|al@example.com"],
    ],
    ids=["a name", "an email"],
)
async def test_a_claim_given_back_its_earlier_value_is_the_users_again(tokens: list[str]) -> None:
    store, clock = InMemoryStore(), Clock()
    authenticate, _ = authenticator(store, clock)

    for claims in tokens:
        await authenticate.authenticate(f"al|{claims}")

    assert await profile(store, "al") == ("Alice", "al@example.com")


async def test_the_same_claims_again_are_not_written_again_within_a_minute() -> None:
    store, clock = InMemoryStore(), Clock()
    authenticate, registration = authenticator(store, clock)

    for _ in range(5):
        await authenticate.authenticate("al|Alice|")
        clock.now += 1

    assert registration.calls == 1


async def test_a_profile_another_process_overwrote_is_written_again_after_a_minute() -> None:
    """Two processes, one store: each writes what its latest token says, the later one wins."""
    store = InMemoryStore()
    first_clock, second_clock = Clock(), Clock()
    first, _ = authenticator(store, first_clock)
    second, _ = authenticator(store, second_clock)
    await first.authenticate("al|Alice|")
    await second.authenticate("al|Alicia|")

    await first.authenticate("al|Alice|")  # the first process still trusts what it wrote
    stale = await profile(store, "al")
    first_clock.now += PROFILE_REWRITTEN_AFTER_SECONDS
    await first.authenticate("al|Alice|")

    assert stale == ("Alicia", None)
    assert await profile(store, "al") == ("Alice", None)
