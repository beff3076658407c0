"""The GraphQL schema: the operations of every area, merged, with the request limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from entrypoints.graphql.errors import log_unexpected
from entrypoints.graphql.execution import LeafObjectsExecutor
from entrypoints.graphql.leads import LeadMutations, LeadQueries
from entrypoints.graphql.limits import MAX_TOKENS, DocumentLimits, answer_bounds_error
from entrypoints.graphql.metrics import OperationMetrics
from entrypoints.graphql.notifications import NotificationMutations, NotificationQueries
from entrypoints.graphql.preferences import PreferenceMutations, PreferenceQueries
from entrypoints.graphql.subscriptions import Subscription
from entrypoints.metrics import Metrics

Query = merge_types("Query", (NotificationQueries, PreferenceQueries, LeadQueries))
Mutation = merge_types("Mutation", (NotificationMutations, PreferenceMutations, LeadMutations))


class DocumentBounds(SchemaExtension):
    """At most `MAX_TOKENS` tokens parsed, then these validation rules: strawberry's
    MaxTokensLimiter, AddValidationRules and DisableIntrospection in one extension.

    The rules are the same classes for every request, so that ValidationCache recognises a
    document it validated before.
    """

    def __init__(self, rules: tuple[type[ASTValidationRule], ...]) -> None:
        self._rules = rules

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = context.validation_rules + self._rules
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
    # Every hook of every extension costs its wrapping on each request: the bounds are one.
    rules = (
        (DocumentLimits,) if introspection else (DocumentLimits, NoSchemaIntrospectionCustomRule)
    )
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: DocumentBounds(rules),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]
    if metrics is not None:
        extensions.append(lambda: OperationMetrics(metrics))
    return HeraldSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=LeafObjectsExecutor,
        **options,
    )
