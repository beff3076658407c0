"""A mutation whose answer asks for a page size out of bounds is refused before it runs."""

from __future__ import annotations

import pytest
from graphql import parse

from entrypoints.graphql.limits import answer_bounds_error

CREATE = """mutation Create($n: Int) { createLead(input: {name: "Umbrella"}) {
  id ...Sent } }
fragment Sent on Lead { notifications(limit: $n) { id receipts(limit: %s) { userId } } }"""


@pytest.mark.parametrize(
    ("receipts", "variables", "problem"),
    [
        ("50", {"n": 0}, "notifications(limit): must be 1..100"),
        ("50", {"n": 101}, "notifications(limit): must be 1..100"),
        ("0", {"n": 5}, "receipts(limit): must be 1..100"),
        ("50", {"n": 5}, None),
        ("50", {}, None),  # the field's default
        ("100", {"n": 1}, None),
    ],
)
def test_page_sizes_inside_a_mutations_answer_are_checked_first(
    receipts: str, variables: dict[str, int], problem: str | None
) -> None:
    document = parse(CREATE % receipts)

    assert answer_bounds_error(document, None, variables) == problem


def test_queries_and_the_mutations_own_arguments_are_left_to_their_use_cases() -> None:
    query = parse('{ lead(id: "x") { notifications(limit: 0) { id } } }')
    own = parse("mutation { markAllAsRead }")

    assert answer_bounds_error(query, None, None) is None
    assert answer_bounds_error(own, None, None) is None


def test_a_variables_default_counts_as_given() -> None:
    document = parse(
        "mutation C($n: Int = 0) {"
        ' createLead(input: {name: "U"}) { notifications(limit: $n) { id } } }'
    )

    assert answer_bounds_error(document, None, {}) == "notifications(limit): must be 1..100"
    assert answer_bounds_error(document, None, {"n": 3}) is None


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        ('{ lead(id: "x") { notifications { receipts { userId } } } }', False),  # 21 reads
        ("{ leads(limit: 100) { notifications(limit: 1) { id } } }", False),  # 100
        ("{ leads(limit: 1) { notifications(limit: 99) { receipts { userId } } } }", False),
        ("{ leads(limit: 2) { notifications(limit: 50) { receipts { userId } } } }", True),
        ("{ leads { notifications { receipts { userId } } } }", True),  # 50 + 1,000
        (
            "{ leads(limit: 100) { notifications(limit: 100) { receipts { userId } } } }",
            True,
        ),
    ],
)
def test_lists_inside_lists_are_bounded_per_request(query: str, refused: bool) -> None:
    problem = answer_bounds_error(parse(query), None, None)

    assert (problem is not None) is refused
