"""GraphQL execution with a short path for plain objects: attributes all the way down.

graphql-core resolves every field of every object one by one: a resolve-info, a path, a call
of the resolver and a completion of its value, some 5 µs a field, so 500 µs for ten fields of
ten notifications. A field is plain when it is read from an attribute (no resolver of its own,
no arguments, no middleware) and is a leaf (a scalar or an enum), a list of leaves, a plain
object, or a list of plain objects. When every field selected on an object is plain, this
executor computes the object's response at once: each attribute, serialised by its type.
Anything else, and any value that would be an error (null for a non-null field, a value the
type refuses), goes the ordinary way, which then reports it exactly as it would have."""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    OperationDefinitionNode,
    Undefined,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetails, GroupedFieldSet
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

TYPENAME = "__typename"

LEAF, OBJECT, OBJECTS, CONSTANT, LEAVES = range(5)


class _Field(NamedTuple):
    response_name: str
    # LEAF, LEAVES (a list of leaves), OBJECT, OBJECTS (a list of objects) or CONSTANT
    # (`__typename`)
    kind: int
    attribute: str
    # LEAF and LEAVES: the type's serialisation; OBJECT and OBJECTS: the plan of the object's
    # fields; CONSTANT: the value.
    how: Any
    non_null: bool  # the field; for LEAVES and OBJECTS, also each item
    items_non_null: bool


Plan = tuple[_Field, ...]


class _NotPlain(Exception):
    """A selection that the short path does not take."""


class _Refused(Exception):
    """A value that the ordinary path must meet, to report it."""


# The operations whose plans are kept for the requests after: as many as the documents the
# parse cache keeps (`schema._parse`), whose nodes the plans are made of.
OPERATIONS_PLANNED_KEPT = 256
_Shared = dict[tuple[int, ...], tuple[GraphQLObjectType, tuple[Any, ...], Plan | None]]


class _SharedPlans(NamedTuple):
    """An operation's plans, for every request of it (its document has no directives): of its
    field sets, keyed by the identities of the parent type and of the field nodes; and of its
    objects, by those of the object's type and of the field nodes that select it (an object of
    plain fields is then computed without collecting its fields again). Each value keeps what
    its key names, so that no id is reused while it is kept."""

    operation: OperationDefinitionNode
    fields: _Shared
    objects: _Shared


# By the identity of the operation (the parse cache gives the same nodes for the same query).
_shared_by_operation: dict[int, _SharedPlans] = {}


def _shared_plans(operation: OperationDefinitionNode) -> _SharedPlans:
    shared = _shared_by_operation.get(id(operation))
    if shared is None or shared.operation is not operation:
        if len(_shared_by_operation) >= OPERATIONS_PLANNED_KEPT:
            del _shared_by_operation[next(iter(_shared_by_operation))]  # the oldest
        shared = _shared_by_operation[id(operation)] = _SharedPlans(operation, {}, {})
    return shared


class LeafObjectsExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, with objects of plain fields computed in one step."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keyed by the identity of the field set, which graphql-core memoises per selection
        # (the set is kept in the value, so that its id cannot be reused meanwhile).
        self._plans: dict[int, tuple[GroupedFieldSet, Plan | None]] = {}
        manager = self.middleware_manager
        self._plain = manager is None or not manager.middlewares
        # A plan is made of the field nodes alone where no directive (`@skip(if: $v)`, `@defer`)
        # makes the fields selected depend on the request: then it serves every request of the
        # document. Made anew for each request, an `inboxCounts`' took about 3% of its time in
        # the process, and its object's fields collected again about as much (bench/findings.md).
        location = self.operation.loc
        self._shared: _SharedPlans | None = None
        if self._plain and location is not None and "@" not in location.source.body:
            self._shared = _shared_plans(self.operation)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        plan = self._plan(parent_type, grouped_field_set) if self._plain else None
        if plan is not None and source_value is not None:
            try:
                return _values(source_value, plan)
            except Exception:
                pass
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: list[FieldDetails],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """An object a resolver returned (the counts of `inboxCounts`): where its plan serves
        every request of the document, its value is computed at once, without collecting its
        fields again."""
        if self._shared is None:
            return super().collect_and_execute_subfields(
                return_type, field_details_list, path, result, position_context
            )
        nodes = tuple(details.node for details in field_details_list)
        key = (id(return_type), *map(id, nodes))
        shared = self._shared.objects.get(key)
        if shared is not None and shared[2] is not None and result is not None:
            try:
                return _values(result, shared[2])
            except Exception:
                pass
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            return_type, field_details_list
        )
        if shared is None and not new_defer_usages:
            plan = self._plan(return_type, grouped_field_set)
            self._shared.objects[key] = (return_type, nodes, plan)
        return self.execute_collected_subfields(
            return_type, result, path, grouped_field_set, new_defer_usages, position_context
        )

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: list[FieldDetails],
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """A resolver's list of plain objects (a page of notifications), computed at once."""
        items_non_null = isinstance(return_type.of_type, GraphQLNonNull)
        item_type = get_nullable_type(return_type.of_type)
        if (
            self._plain
            and isinstance(result, list)
            and isinstance(item_type, GraphQLObjectType)
            and not _streamed(field_details_list)
        ):
            try:
                plan = self._object_plan(item_type, field_details_list)
                return [_item(item, plan, items_non_null) for item in result]
            except Exception:
                pass
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> Plan | None:
        key = id(grouped_field_set)
        cached = self._plans.get(key)
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        nodes = shared_key = None
        if self._shared is not None:
            nodes = tuple(d.node for details in grouped_field_set.values() for d in details)
            shared_key = (id(parent_type), *map(id, nodes))
            shared = self._shared.fields.get(shared_key)
            if shared is not None:
                self._plans[key] = (grouped_field_set, shared[2])
                return shared[2]
        try:
            plan: Plan | None = tuple(
                self._field(parent_type, response_name, details)
                for response_name, details in grouped_field_set.items()
            )
        except _NotPlain:
            plan = None
        self._plans[key] = (grouped_field_set, plan)
        if self._shared is not None and shared_key is not None and nodes is not None:
            self._shared.fields[shared_key] = (parent_type, nodes, plan)
        return plan

    def _field(
        self, parent_type: GraphQLObjectType, response_name: str, details: list[FieldDetails]
    ) -> _Field:
        node = details[0].node
        if any(detail.defer_usage is not None for detail in details):
            raise _NotPlain
        name = node.name.value
        if name == TYPENAME:
            return _Field(response_name, CONSTANT, "", parent_type.name, True, True)
        field = self.schema.get_field(parent_type, name)
        if field is None or field.args or node.arguments:
            raise _NotPlain
        definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if definition is None or not getattr(field.resolve, "_is_default", False):
            raise _NotPlain
        if definition.default_resolver is not getattr:
            raise _NotPlain
        # strawberry calls a field without a resolver of its own a default one even when its
        # extensions or permission classes wrap it: those run only on the ordinary path.
        if definition.extensions or definition.permission_classes:
            raise _NotPlain
        attribute = definition.python_name
        non_null = isinstance(field.type, GraphQLNonNull)
        of_type = get_nullable_type(field.type)
        if is_leaf_type(of_type):
            assert isinstance(of_type, GraphQLScalarType | GraphQLEnumType)
            serialise = _enum_names(of_type) or of_type.coerce_output_value
            return _Field(response_name, LEAF, attribute, serialise, non_null, True)
        if isinstance(of_type, GraphQLObjectType):
            plan = self._object_plan(of_type, details)
            return _Field(response_name, OBJECT, attribute, plan, non_null, True)
        if isinstance(of_type, GraphQLList):
            items_non_null = isinstance(of_type.of_type, GraphQLNonNull)
            item_type = get_nullable_type(of_type.of_type)
            if is_leaf_type(item_type):
                assert isinstance(item_type, GraphQLScalarType | GraphQLEnumType)
                serialise = _enum_names(item_type) or item_type.coerce_output_value
                return _Field(response_name, LEAVES, attribute, serialise, non_null, items_non_null)
            if isinstance(item_type, GraphQLObjectType):
                plan = self._object_plan(item_type, details)
                return _Field(response_name, OBJECTS, attribute, plan, non_null, items_non_null)
        raise _NotPlain

    def _object_plan(self, object_type: GraphQLObjectType, details: list[FieldDetails]) -> Plan:
        if object_type.is_type_of is not None:
            raise _NotPlain
        grouped_field_set, new_defer_usages, *_ = self.collect_subfields(object_type, details)
        if new_defer_usages:
            raise _NotPlain
        plan = self._plan(object_type, grouped_field_set)
        if plan is None:
            raise _NotPlain
        return plan


def _streamed(field_details_list: list[FieldDetails]) -> bool:
    return any(
        directive.name.value == "stream"
        for details in field_details_list
        for directive in details.node.directives or ()
    )


def _enum_names(leaf_type: GraphQLScalarType | GraphQLEnumType) -> Any:
    """For an enum of strawberry's, its members' names by member, looked up in a dictionary
    (strawberry's own serialisation compares the member with each value in turn); None for
    anything else. What is not a member raises, and goes the ordinary way."""
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


def _values(source: Any, plan: Plan) -> dict[str, Any]:
    """The object's response; raises `_Refused` where a value needs the ordinary path."""
    values: dict[str, Any] = {}
    for response_name, kind, attribute, how, non_null, items_non_null in plan:
        if kind == CONSTANT:
            values[response_name] = how
            continue
        value = getattr(source, attribute)
        if value is None:
            if non_null:
                raise _Refused
            values[response_name] = None
        elif kind == LEAF:
            serialised = how(value)
            if serialised is None or serialised is Undefined:
                raise _Refused
            values[response_name] = serialised
        elif kind == OBJECT:
            values[response_name] = _values(value, how)
        elif kind == LEAVES:
            if not isinstance(value, list | tuple):
                raise _Refused
            values[response_name] = [_leaf(item, how, items_non_null) for item in value]
        else:
            if not isinstance(value, list | tuple):
                raise _Refused
            values[response_name] = [_item(item, how, items_non_null) for item in value]
    return values


def _leaf(item: Any, serialise: Any, non_null: bool) -> Any:
    if item is None:
        if non_null:
            raise _Refused
        return None
    serialised = serialise(item)
    if serialised is None or serialised is Undefined:
        raise _Refused
    return serialised


def _item(item: Any, plan: Plan, non_null: bool) -> dict[str, Any] | None:
    if item is None:
        if non_null:
            raise _Refused
        return None
    return _values(item, plan)
