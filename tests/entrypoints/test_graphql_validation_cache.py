"""A document is validated once for each schema and set of rules, and its errors serve every
request of it; never another schema's or another set of rules'."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import parse, specified_rules
from graphql.validation import NoSchemaIntrospectionCustomRule

from entrypoints.graphql import schema as herald_schema


@strawberry.type
class Query:
    hello: str = "hi"


@strawberry.type
class OtherQuery:
    bye: str = "bye"


RULES = tuple(specified_rules)


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    made: list[Any] = []
    validate = herald_schema.validate_document

    def counted(*args: Any) -> Any:
        made.append(args)
        return validate(*args)

    monkeypatch.setattr(herald_schema, "validate_document", counted)
    monkeypatch.setattr(herald_schema, "_validated", {})
    return made


def test_a_document_is_validated_once(validations: list[Any]) -> None:
    schema = strawberry.Schema(query=Query)._schema
    document = parse("{ hello }")

    first = herald_schema._validate(schema, document, RULES)
    again = herald_schema._validate(schema, document, RULES)

    assert first == again == []
    assert len(validations) == 1


def test_another_schema_or_other_rules_validate_it_again(validations: list[Any]) -> None:
    document = parse("{ hello __schema { queryType { name } } }")
    schema = strawberry.Schema(query=Query)._schema

    assert herald_schema._validate(schema, document, RULES) == []
    refused = herald_schema._validate(schema, document, (*RULES, NoSchemaIntrospectionCustomRule))
    other = herald_schema._validate(strawberry.Schema(query=OtherQuery)._schema, document, RULES)

    assert refused[0].message == (
        "GraphQL introspection has been disabled, but the requested query contained the"
        " field '__schema'."
    )
    assert [error.message for error in other] == [
        "Cannot query field 'hello' on type 'OtherQuery'."
    ]
    assert len(validations) == 3


def test_the_oldest_validation_goes_when_the_cache_is_full(
    validations: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(herald_schema, "DOCUMENTS_VALIDATED_KEPT", 2)
    schema = strawberry.Schema(query=Query)._schema
    oldest, newer, newest = (parse("{ hello }") for _ in range(3))

    for document in (oldest, newer, newest, newer, oldest):
        herald_schema._validate(schema, document, RULES)

    # `newer` was still kept when asked again; `oldest` had gone. (The documents are equal
    # in value: each is told by its identity.)
    assert [id(args[1]) for args in validations] == [id(oldest), id(newer), id(newest), id(oldest)]
