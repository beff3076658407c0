"""What a GraphQL operation's outcome is, for the metrics (`schema.OperationHooks` counts and
times every operation by name and outcome)."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from entrypoints.graphql.errors import INTERNAL, classify

OK = "ok"
# Raised past `schema.OperationHooks` when no operation can be chosen or it is of a refused
# type.
REFUSED = (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError)


def operation_outcome(errors: list[GraphQLError] | None) -> str:
    """`ok`, else the code of the error that matters most: an internal one, else the first."""
    codes = [classify(error)[0] for error in errors or ()]
    if not codes:
        return OK
    return INTERNAL if INTERNAL in codes else codes[0]
