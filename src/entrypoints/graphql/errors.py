"""How errors leave the GraphQL API: a contract code and a safe message, never internals."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext

from application.ports import ConcurrentUpdate, DatabaseBusy
from domain.errors import DomainError, InvalidInput, NotFound

BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
UNAUTHENTICATED = "UNAUTHENTICATED"
INTERNAL = "INTERNAL_SERVER_ERROR"
RATE_LIMITED = "RATE_LIMITED"
# Concurrent changes to the same data kept this one from being made: nothing changed, and the
# client may send it again.
CONFLICT = "CONFLICT"

log = logging.getLogger("herald.graphql")

# strawberry's refusals of a request whose operation cannot run: none chosen, unknown, of a
# refused type, or no query at all. The client's error.
REFUSED = (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError)


def error_body(message: str, code: str) -> dict[str, list[dict[str, Any]]]:
    """A response body carrying one error, for answers given before any execution."""
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


UNAUTHORIZED_BODY = error_body("Unauthorized", UNAUTHENTICATED)
RATE_LIMITED_MESSAGE = "Too many requests"
RATE_LIMITED_BODY = error_body(RATE_LIMITED_MESSAGE, RATE_LIMITED)


def classify(error: GraphQLError) -> tuple[str, str]:
    """The code and message a client may see for this error."""
    original = error.original_error
    match original:
        case None:  # the document itself: syntax, validation, limits
            return BAD_USER_INPUT, error.message
        case InvalidInput():
            return BAD_USER_INPUT, str(original)
        case NotFound():
            return NOT_FOUND, f"{original.kind.capitalize()} not found"
        case ConcurrentUpdate() | DatabaseBusy():
            return CONFLICT, conflict_message(original)
        case DomainError():
            return BAD_USER_INPUT, str(original)
        case GraphQLError():  # e.g. a variable of the wrong type
            return BAD_USER_INPUT, original.message
        case CannotGetOperationTypeError() | InvalidOperationTypeError() | MissingQueryError():
            return BAD_USER_INPUT, error.message  # over WebSocket, where strawberry wraps them
        case _:
            return INTERNAL, "Internal server error"


def conflict_message(error: ConcurrentUpdate | DatabaseBusy) -> str:
    if isinstance(error, ConcurrentUpdate):  # already run again, see application.retries
        return "Concurrent changes to the same data; nothing changed, try again"
    return "The data is busy with other changes; nothing changed, try again"


def public_error(error: GraphQLError) -> dict[str, Any]:
    """The error as the client sees it: located, coded, and with a message safe to show."""
    code, message = classify(error)
    formatted: dict[str, Any] = {"message": message}
    if error.locations:
        formatted["locations"] = [location._asdict() for location in error.locations]
    if error.path:
        formatted["path"] = error.path
    formatted["extensions"] = {"code": code}
    return formatted


def coded(error: GraphQLError) -> GraphQLError:
    """The error as a WebSocket client sees it: coded and worded as `public_error` (strawberry
    sends an error's own message). A syntax error stays as it is: strawberry closes the socket
    with it (4400), as it does for an operation it cannot choose; one already coded is ours."""
    if isinstance(error, GraphQLSyntaxError) or (error.extensions or {}).get("code"):
        return error
    code, message = classify(error)
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions={"code": code},
    )


def log_unexpected(errors: list[GraphQLError], context: ExecutionContext | None) -> None:
    """Log, once and with its traceback, each error that is not the client's doing."""
    request_id = getattr(getattr(context, "context", None), "request_id", None)
    for error in errors:
        if classify(error)[0] == INTERNAL:
            log.error(
                "GraphQL operation %s failed (request %s)",
                getattr(context, "operation_name", None) or "(anonymous)",
                request_id,
                exc_info=error.original_error,
                extra={"request_id": request_id},
            )
