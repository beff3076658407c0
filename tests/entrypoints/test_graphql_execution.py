"""The executor's short path for objects of plain leaf fields gives, for every document, what
graphql-core's ordinary execution gives: the same data, the same errors at the same paths."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
import strawberry
from graphql import DocumentNode, parse
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.permission import BasePermission

from entrypoints.graphql import execution
from entrypoints.graphql.execution import LeafObjectsExecutor

MOMENT = datetime(2025, 3, 14, 9, 30, 15, 123456, tzinfo=UTC)


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Shouts(FieldExtension):
    """A field extension on a field without a resolver of its own."""

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        return str(next_(source, info, **kwargs)).upper()


class NeverAllowed(BasePermission):
    message = "not allowed"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    colour: Colour
    count: int
    ready: bool
    at: datetime
    maybe: datetime | None
    note: str | None
    loud: str = strawberry.field(default="quiet", extensions=[Shouts()])
    secret: str | None = strawberry.field(default="hidden", permission_classes=[NeverAllowed])

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def scaled(self, factor: int = 2) -> int:
        return self.count * factor


@strawberry.type
class Box:
    label: str
    items: list[Item]
    tags: list[str] = strawberry.field(default_factory=lambda: ["new", "fragile"])
    colours: list[Colour | None] | None = strawberry.field(
        default_factory=lambda: [Colour.BLUE, None, Colour.RED]
    )


def an_item(number: int, **changes: Any) -> Item:
    fields: dict[str, Any] = {
        "id": strawberry.ID(f"item-{number}"),
        "name": f"item {number}",
        "colour": Colour.RED if number % 2 else Colour.BLUE,
        "count": number,
        "ready": bool(number % 3),
        "at": MOMENT,
        "maybe": MOMENT if number % 2 else None,
        "note": None,
    }
    return Item(**{**fields, **changes})


@strawberry.type
class Shelf:
    box: Box
    spare: Box | None
    loose: list[Item | None] | None


def shelves() -> list[Shelf]:
    box = Box(label="box", items=[an_item(1), an_item(2)])
    return [
        Shelf(box=box, spare=None, loose=[an_item(3), None]),
        Shelf(box=box, spare=box, loose=None),
    ]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [an_item(number) for number in range(5)]

    @strawberry.field
    async def later(self) -> list[Item]:
        return [an_item(number) for number in range(3)]

    @strawberry.field
    def broken(self) -> list[Item]:
        # A non-null field holding null, and a value its enum does not know.
        return [an_item(1), an_item(2, name=None), an_item(3, colour="green")]

    @strawberry.field
    def box(self) -> Box:
        return Box(label="box", items=[an_item(7)])

    @strawberry.field
    def shelves(self) -> list[Shelf]:
        return shelves()

    @strawberry.field
    def broken_shelves(self) -> list[Shelf]:
        # A null among items that may not be null, deep down; and a box whose list is null.
        good, bad = shelves()
        bad.box = Box(label="bad", items=[an_item(4), None])  # type: ignore[list-item]
        good.spare = Box(label="odd", items=None)  # type: ignore[arg-type]
        return [good, bad]

    @strawberry.field
    def broken_boxes(self) -> list[Box]:
        # A null among leaves that may not be null; a value the enum does not know; no list.
        return [
            Box(label="null tag", items=[], tags=["a", None]),  # type: ignore[list-item]
            Box(label="odd colour", items=[], colours=["green"]),  # type: ignore[list-item]
            Box(label="no tags", items=[], tags=None, colours=None),  # type: ignore[arg-type]
        ]


DOCUMENTS = [
    "{ items { id name colour count ready at maybe note } }",
    "{ items { id __typename alias: name name } }",
    "{ items { id shout } }",
    "{ items { scaled(factor: 3) count } }",
    "{ later { id at maybe colour } }",
    "{ broken { id name colour } }",
    "{ broken { id } }",
    "{ box { label items { id at } } }",
    "query ($skip: Boolean!) { items { id name @skip(if: $skip) note @include(if: $skip) } }",
    "query ($skip: Boolean!) { box { label @skip(if: $skip) items { id } } }",
    "{ items { ...parts } } fragment parts on Item { id colour ... on Item { at } }",
    "{ shelves { __typename box { label items { id colour at } } spare { label } loose { id } } }",
    "{ shelves { box { items { id shout } } loose { maybe } } }",
    "{ brokenShelves { box { label items { id } } } }",
    "{ brokenShelves { spare { label items { id } } loose { id name } } }",
    "{ a: shelves { box { label } } b: shelves { box { items { count } } } }",
    "{ brokenShelves { box { label } } }",
    "{ broken { id } later { id } }",
    "{ items { id loud } }",
    "{ items { id secret } box { items { secret } } }",
    "{ box { label tags colours items { id } } }",
    "{ shelves { box { tags } spare { colours } } }",
    "{ brokenBoxes { label tags } }",
    "{ brokenBoxes { label colours } }",
]


class CountsResolves(SchemaExtension):
    """An extension that hooks every field, as a middleware would."""

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        return _next(root, info, *args, **kwargs)


def schemas(*extensions: type[SchemaExtension]) -> tuple[strawberry.Schema, strawberry.Schema]:
    ordinary = strawberry.Schema(query=Query, extensions=list(extensions))
    short = strawberry.Schema(
        query=Query, extensions=list(extensions), execution_context_class=LeafObjectsExecutor
    )
    return ordinary, short


def answer(result: Any) -> tuple[Any, list[Any]]:
    return result.data, [error.formatted for error in result.errors or ()]


@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("hooked", [False, True])
async def test_every_document_gets_the_ordinary_answer(document: str, hooked: bool) -> None:
    ordinary, short = schemas(CountsResolves) if hooked else schemas()
    variables = {"skip": True}

    expected = await ordinary.execute(document, variable_values=variables)
    got = await short.execute(document, variable_values=variables)

    assert answer(got) == answer(expected)
    assert got.data is not None or got.errors


async def test_leaves_are_serialised_as_their_types_serialise_them() -> None:
    _, short = schemas()

    result = await short.execute("{ box { items { id colour at maybe ready } } }")

    assert result.errors is None
    assert result.data == {
        "box": {
            "items": [
                {
                    "id": "item-7",
                    "colour": "RED",
                    "at": "2025-03-14T09:30:15.123456+00:00",
                    "maybe": "2025-03-14T09:30:15.123456+00:00",
                    "ready": True,
                }
            ]
        }
    }


async def test_a_null_in_a_non_null_field_is_the_ordinary_error_at_its_path() -> None:
    _, short = schemas()

    result = await short.execute("{ broken { id name } }")

    assert result.data is None
    [error] = result.errors or []
    assert error.path == ["broken", 1, "name"]


class SameDocument(SchemaExtension):
    """Each query parsed once, as Herald's parse cache does: every request of a query then
    carries the same nodes, and the plans made of them for one request serve the next."""

    parsed: ClassVar[dict[str, DocumentNode]] = {}

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query or ""
        if query not in self.parsed:
            self.parsed[query] = parse(query)
        self.execution_context.graphql_document = self.parsed[query]
        yield


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_a_document_asked_again_gets_the_ordinary_answer_each_time(document: str) -> None:
    ordinary = strawberry.Schema(query=Query)
    short = strawberry.Schema(
        query=Query, extensions=[SameDocument], execution_context_class=LeafObjectsExecutor
    )

    # The variables change what a directive selects: a plan of the first request is not the
    # second's.
    for skip in (True, False, True):
        expected = await ordinary.execute(document, variable_values={"skip": skip})
        got = await short.execute(document, variable_values={"skip": skip})

        assert answer(got) == answer(expected)


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The response names of the fields planned, in order."""
    names: list[str] = []
    field = LeafObjectsExecutor._field

    def counted(self: Any, parent_type: Any, response_name: str, details: Any) -> Any:
        names.append(response_name)
        return field(self, parent_type, response_name, details)

    monkeypatch.setattr(LeafObjectsExecutor, "_field", counted)
    return names


async def test_a_plan_is_made_once_for_every_request_of_a_document_without_directives(
    planned: list[str],
) -> None:
    short = strawberry.Schema(
        query=Query, extensions=[SameDocument], execution_context_class=LeafObjectsExecutor
    )
    plain = "{ box { label items { id at } } }"
    directed = "query ($skip: Boolean!) { box { label @skip(if: $skip) items { id } } }"

    for document in (plain, directed):
        planned.clear()
        await short.execute(document, variable_values={"skip": False})
        first = len(planned)
        await short.execute(document, variable_values={"skip": False})

        assert first > 0
        # The second request of the plain document planned nothing; the other, all again.
        assert len(planned) == (first if document == plain else 2 * first)


async def test_the_plans_of_the_oldest_operation_go_when_enough_are_kept(
    planned: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(execution, "OPERATIONS_PLANNED_KEPT", 2)
    monkeypatch.setattr(execution, "_shared_by_operation", {})
    short = strawberry.Schema(
        query=Query, extensions=[SameDocument], execution_context_class=LeafObjectsExecutor
    )
    oldest, newer, newest = "{ box { label } }", "{ box { tags } }", "{ box { colours } }"

    for document in (oldest, newer, newest, newer):
        await short.execute(document)
    kept = len(planned)
    await short.execute(oldest)

    # `newer`, asked again while kept, planned nothing; `oldest` had gone, and is planned anew.
    assert planned[kept:] == planned[:2]
    assert kept == 6
