"""How errors leave the GraphQL API: a contract code and a safe message, never internals."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from domain.errors import DomainError, InvalidInput, NotFound

BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
UNAUTHENTICATED = "UNAUTHENTICATED"
INTERNAL = "INTERNAL_SERVER_ERROR"

UNAUTHORIZED_BODY = {
    "errors": [{"message": "Unauthorized", "extensions": {"code": UNAUTHENTICATED}}]
}

log = logging.getLogger("herald.graphql")


def _public(error: GraphQLError) -> tuple[str, str]:
    """The code and message a client may see for this error."""
    original = error.original_error
    if original is None:  # the document itself: syntax, validation, limits
        return BAD_USER_INPUT, error.message
    match original:
        case InvalidInput():
            return BAD_USER_INPUT, str(original)
        case NotFound():
            return NOT_FOUND, f"{original.kind.capitalize()} not found"
        case DomainError():
            return BAD_USER_INPUT, str(original)
        case GraphQLError():  # e.g. a variable of the wrong type
            return BAD_USER_INPUT, original.message
        case _:
            return INTERNAL, "Internal server error"


def log_unexpected(errors: list[GraphQLError], context: ExecutionContext | None) -> None:
    """Log, once and with its traceback, each error that is not the client's doing."""
    request_id = getattr(getattr(context, "context", None), "request_id", None)
    for error in errors:
        if _public(error)[0] == INTERNAL:
            log.error(
                "GraphQL operation %s failed",
                getattr(context, "operation_name", None) or "(anonymous)",
                exc_info=error.original_error,
                extra={"request_id": request_id},
            )


class ErrorCodes(SchemaExtension):
    """Rewrites every error to its `extensions.code` and a message safe to show."""

    def on_operation(self) -> Iterator[None]:
        yield
        result: Any = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [self._rewrite(error) for error in result.errors]

    @staticmethod
    def _rewrite(error: GraphQLError) -> GraphQLError:
        code, message = _public(error)
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": code},
        )
