"""Authentication shared by GraphQL and Socket.IO: verify the token, register its user."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from application.auth import Identity, InvalidToken, TokenVerifier
from application.commands import RegisterUserCommand
from application.users.register_user import RegisterUser
from domain.errors import InvalidInput

KNOWN_USERS_KEPT = 10_000
# How long this process trusts that the store still holds the profile it wrote last: another
# process may have written an older token's name meanwhile.
PROFILE_REWRITTEN_AFTER_SECONDS = 60.0


class Authenticator:
    """Turns a bearer token into an identity; its user is registered the first time it is seen.

    Registration writes only when the token's name or email differ from what this process
    wrote last for that user (or that was a minute ago), so an ordinary request costs a
    signature check and no database round trip, and the latest token's profile is the one kept.
    """

    def __init__(
        self,
        verifier: TokenVerifier,
        register_user: Callable[[], RegisterUser],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._verifier = verifier
        self._register_user = register_user
        self._monotonic = monotonic
        # By user id: the name and email written last, and when.
        self._written: OrderedDict[str, tuple[str | None, str | None, float]] = OrderedDict()

    async def authenticate(self, token: str) -> Identity:
        """The token's identity; raises `InvalidToken` when the token is not acceptable."""
        identity = self._verifier.verify(token)
        user_id, now = identity.user_id, self._monotonic()
        written = self._written.get(user_id)
        if (
            written is not None
            and written[:2] == (identity.name, identity.email)
            and now - written[2] < PROFILE_REWRITTEN_AFTER_SECONDS
        ):
            self._written.move_to_end(user_id)
            return identity
        try:
            await self._register_user()(RegisterUserCommand(user_id, identity.name, identity.email))
        except InvalidInput as error:  # e.g. a `sub` too long to be a user id
            raise InvalidToken(str(error)) from None
        self._written[user_id] = (identity.name, identity.email, now)
        self._written.move_to_end(user_id)
        if len(self._written) > KNOWN_USERS_KEPT:
            self._written.popitem(last=False)
        return identity


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header, or an empty string."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
