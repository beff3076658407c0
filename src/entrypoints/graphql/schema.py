"""The GraphQL schema: the operations of every area, merged, with the request limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from entrypoints.graphql.errors import log_unexpected
from entrypoints.graphql.execution import LeafObjectsExecutor
from entrypoints.graphql.leads import LeadMutations, LeadQueries
from entrypoints.graphql.limits import MAX_TOKENS, DocumentLimits
from entrypoints.graphql.metrics import OperationMetrics
from entrypoints.graphql.notifications import NotificationMutations, NotificationQueries
from entrypoints.graphql.preferences import PreferenceMutations, PreferenceQueries
from entrypoints.graphql.subscriptions import Subscription
from entrypoints.metrics import Metrics

Query = merge_types("Query", (NotificationQueries, PreferenceQueries, LeadQueries))
Mutation = merge_types("Mutation", (NotificationMutations, PreferenceMutations, LeadMutations))


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
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(MAX_TOKENS),
        # One rule class for every request, so that ValidationCache can recognise a document.
        lambda: AddValidationRules([DocumentLimits]),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
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
