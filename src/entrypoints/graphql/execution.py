"""GraphQL execution with a short path for objects whose selected fields are all plain leaves.

graphql-core resolves every field of every object one by one: a resolve-info, a path, a call
of the resolver and a completion of its value, some 5 µs a field, so 500 µs for ten fields of
ten notifications. When every field selected on an object is a leaf (a scalar or an enum) read
from an attribute (no resolver of its own, no arguments, no middleware), its value is the
attribute's, serialised: this executor computes such objects at once. Anything else, and any
field whose value would be an error (null for a non-null field, a value the type refuses),
goes the ordinary way, which then reports it exactly as it would have.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

TYPENAME = "__typename"


class _Leaf(NamedTuple):
    response_name: str
    attribute: str | None  # None for `__typename`
    coerce: Any  # the leaf type's coerce_output_value
    non_null: bool


_NOT_PLAIN = None


class LeafObjectsExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, with objects of plain leaf fields computed in one step."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keyed by the identity of the field set, which graphql-core memoises per selection
        # (the set is kept in the value, so that its id cannot be reused meanwhile).
        self._plans: dict[int, tuple[GroupedFieldSet, tuple[_Leaf, ...] | None]] = {}
        manager = self.middleware_manager
        self._plain = manager is None or not manager.middlewares

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        leaves = self._plan(parent_type, grouped_field_set) if self._plain else None
        if leaves is not None and source_value is not None:
            values = _leaf_values(parent_type, source_value, leaves)
            if values is not None:
                return values
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> tuple[_Leaf, ...] | None:
        key = id(grouped_field_set)
        cached = self._plans.get(key)
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        plan = self._leaves(parent_type, grouped_field_set)
        self._plans[key] = (grouped_field_set, plan)
        return plan

    def _leaves(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> tuple[_Leaf, ...] | None:
        leaves: list[_Leaf] = []
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            if any(detail.defer_usage is not None for detail in details):
                return _NOT_PLAIN
            name = node.name.value
            if name == TYPENAME:
                leaves.append(_Leaf(response_name, None, None, True))
                continue
            field = self.schema.get_field(parent_type, name)
            if field is None or field.args or node.arguments:
                return _NOT_PLAIN
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not getattr(field.resolve, "_is_default", False) or definition is None:
                return _NOT_PLAIN
            if definition.default_resolver is not getattr:
                return _NOT_PLAIN
            leaf_type = get_nullable_type(field.type)
            if not is_leaf_type(leaf_type):
                return _NOT_PLAIN
            assert isinstance(leaf_type, GraphQLScalarType | GraphQLEnumType)
            non_null = isinstance(field.type, GraphQLNonNull)
            leaves.append(
                _Leaf(
                    response_name, definition.python_name, leaf_type.coerce_output_value, non_null
                )
            )
        return tuple(leaves)


def _enum_names(leaf_type: GraphQLScalarType | GraphQLEnumType) -> Any:
    """For an enum of strawberry's, its members' names by member, looked up in a dictionary
    (strawberry's own serialisation compares the member with each value in turn); None for
    anything else. What is not a member goes the ordinary way (`_leaf_values` gives up)."""
    members = getattr(leaf_type, "wrapped_cls", None)
    if not isinstance(leaf_type, GraphQLEnumType) or members is None:
        return None
    names = {
        member: name
        for member in members
        for name, value in leaf_type.values.items()
        if member.value == value.value
    }
    return names.__getitem__


def _leaf_values(
    parent_type: GraphQLObjectType, source: Any, leaves: tuple[_Leaf, ...]
) -> dict[str, Any] | None:
    """The object's response, or None where any field needs the ordinary path."""
    values: dict[str, Any] = {}
    try:
        for response_name, attribute, coerce, non_null in leaves:
            if attribute is None:
                values[response_name] = parent_type.name
                continue
            value = getattr(source, attribute)
            if value is None:
                if non_null:
                    return None
                values[response_name] = None
                continue
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                return None
            values[response_name] = coerced
    except Exception:
        return None
    return values
