"""Who is told about a new lead: every registered user but the actor, once each."""

from __future__ import annotations

import itertools

import pytest

from domain.recipients import lead_created_recipients


@pytest.mark.parametrize(
    ("audience", "actor", "told"),
    [
        (["alice", "bob", "carol"], "alice", ["bob", "carol"]),
        (["bob", "alice", "carol"], "carol", ["alice", "bob"]),
        (["alice"], "alice", []),
        ([], "alice", []),
        (["bob", "carol"], "alice", ["bob", "carol"]),
        (["bob", "bob", "alice", "carol", "bob"], "alice", ["bob", "carol"]),
        (["alice", "alice"], "alice", []),
    ],
    ids=[
        "everyone but the actor",
        "actor in the middle",
        "the actor alone",
        "empty audience",
        "actor not registered",
        "duplicates",
        "only the actor, twice",
    ],
)
def test_lead_created_recipients(audience: list[str], actor: str, told: list[str]) -> None:
    assert lead_created_recipients(audience, actor) == told


def test_the_order_does_not_depend_on_the_order_users_come_in() -> None:
    audience = ["dave", "bob", "erin", "carol", "alice"]

    results = {
        tuple(lead_created_recipients(order, "alice")) for order in itertools.permutations(audience)
    }

    assert len(results) == 1


def test_any_iterable_audience_will_do() -> None:
    assert lead_created_recipients(iter(["carol", "alice", "bob"]), "alice") == ["bob", "carol"]
