"""HS256 JWTs: the verifier every entrypoint uses, and the issuer behind `herald token`."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from application.auth import Identity, InvalidToken

ALGORITHM = "HS256"
MAX_TOKEN_BYTES = 8 * 1024
# The clocks of the token's issuer and of this server may differ by this much: a token issued a
# moment "in the future" (`iat`, `nbf`) is accepted. `exp` is exact: an expired token is refused,
# as a connected socket is dropped the moment its token expires.
CLOCK_SKEW_SECONDS = 10
# Tokens verified lately, remembered until they expire: a client sends the same one with every
# request, and its signature need not be checked each time. Longer tokens are decoded anew.
VERIFIED_TOKENS_KEPT = 10_000
MAX_REMEMBERED_TOKEN_LENGTH = 2_048


class JwtTokenVerifier:
    def __init__(self, secret: str, issuer: str | None = None, audience: str | None = None) -> None:
        self._secret, self._issuer, self._audience = secret, issuer, audience
        # token -> (its identity, its `exp`: refused from then on)
        self._verified: dict[str, tuple[Identity, float]] = {}

    def verify(self, token: str) -> Identity:
        remembered = self._verified.get(token) if isinstance(token, str) else None
        if remembered is not None:
            identity, accepted_until = remembered
            if time.time() < accepted_until:
                return identity
            del self._verified[token]
        identity, expires = self._decode(token)
        if len(token) <= MAX_REMEMBERED_TOKEN_LENGTH:
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                del self._verified[next(iter(self._verified))]  # the oldest
            self._verified[token] = (identity, expires)
        return identity

    def _decode(self, token: str) -> tuple[Identity, float]:
        """The token's identity and `exp`, checked by PyJWT."""
        if not isinstance(token, str) or not token:
            raise InvalidToken("no token")
        if len(token.encode()) > MAX_TOKEN_BYTES:
            raise InvalidToken("token too large")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                leeway=CLOCK_SKEW_SECONDS,
                options={
                    "require": ["sub", "exp"],
                    "verify_aud": self._audience is not None,
                    "verify_iss": self._issuer is not None,
                },
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("sub must be a non-empty string")
        expires = int(claims["exp"])  # as PyJWT read it: a number, or a string of one
        if expires <= time.time():  # PyJWT allowed it the clock skew too
            raise InvalidToken("Signature has expired")
        try:
            expires_at = datetime.fromtimestamp(expires, UTC)
        except (OverflowError, OSError, ValueError):  # beyond the year 9999
            raise InvalidToken("exp is out of range") from None
        identity = Identity(
            user_id=subject,
            name=_optional_str(claims.get("name")),
            email=_optional_str(claims.get("email")),
            expires_at=expires_at,
        )
        return identity, float(expires)


class JwtTokenIssuer:
    def __init__(self, secret: str, issuer: str | None = None, audience: str | None = None) -> None:
        self._secret, self._issuer, self._audience = secret, issuer, audience

    def issue(
        self,
        subject: str,
        *,
        name: str | None = None,
        email: str | None = None,
        ttl: timedelta = timedelta(hours=1),
        now: datetime | None = None,
    ) -> str:
        now = now or datetime.now(UTC)
        claims: dict[str, Any] = {"sub": subject, "iat": now, "exp": now + ttl}
        optional = {"name": name, "email": email, "iss": self._issuer, "aud": self._audience}
        claims.update({key: value for key, value in optional.items() if value is not None})
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None
