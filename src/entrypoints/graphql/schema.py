"""The GraphQL schema: the operations of every area, merged, with the request limits."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.language.parser import parse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from entrypoints.graphql.errors import BAD_USER_INPUT, INTERNAL, log_unexpected
from entrypoints.graphql.execution import LeafObjectsExecutor
from entrypoints.graphql.leads import LeadMutations, LeadQueries
from entrypoints.graphql.limits import MAX_TOKENS, DocumentLimits, answer_bounds_error
from entrypoints.graphql.metrics import REFUSED, operation_outcome
from entrypoints.graphql.notifications import NotificationMutations, NotificationQueries
from entrypoints.graphql.preferences import PreferenceMutations, PreferenceQueries
from entrypoints.graphql.subscriptions import Subscription
from entrypoints.metrics import Metrics

Query = merge_types("Query", (NotificationQueries, PreferenceQueries, LeadQueries))
Mutation = merge_types("Mutation", (NotificationMutations, PreferenceMutations, LeadMutations))


# Shared by every request (strawberry's ParserCache and ValidationCache keep theirs the same way).
_parse = functools.lru_cache(maxsize=256)(parse)
_validate = functools.lru_cache(maxsize=256)(validate_document)


class OperationHooks(SchemaExtension):
    """Herald's work around every operation, in one extension: the document's bounds, its
    parse and validation cached, and the operation counted in the metrics.

    strawberry wraps every hook of every extension on each request (a lookup of the hook and a
    context manager around it): with the bounds, the two caches and the metrics as four
    extensions, a `getUnreadCount` made 8% more Python calls (bench/findings.md).

    At most `MAX_TOKENS` tokens are parsed, then the validation `rules` run (strawberry's
    MaxTokensLimiter, AddValidationRules and DisableIntrospection). The rules are the same
    classes for every request, so that the validation cache recognises a document it
    validated before.
    """

    def __init__(self, rules: tuple[type[ASTValidationRule], ...], metrics: Metrics | None) -> None:
        self._rules, self._metrics = rules, metrics

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = context.validation_rules + self._rules
        if self._metrics is None:
            yield
            return
        started = time.perf_counter()
        outcome = INTERNAL
        try:
            yield
            outcome = operation_outcome(context.pre_execution_errors)
        except REFUSED:
            outcome = BAD_USER_INPUT
            raise
        finally:
            self._metrics.observe_operation(
                context.operation_name, outcome, time.perf_counter() - started
            )

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = _parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = _validate(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        # A mutation runs only when its whole answer can be given (bad input changes nothing),
        # and no request reads a list for each item of a long list. Only a lead's
        # `notifications` (and their receipts) are such lists: other requests skip the walk.
        if context.graphql_document is not None and (
            "mutation" in (context.query or "") or "notifications" in (context.query or "")
        ):
            problem = answer_bounds_error(
                context.graphql_document, context.operation_name, context.variables
            )
            if problem is not None:
                context.result = GraphQLExecutionResult(data=None, errors=[GraphQLError(problem)])
        yield


class HeraldSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors, execution_context)


def build_schema(
    *,
    introspection: bool = True,
    metrics: Metrics | None = None,
    **options: Any,
) -> strawberry.Schema:
    """The schema with its limits; `introspection=False` in production, `metrics` to count."""
    rules = (
        (DocumentLimits,) if introspection else (DocumentLimits, NoSchemaIntrospectionCustomRule)
    )
    return HeraldSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[lambda: OperationHooks(rules, metrics)],
        execution_context_class=LeafObjectsExecutor,
        **options,
    )
