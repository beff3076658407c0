"""Authentication shared by GraphQL and Socket.IO: verify the token, register its user."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from application.auth import Identity, InvalidToken, TokenVerifier
from application.commands import RegisterUserCommand
from application.users.register_user import RegisterUser
from domain.errors import InvalidInput

KNOWN_USERS_KEPT = 10_000


class Authenticator:
    """Turns a bearer token into an identity; its user is registered the first time it is seen.

    Registration writes only when the claims are new to this process, so an ordinary request
    costs a signature check and no database round trip.
    """

    def __init__(self, verifier: TokenVerifier, register_user: Callable[[], RegisterUser]) -> None:
        self._verifier = verifier
        self._register_user = register_user
        self._known: OrderedDict[tuple[str, str | None, str | None], None] = OrderedDict()

    async def authenticate(self, token: str) -> Identity:
        """The token's identity; raises `InvalidToken` when the token is not acceptable."""
        identity = self._verifier.verify(token)
        key = (identity.user_id, identity.name, identity.email)
        if key in self._known:
            self._known.move_to_end(key)
            return identity
        try:
            await self._register_user()(
                RegisterUserCommand(identity.user_id, identity.name, identity.email)
            )
        except InvalidInput as error:  # e.g. a `sub` too long to be a user id
            raise InvalidToken(str(error)) from None
        self._known[key] = None
        if len(self._known) > KNOWN_USERS_KEPT:
            self._known.popitem(last=False)
        return identity


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header, or an empty string."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
