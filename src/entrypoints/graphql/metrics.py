"""Every GraphQL operation counted by name and outcome, and timed, into the app's metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from entrypoints.graphql.errors import BAD_USER_INPUT, INTERNAL, classify
from entrypoints.metrics import Metrics

OK = "ok"
# Raised past the extensions when no operation can be chosen or it is of a refused type.
_REFUSED = (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError)


class OperationMetrics(SchemaExtension):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        outcome = INTERNAL
        try:
            yield
            outcome = _outcome(self.execution_context.pre_execution_errors)
        except _REFUSED:
            outcome = BAD_USER_INPUT
            raise
        finally:
            self._metrics.observe_operation(
                self.execution_context.operation_name, outcome, time.perf_counter() - started
            )


def _outcome(errors: list[GraphQLError] | None) -> str:
    """`ok`, else the code of the error that matters most: an internal one, else the first."""
    codes = [classify(error)[0] for error in errors or ()]
    if not codes:
        return OK
    return INTERNAL if INTERNAL in codes else codes[0]
