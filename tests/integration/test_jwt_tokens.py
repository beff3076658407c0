"""The HS256 verifier: `exp` exact, `iat` and `nbf` allowed a clock skew; verified tokens are
remembered until they expire."""

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


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    verifier = JwtTokenVerifier(SECRET)
    expires = int(time.time()) + 1
    token = jwt.encode({"sub": "bob", "exp": expires}, SECRET, algorithm="HS256")
    assert verifier.verify(token).user_id == "bob"

    time.sleep(max(0.0, expires - time.time()) + 0.05)

    with pytest.raises(InvalidToken):
        verifier.verify(token)
    with pytest.raises(InvalidToken):  # and stays refused
        verifier.verify(token)


def test_a_token_expired_a_moment_ago_is_refused() -> None:
    """The socket of a token is dropped when it expires: the token is refused from then on."""
    moment_ago = int(time.time()) - 2
    token = jwt.encode({"sub": "bob", "exp": moment_ago}, SECRET, algorithm="HS256")

    with pytest.raises(InvalidToken, match="expired"):
        JwtTokenVerifier(SECRET).verify(token)


@pytest.mark.parametrize("exp", [10**15, 10**20, "99999999999999"], ids=["1e15", "1e20", "string"])
def test_a_token_that_expires_beyond_any_date_is_refused_not_an_error(exp: object) -> None:
    token = jwt.encode({"sub": "bob", "exp": exp}, SECRET, algorithm="HS256")

    with pytest.raises(InvalidToken, match="out of range"):
        JwtTokenVerifier(SECRET).verify(token)


def test_an_exp_given_as_a_string_of_a_number_is_read_as_pyjwt_reads_it() -> None:
    later = int(time.time()) + 3600
    token = jwt.encode({"sub": "bob", "exp": str(later)}, SECRET, algorithm="HS256")

    identity = JwtTokenVerifier(SECRET).verify(token)

    assert identity.expires_at == datetime.fromtimestamp(later, UTC)


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_a_token_issued_by_a_clock_a_little_ahead_is_accepted(claim: str) -> None:
    ahead = int(time.time()) + tokens.CLOCK_SKEW_SECONDS // 2
    later = int(time.time()) + 3600
    token = jwt.encode({"sub": "bob", "exp": later, claim: ahead}, SECRET, algorithm="HS256")
    too_far = {"sub": "bob", "exp": later, claim: ahead + tokens.CLOCK_SKEW_SECONDS}

    assert JwtTokenVerifier(SECRET).verify(token).user_id == "bob"
    with pytest.raises(InvalidToken, match="not yet valid"):
        JwtTokenVerifier(SECRET).verify(jwt.encode(too_far, SECRET, algorithm="HS256"))


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
