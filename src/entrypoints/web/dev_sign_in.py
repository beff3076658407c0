"""Development sign-in for the inbox page: a signed token for a name, to loopback callers only.

`GET /dev/token` tells the page whether it may offer "sign in as …"; `POST /dev/token` with
`{"name": "Alice"}` answers `{"token", "userId", "name", "expiresIn"}`. In production both are
404, as if they did not exist; in development a caller that is not on this machine gets 403.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from datetime import timedelta
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    ClientException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler

from domain.users import MAX_NAME_LENGTH
from entrypoints.container import Container

TOKEN_TTL = timedelta(hours=8)  # a working day of trying things out
MAX_USER_ID_LENGTH = 64
LOOPBACK_NAMES = frozenset({"localhost", "localhost."})
_NOT_A_WORD = re.compile(r"[\W_]+")


class SignIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str


class DevToken(msgspec.Struct, rename="camel"):
    token: str
    user_id: str
    name: str
    expires_in: int


def dev_sign_in_routes() -> list[HTTPRouteHandler]:
    return [dev_sign_in_available, dev_token]


def user_id_for(name: str) -> str:
    """The same id for the same name: "Alice" is `alice`, "Mary Ann" is `mary-ann`.

    A name with no letter or digit in it gets an id made from its hash.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    slug = _NOT_A_WORD.sub("-", folded).strip("-")[:MAX_USER_ID_LENGTH].strip("-")
    return slug or "user-" + hashlib.sha256(name.encode()).hexdigest()[:12]


def development_loopback_only(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """A guard: 404 in production; 403 unless the caller and the address it used are loopback.

    The `Host` check keeps a page whose name was rebound to 127.0.0.1 from reading tokens.
    """
    container: Container = connection.app.state.container
    if container.settings().is_production:
        raise NotFoundException()
    client = connection.client.host if connection.client else ""
    if not (_is_loopback(client) and _is_loopback(_host_name(connection.headers.get("host")))):
        raise PermissionDeniedException("Development sign-in is for this machine only")


@get(
    "/dev/token",
    guards=[development_loopback_only],
    include_in_schema=False,
    sync_to_thread=False,
)
def dev_sign_in_available() -> dict[str, bool]:
    return {"available": True}


@post(
    "/dev/token",
    guards=[development_loopback_only],
    include_in_schema=False,
    status_code=200,
)
async def dev_token(request: Request[Any, Any, Any]) -> DevToken:
    if request.content_type[0] != "application/json":  # a cross-site form cannot post JSON
        raise ClientException('Send JSON: {"name": "…"}', status_code=415)
    try:
        sign_in = msgspec.json.decode(await request.body(), type=SignIn)
    except msgspec.DecodeError:
        raise ClientException('The body must be {"name": "<your name>"}') from None
    name = " ".join(sign_in.name.split())
    if not 0 < len(name) <= MAX_NAME_LENGTH:
        raise ClientException(f"A name is 1..{MAX_NAME_LENGTH} characters")
    container: Container = request.app.state.container
    user_id = user_id_for(name)
    token = container.token_issuer().issue(user_id, name=name, ttl=TOKEN_TTL)
    return DevToken(token, user_id, name, int(TOKEN_TTL.total_seconds()))


def _host_name(host: str | None) -> str:
    """The name part of a `Host` header: `127.0.0.1:3001` → `127.0.0.1`, `[::1]:3001` → `::1`."""
    host = (host or "").strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
