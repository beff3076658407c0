"""Leads: creation, the contract's limits on every field, assignment and scoring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.errors import InvalidInput
from domain.leads import Lead

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
LEAD_ID = UUID(int=7)
VALID: dict[str, Any] = {
    "name": "Acme deal",
    "email": "buyer@acme.example",
    "company": "Acme",
    "score": 40,
}


def create(**overrides: Any) -> Lead:
    return Lead.create(LEAD_ID, **{**VALID, **overrides}, owner_id="alice", now=NOW)


def test_a_new_lead_is_owned_by_its_creator_and_dated_now() -> None:
    assert create() == Lead(
        id=LEAD_ID,
        name="Acme deal",
        email="buyer@acme.example",
        company="Acme",
        score=40,
        owner_id="alice",
        created_at=NOW,
        updated_at=NOW,
    )


def test_text_fields_are_trimmed() -> None:
    lead = create(name="  Acme deal ", email=" buyer@acme.example ", company=" Acme  ")

    assert (lead.name, lead.email, lead.company) == ("Acme deal", "buyer@acme.example", "Acme")


@pytest.mark.parametrize("blank", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_optional_fields_left_blank_are_absent(blank: str | None) -> None:
    lead = create(email=blank, company=blank)

    assert (lead.email, lead.company) == (None, None)


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": "a"},
        {"name": "a" * 200},
        {"name": "   " + "a" * 200 + "   "},
        {"company": "c" * 200},
        {"email": "a@b"},
        {"email": "e" * 242 + "@example.com"},
        {"score": 0},
        {"score": 100},
    ],
    ids=[
        "name 1",
        "name 200",
        "name 200 once trimmed",
        "company 200",
        "shortest email",
        "email 254",
        "score 0",
        "score 100",
    ],
)
def test_values_at_the_limits_are_accepted(overrides: dict[str, Any]) -> None:
    lead = create(**overrides)

    field, value = next(iter(overrides.items()))
    assert getattr(lead, field) == (value.strip() if isinstance(value, str) else value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "    "),
        ("name", "a" * 201),
        ("company", "c" * 201),
        ("email", "e" * 243 + "@example.com"),
        ("email", "buyer.acme.example"),
        ("email", "@acme.example"),
        ("email", "buyer@"),
        ("email", "@"),
        ("email", "buyer@@acme.example"),
        ("email", "buyer@acme@example"),
        ("score", -1),
        ("score", 101),
    ],
    ids=[
        "name empty",
        "name blank",
        "name 201",
        "company 201",
        "email 255",
        "email without @",
        "email without local part",
        "email without domain",
        "email only @",
        "email with @@",
        "email with two @",
        "score -1",
        "score 101",
    ],
)
def test_values_past_the_limits_are_invalid_input_naming_the_field(
    field: str, value: object
) -> None:
    with pytest.raises(InvalidInput) as caught:
        create(**{field: value})

    assert caught.value.field == field


def test_assign_hands_the_lead_over_and_says_so() -> None:
    lead = create()

    assert lead.assign("bob", LATER) is True
    assert (lead.owner_id, lead.created_at, lead.updated_at) == ("bob", NOW, LATER)


def test_assigning_to_the_current_owner_changes_nothing() -> None:
    lead = create()

    assert lead.assign("alice", LATER) is False
    assert (lead.owner_id, lead.updated_at) == ("alice", NOW)


@pytest.mark.parametrize("score", [0, 41, 100])
def test_change_score_scores_it_anew_and_says_so(score: int) -> None:
    lead = create(score=40)

    assert lead.change_score(score, LATER) is True
    assert (lead.score, lead.updated_at) == (score, LATER)


def test_the_same_score_again_changes_nothing() -> None:
    lead = create(score=40)

    assert lead.change_score(40, LATER) is False
    assert (lead.score, lead.updated_at) == (40, NOW)


@pytest.mark.parametrize("score", [-1, 101, 1_000])
def test_a_score_outside_0_to_100_is_invalid_input_and_changes_nothing(score: int) -> None:
    lead = create(score=40)

    with pytest.raises(InvalidInput) as caught:
        lead.change_score(score, LATER)

    assert caught.value.field == "score"
    assert (lead.score, lead.updated_at) == (40, NOW)
