"""The bounds of a GraphQL request, each measured in time linear in the size of the document.

Strawberry's own depth and alias limiters walk a fragment again at every spread of it, so a
document of a few hundred bytes whose fragments each spread the next one twice costs 2^n steps.
Here every fragment is measured once and remembered.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    ValueNode,
    VariableNode,
    parse,
    value_from_ast_untyped,
)

MAX_BODY_BYTES = 64 * 1024
MAX_TOKENS = 1_000
MAX_DEPTH = 10
# Every alias asks for one more resolution of a field; 30 leaves room for a dashboard that asks
# for a few lists side by side, while 1,000 tokens alone would allow some 330 of them.
MAX_ALIASES = 30
# Enforced by the use cases, and for the lists inside a mutation's answer by
# `answer_bounds_error` before the mutation runs.
MAX_PAGE_SIZE = 100

_DEEPER = MAX_DEPTH + 1  # any depth beyond the limit is as bad as any other


class _Measure:
    """Depth and alias count of the selections of one document, each fragment measured once."""

    def __init__(self, document: DocumentNode) -> None:
        self._fragments = _fragments_of(document)
        self._depths: dict[str, int] = {}
        self._aliases: dict[str, int] = {}

    def depth(self, selection_set: SelectionSetNode | None) -> int:
        """Nesting of fields below this selection set, capped just past `MAX_DEPTH`."""
        deepest = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                # Introspection (`__schema`, `__type`) is refused in production by its own rule;
                # in development GraphiQL's query must pass whatever its depth.
                if selection.selection_set and not selection.name.value.startswith("__"):
                    deepest = max(deepest, 1 + self.depth(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self._fragment_depth(selection.name.value))
            if deepest >= _DEEPER:
                return _DEEPER
        return deepest

    def aliases(self, selection_set: SelectionSetNode | None) -> int:
        """Aliased fields below this selection set, spreads expanded, capped past `MAX_ALIASES`."""
        count = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                count += (1 if selection.alias else 0) + self.aliases(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.aliases(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._fragment_aliases(selection.name.value)
        return min(count, MAX_ALIASES + 1)

    def root_fields(self, operation: OperationDefinitionNode) -> set[str]:
        """The response keys of the operation's top level, as execution collects them."""
        return {
            (field.alias or field.name).value
            for field in _fields(operation.selection_set, self._fragments, set())
            if not field.name.value.startswith("__")
        }

    def _fragment_depth(self, name: str) -> int:
        if name not in self._depths:
            self._depths[name] = 0  # a cycle counts for nothing here; validation refuses it
            fragment = self._fragments.get(name)
            self._depths[name] = self.depth(fragment.selection_set) if fragment else 0
        return self._depths[name]

    def _fragment_aliases(self, name: str) -> int:
        if name not in self._aliases:
            self._aliases[name] = 0
            fragment = self._fragments.get(name)
            self._aliases[name] = self.aliases(fragment.selection_set) if fragment else 0
        return self._aliases[name]


class DocumentLimits(ValidationRule):
    """Refuses operations nested deeper than `MAX_DEPTH` and documents with too many aliases."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        measure = _Measure(context.document)
        aliases = 0
        for operation in operations_of(context.document):
            name = operation.name.value if operation.name else "anonymous"
            try:
                depth = measure.depth(operation.selection_set)
                aliases += measure.aliases(operation.selection_set)
            except RecursionError:
                self.report_error(GraphQLError(f"'{name}' is nested too deeply", operation))
                continue
            if depth > MAX_DEPTH:
                message = f"'{name}' exceeds maximum operation depth of {MAX_DEPTH}"
                self.report_error(GraphQLError(message, operation))
        if aliases > MAX_ALIASES:
            self.report_error(GraphQLError(f"More than {MAX_ALIASES} aliases: not allowed"))


def mutation_cost(query: str, operation_name: str | None) -> int:
    """How many mutations the request would run: the top-level fields of its mutation, if any.

    Aliases and fragments count as execution counts them, so one request cannot carry past the
    rate limit what twenty could not. A document that does not parse, or whose operation cannot be
    chosen, costs nothing: the schema refuses it before anything runs.
    """
    if "mutation" not in query:  # the keyword is required to write one
        return 0
    chosen = _chosen_operation(query, operation_name)
    if chosen is None or chosen[1].operation is not OperationType.MUTATION:
        return 0
    document, operation = chosen
    return len(_Measure(document).root_fields(operation))


# Arguments that bound the size of a list in an answer, wherever the field is.
PAGE_ARGUMENTS = ("limit", "first")
# Fields that read the database once for each object of the list they are in (a lead's
# notifications, a sent notification's receipts), with the default size of their own list.
PER_ITEM_LISTS = {"notifications": 20, "receipts": 50}
LIST_DEFAULTS = {"leads": 50, **PER_ITEM_LISTS}
# At most this many such reads in one request: `lead(id) { notifications { receipts } }` is 21.
MAX_PER_ITEM_READS = 100


def answer_bounds_error(
    document: DocumentNode, operation_name: str | None, variables: dict[str, Any] | None
) -> str | None:
    """What is wrong with the lists an operation's answer asks for, checked before anything
    runs; None when nothing is.

    - Page sizes inside a mutation's answer (a mutation whose answer is then refused would
      still have changed data); the mutation's own arguments are the use cases' to check.
    - Lists inside lists that each cost a read: at most `MAX_PER_ITEM_READS` of them per request,
      so that `leads { notifications { receipts } }` cannot ask for 10,000 reads at once.
    """
    operations = operations_of(document)
    if operation_name is not None:
        operations = [op for op in operations if op.name and op.name.value == operation_name]
    if len(operations) != 1:
        return None
    operation = operations[0]
    given = {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    given.update(variables or {})
    fragments = _fragments_of(document)
    mutation = operation.operation is OperationType.MUTATION
    reads = 0
    # Each selection set with how many times it is answered; fragments expanded where spread
    # (the document limits bound their number and depth).
    pending: list[tuple[SelectionSetNode, int, bool]] = [(operation.selection_set, 1, True)]
    while pending:
        selection_set, times, root = pending.pop()
        for field in _fields(selection_set, fragments, set()):
            name = field.name.value
            size = LIST_DEFAULTS.get(name, 1)
            for argument in field.arguments or ():
                if argument.name.value not in PAGE_ARGUMENTS:
                    continue
                value = _value(argument.value, given)
                if not isinstance(value, int) or isinstance(value, bool):
                    continue
                if mutation and not root and not 1 <= value <= MAX_PAGE_SIZE:
                    return f"{name}({argument.name.value}): must be 1..{MAX_PAGE_SIZE}"
                size = min(max(value, 1), MAX_PAGE_SIZE)
            if not root and name in PER_ITEM_LISTS:
                reads += times
                if reads > MAX_PER_ITEM_READS:
                    return (
                        f"asks for more than {MAX_PER_ITEM_READS} lists inside lists: "
                        "ask for fewer at a time"
                    )
            if field.selection_set is not None:
                pending.append((field.selection_set, times * size, False))
    return None


def _value(node: ValueNode, variables: dict[str, Any]) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, IntValueNode):
        return int(node.value)
    return None


def _fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    visited: set[str],
) -> Iterator[FieldNode]:
    """The fields of a selection set, through its inline fragments and (once) its spreads."""
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in visited:
                    visited.add(name)
                    stack.append(fragment.selection_set)


def is_subscription(query: str, operation_name: str | None) -> bool:
    """Whether the request's operation is a subscription (served over WebSocket only)."""
    if "subscription" not in query:
        return False
    chosen = _chosen_operation(query, operation_name)
    return chosen is not None and chosen[1].operation is OperationType.SUBSCRIPTION


def chosen_operation_name(query: str, operation_name: str | None) -> str | None:
    """The name of the operation the request runs; None if it has none or none can be chosen."""
    chosen = _chosen_operation(query, operation_name)
    if chosen is None or chosen[1].name is None:
        return None
    return chosen[1].name.value


@functools.lru_cache(maxsize=256)  # a client sends the same few documents again and again
def _chosen_operation(
    query: str, operation_name: str | None
) -> tuple[DocumentNode, OperationDefinitionNode] | None:
    """The operation the request runs, as execution would choose it; None if it cannot. The
    document is shared between callers: it is only read."""
    try:
        document = parse(query, no_location=True, max_tokens=MAX_TOKENS)
    except (GraphQLSyntaxError, RecursionError):
        return None
    operations = operations_of(document)
    if operation_name is not None:
        chosen = [op for op in operations if op.name and op.name.value == operation_name]
    else:
        chosen = operations if len(operations) == 1 else []
    return (document, chosen[0]) if len(chosen) == 1 else None


def operations_of(document: DocumentNode) -> list[OperationDefinitionNode]:
    """The document's operations, in order (its other definitions are fragments)."""
    return [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
