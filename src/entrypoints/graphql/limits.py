"""The bounds of a GraphQL request, each measured in time linear in the size of the document.

Strawberry's own depth and alias limiters walk a fragment again at every spread of it, so a
document of a few hundred bytes whose fragments each spread the next one twice costs 2^n steps.
Here every fragment is measured once and remembered.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    parse,
)

MAX_BODY_BYTES = 64 * 1024
MAX_TOKENS = 1_000
MAX_DEPTH = 10
# Every alias asks for one more resolution of a field; 30 leaves room for a dashboard that asks
# for a few lists side by side, while 1,000 tokens alone would allow some 330 of them.
MAX_ALIASES = 30
MAX_PAGE_SIZE = 100  # enforced by the use cases; named here so the README has one place to look

_DEEPER = MAX_DEPTH + 1  # any depth beyond the limit is as bad as any other


class _Measure:
    """Depth and alias count of the selections of one document, each fragment measured once."""

    def __init__(self, document: DocumentNode) -> None:
        self._fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
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
        keys: set[str] = set()
        visited: set[str] = set()
        pending = [operation.selection_set]
        while pending:
            for selection in pending.pop().selections:
                if isinstance(selection, FieldNode):
                    if not selection.name.value.startswith("__"):
                        keys.add((selection.alias or selection.name).value)
                elif isinstance(selection, InlineFragmentNode):
                    pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self._fragments.get(name)
                    if fragment is not None and name not in visited:
                        visited.add(name)
                        pending.append(fragment.selection_set)
        return keys

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
        for operation in _operations(context.document):
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


def is_subscription(query: str, operation_name: str | None) -> bool:
    """Whether the request's operation is a subscription (served over WebSocket only)."""
    if "subscription" not in query:
        return False
    chosen = _chosen_operation(query, operation_name)
    return chosen is not None and chosen[1].operation is OperationType.SUBSCRIPTION


def _chosen_operation(
    query: str, operation_name: str | None
) -> tuple[DocumentNode, OperationDefinitionNode] | None:
    """The operation the request runs, as execution would choose it; None if it cannot."""
    try:
        document = parse(query, no_location=True, max_tokens=MAX_TOKENS)
    except (GraphQLSyntaxError, RecursionError):
        return None
    operations = _operations(document)
    if operation_name is not None:
        chosen = [op for op in operations if op.name and op.name.value == operation_name]
    else:
        chosen = operations if len(operations) == 1 else []
    return (document, chosen[0]) if len(chosen) == 1 else None


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
