"""The GraphQL schema: the operations of every area, merged, with the request limits."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from entrypoints.graphql.errors import log_unexpected
from entrypoints.graphql.leads import LeadMutations, LeadQueries
from entrypoints.graphql.notifications import NotificationMutations, NotificationQueries
from entrypoints.graphql.preferences import PreferenceMutations, PreferenceQueries

MAX_DEPTH = 10
MAX_TOKENS = 1_000

Query = merge_types("Query", (NotificationQueries, PreferenceQueries, LeadQueries))
Mutation = merge_types("Mutation", (NotificationMutations, PreferenceMutations, LeadMutations))


class HeraldSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors, execution_context)


def build_schema(**options: Any) -> strawberry.Schema:
    return HeraldSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: MaxTokensLimiter(MAX_TOKENS),
            lambda: QueryDepthLimiter(MAX_DEPTH),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ],
        **options,
    )
