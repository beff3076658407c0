"""The HS256 verifier remembers the tokens it verified, and only while PyJWT would accept them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from adapters.jwt import tokens
from adapters.jwt.tokens import JwtTokenIssuer, JwtTokenVerifier
from application.auth import InvalidToken

SECRET = "s" * 32


def test_a_token_verified_again_gives_the_same_identity() -> None:
    verifier = JwtTokenVerifier(SECRET)
    token = JwtTokenIssuer(SECRET).issue("bob", name="Bob", email="bob@example.com")

    first, again = verifier.verify(token), verifier.verify(token)

    assert again == first
    assert (first.user_id, first.name, first.email) == ("bob", "Bob", "bob@example.com")


def test_a_remembered_token_is_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "LEEWAY_SECONDS", 0)
    verifier = JwtTokenVerifier(SECRET)
    expires = int(time.time()) + 1
    token = jwt.encode({"sub": "bob", "exp": expires}, SECRET, algorithm="HS256")
    assert verifier.verify(token).user_id == "bob"

    time.sleep(max(0.0, expires - time.time()) + 0.05)

    with pytest.raises(InvalidToken):
        verifier.verify(token)
    with pytest.raises(InvalidToken):  # and stays refused
        verifier.verify(token)


def test_refused_tokens_are_refused_every_time() -> None:
    verifier = JwtTokenVerifier(SECRET)
    forged = JwtTokenIssuer("f" * 32).issue("bob")
    early = jwt.encode(
        {
            "sub": "bob",
            "exp": datetime.now(UTC) + timedelta(hours=1),
            "nbf": datetime.now(UTC) + timedelta(hours=1),
        },
        SECRET,
        algorithm="HS256",
    )

    for token in (forged, early, "", "not a token"):
        for _ in range(2):
            with pytest.raises(InvalidToken):
                verifier.verify(token)


def test_the_verifier_remembers_a_bounded_number_of_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_TOKENS_KEPT", 3)
    verifier = JwtTokenVerifier(SECRET)
    issuer = JwtTokenIssuer(SECRET)
    issued = [issuer.issue(f"user-{number}") for number in range(5)]

    identities = [verifier.verify(token).user_id for token in issued + issued]

    assert identities == [f"user-{number}" for number in range(5)] * 2
    assert len(verifier._verified) == 3
