"""What a GraphQL operation's outcome is, for the metrics (`schema.OperationHooks` counts and
times every operation by name and outcome)."""

from __future__ import annotations

from graphql import GraphQLError

from entrypoints.graphql.errors import INTERNAL, classify

OK = "ok"


def operation_outcome(errors: list[GraphQLError] | None) -> str:
    """`ok`, else the code of the error that matters most: an internal one, else the first."""
    codes = [classify(error)[0] for error in errors or ()]
    if not codes:
        return OK
    return INTERNAL if INTERNAL in codes else codes[0]
