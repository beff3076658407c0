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
