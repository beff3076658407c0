"""The GraphQL schema: the operations of every area, merged, with the request limits."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable, Iterable
from typing import Any

import strawberry
from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.language.parser import parse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.schema.schema import StreamResult, validate_document
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from entrypoints.graphql.context import HeraldContext
from entrypoints.graphql.errors import (
    BAD_USER_INPUT,
    INTERNAL,
    RATE_LIMITED,
    RATE_LIMITED_MESSAGE,
    REFUSED,
    coded,
    log_unexpected,
)
from entrypoints.graphql.execution import LeafObjectsExecutor
from entrypoints.graphql.leads import LeadMutations, LeadQueries
from entrypoints.graphql.limits import (
    MAX_TOKENS,
    DocumentLimits,
    answer_bounds_error,
    operations_of,
)
from entrypoints.graphql.metrics import operation_outcome
from entrypoints.graphql.notifications import NotificationMutations, NotificationQueries
from entrypoints.graphql.preferences import PreferenceMutations, PreferenceQueries
from entrypoints.graphql.subscriptions import Subscription
from entrypoints.metrics import Metrics

Query = merge_types("Query", (NotificationQueries, PreferenceQueries, LeadQueries))
Mutation = merge_types("Mutation", (NotificationMutations, PreferenceMutations, LeadMutations))


# Shared by every request (strawberry's ParserCache and ValidationCache keep theirs the same way).
_parse = functools.lru_cache(maxsize=256)(parse)
DOCUMENTS_VALIDATED_KEPT = 256
# By the identities of the schema and the document (and the rules): a validation's errors, with
# the schema and the document it is of, so that neither id is reused while it is kept.
_validated: dict[
    tuple[int, int, tuple[type[ASTValidationRule], ...]],
    tuple[GraphQLSchema, DocumentNode, list[GraphQLError]],
] = {}


def _validate(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    """strawberry's `validate_document`, once per document: the parse cache gives the same
    document for the same query, so it is known by its identity. Cached by its value (an
    `lru_cache`), it was hashed on every request, its whole tree, node by node (graphql-core's
    nodes are frozen dataclasses): about 6% of a `getUnreadCount`'s time in the process
    (bench/findings.md)."""
    key = (id(schema), id(document), rules)
    cached = _validated.get(key)
    if cached is not None and cached[0] is schema and cached[1] is document:
        return cached[2]
    errors = validate_document(schema, document, rules)
    if len(_validated) >= DOCUMENTS_VALIDATED_KEPT:
        del _validated[next(iter(_validated))]  # the oldest
    _validated[key] = (schema, document, errors)
    return errors


# graphql-core's words, which strawberry does not reach: it runs the first operation instead.
OPERATION_NOT_CHOSEN = "Must provide operation name if query contains multiple operations."


class OperationNotChosen(CannotGetOperationTypeError):
    """A document of several operations sent without `operationName`: a request error in the
    GraphQL spec. Raised where strawberry raises its own "unknown operation" error, it is answered
    the same way: HTTP 400 with `BAD_USER_INPUT`; over graphql-transport-ws, the socket closed
    with 4400 and this message."""

    def __init__(self) -> None:
        super().__init__(None)

    def as_http_error_reason(self) -> str:
        return OPERATION_NOT_CHOSEN


class _Stage:
    """One stage of an operation, entered by strawberry with `with` or `async with`: `begin`
    runs as it starts, `end` as it finishes, given the exception that ends it, if one does."""

    __slots__ = ("_begin", "_end")

    def __init__(
        self, begin: Callable[[], None], end: Callable[[BaseException | None], None] | None = None
    ) -> None:
        self._begin, self._end = begin, end

    def __enter__(self) -> None:
        self._begin()

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        if self._end is not None:
            self._end(error)

    async def __aenter__(self) -> None:
        self._begin()

    async def __aexit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        if self._end is not None:
            self._end(error)


class OperationHooks(SchemaExtensionsRunner):
    """Herald's work around every operation, as strawberry's runner of extensions (which
    `HeraldSchema` makes for each operation): the document's bounds, its parse and validation
    cached, and the operation counted in the metrics.

    strawberry's own runner makes a context manager of each hook of each extension on every
    request (a `contextlib.contextmanager` decorated then, an exit stack per stage): as an
    extension, these hooks cost about 55 µs a request more, a tenth of a `getUnreadCount`
    (bench/findings.md). Here each stage is one small object.

    At most `MAX_TOKENS` tokens are parsed, then the validation `rules` run (strawberry's
    MaxTokensLimiter, AddValidationRules and DisableIntrospection). The rules are the same
    classes for every request, so that the validation cache recognises a document it
    validated before.
    """

    def __init__(
        self,
        execution_context: ExecutionContext,
        rules: tuple[type[ASTValidationRule], ...],
        metrics: Metrics | None,
    ) -> None:
        super().__init__(execution_context)
        self._rules, self._metrics = rules, metrics
        self._started = 0.0

    def operation(self) -> Any:
        return _Stage(self._begin_operation, self._end_operation)

    def parsing(self) -> Any:
        return _Stage(self._parse)

    def validation(self) -> Any:
        return _Stage(self._validate)

    def executing(self) -> Any:
        return _Stage(self._check_bounds)

    def _begin_operation(self) -> None:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = context.validation_rules + self._rules
        self._started = time.perf_counter()

    def _end_operation(self, error: BaseException | None) -> None:
        if self._metrics is None:
            return
        # Closed or cancelled: a subscription its client completed, a caller that left.
        if error is None or isinstance(error, GeneratorExit | asyncio.CancelledError):
            outcome = operation_outcome(self.execution_context.pre_execution_errors)
        else:
            outcome = BAD_USER_INPUT if isinstance(error, REFUSED) else INTERNAL
        # Of several operations, none was chosen: strawberry's name would be the first's.
        # (Over HTTP the refusal ends the operation; over WebSocket it is its error.)
        refusals = [
            error,
            *(e.original_error for e in self.execution_context.pre_execution_errors or ()),
        ]
        unchosen = any(isinstance(refusal, OperationNotChosen) for refusal in refusals)
        name = None if unchosen else self.execution_context.operation_name
        self._metrics.observe_operation(name, outcome, time.perf_counter() - self._started)

    def _parse(self) -> None:
        context = self.execution_context
        # A document that does not parse (or a query that is no string, over WebSocket) is left
        # to strawberry's own parse, which follows this stage and makes the failure the
        # operation's answer, over HTTP and WebSocket alike.
        with contextlib.suppress(Exception):
            context.graphql_document = _parse(context.query, **context.parse_options)
        # The name the request gave (`operation_name` falls back on the first operation's).
        # strawberry keeps it in a private attribute: the tests of documents of several
        # operations fail if it is renamed.
        provided_name = context._provided_operation_name
        document = context.graphql_document
        if provided_name is None and document is not None and len(operations_of(document)) > 1:
            raise OperationNotChosen

    def _validate(self) -> None:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None, "strawberry validates only what parsed"
        context.pre_execution_errors = _validate(
            context.schema._schema, document, context.validation_rules
        )

    def _check_bounds(self) -> None:
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


class HeraldSchema(strawberry.Schema):
    def __init__(
        self,
        *,
        rules: tuple[type[ASTValidationRule], ...],
        metrics: Metrics | None,
        **options: Any,
    ) -> None:
        if options.get("extensions"):
            raise TypeError("Herald's schema runs its own hooks, not extensions")
        super().__init__(**options)
        self._rules, self._metrics = rules, metrics

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        """Herald's hooks, which take the place of extensions (the schema has none)."""
        return OperationHooks(execution_context, self._rules, self._metrics)

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> StreamResult:
        """strawberry's, with the caller's mutations charged to their rate limit first: an
        operation sent over a WebSocket (graphql-transport-ws sends queries and mutations too)
        comes this way, not through the HTTP view, which charges its own."""
        if isinstance(context_value, HeraldContext) and not (
            await context_value.within_rate_limit([(query, operation_name)])
        ):
            return _rate_limited()
        return _coded(
            await super().stream(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                operation_extensions,
                allowed_operation_types,
            )
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors, execution_context)


async def _coded(results: StreamResult) -> StreamResult:
    """The results, their errors coded and worded as over HTTP (`errors.coded`)."""
    async with contextlib.aclosing(results):
        async for result in results:
            if isinstance(result, ExecutionResult) and result.errors:
                result.errors = [coded(error) for error in result.errors]
            yield result


async def _rate_limited() -> StreamResult:
    """The answer of an operation past the caller's rate limit, before anything ran."""
    error = GraphQLError(RATE_LIMITED_MESSAGE, extensions={"code": RATE_LIMITED})
    yield PreExecutionError(data=None, errors=[error])


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
        rules=rules,
        metrics=metrics,
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        execution_context_class=LeafObjectsExecutor,
        **options,
    )
