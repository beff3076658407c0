"""The GraphQL schema against CONTRACT.md: every type, field and argument it names, exactly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    ast_from_value,
    build_schema,
    print_ast,
)

from entrypoints.graphql.schema import build_schema as build_herald_schema

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "CONTRACT.md"
# Parts of the contract that later work will add; each entry goes when its work lands.
NOT_YET_BUILT: set[str] = set()


def contract_schema() -> GraphQLSchema:
    if not CONTRACT.exists():
        pytest.skip(f"{CONTRACT} is not beside the project")
    # The contract's first block defines the schema; later sections `extend` it.
    blocks = re.findall(r"```graphql\n(.*?)```", CONTRACT.read_text(), flags=re.DOTALL)
    return build_schema("\n".join(["scalar DateTime", *blocks]))


def _default(value: GraphQLArgument | GraphQLInputField) -> str:
    """The default as SDL prints it; an explicit null default is the same as none."""
    node = value.ast_node.default_value if value.ast_node is not None else None
    if node is None and value.default_value is not Undefined:
        node = ast_from_value(value.default_value, value.type)
    printed = print_ast(node) if node is not None else ""
    return "" if printed in ("", "null") else f" = {printed}"


def _members(schema: GraphQLSchema) -> dict[str, str]:
    """`Type.field(arg)` → its type and default, for every named part of the schema."""
    members: dict[str, str] = {}
    for name, named in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(named, GraphQLEnumType):
            members[name] = " ".join(sorted(named.values))
        if isinstance(named, GraphQLObjectType):
            for field_name, field in named.fields.items():
                members[f"{name}.{field_name}"] = str(field.type)
                for arg_name, arg in field.args.items():
                    members[f"{name}.{field_name}({arg_name})"] = f"{arg.type}{_default(arg)}"
        if isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                members[f"{name}.{field_name}"] = f"{input_field.type}{_default(input_field)}"
    return members


def test_every_part_of_the_contract_is_served_with_the_same_type() -> None:
    ours = _members(build_herald_schema()._schema)
    theirs = _members(contract_schema())

    def pending(member: str) -> bool:
        return any(
            member == part or member.startswith((f"{part}(", f"{part}.")) for part in NOT_YET_BUILT
        )

    missing = sorted(m for m in theirs if m not in ours and not pending(m))
    different = {
        member: (theirs[member], ours[member])
        for member in theirs
        if member in ours and ours[member] != theirs[member]
    }
    assert missing == []
    assert different == {}


def test_nothing_listed_as_not_yet_built_is_already_served() -> None:
    ours = _members(build_herald_schema()._schema)

    served = set(ours) | {m.split("(")[0] for m in ours} | {m.split(".")[0] for m in ours}
    assert sorted(NOT_YET_BUILT & served) == []


def test_everything_listed_as_not_yet_built_is_in_the_contract() -> None:
    theirs = _members(contract_schema())

    named = set(theirs) | {m.split("(")[0] for m in theirs} | {m.split(".")[0] for m in theirs}
    assert sorted(NOT_YET_BUILT - named) == []


def test_set_notification_preference_shows_no_default_for_email_as_the_contract() -> None:
    def email(schema: GraphQLSchema) -> GraphQLArgument:
        assert schema.mutation_type is not None
        return schema.mutation_type.fields["setNotificationPreference"].args["email"]

    # Introspection shows an explicit null default as "null"; the contract writes none.
    assert email(build_herald_schema()._schema).default_value is Undefined
    assert email(contract_schema()).default_value is Undefined
