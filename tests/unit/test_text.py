"""Text the domain keeps: no NUL, no lone surrogate, anywhere it comes from."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.comments import Comment
from domain.errors import InvalidInput
from domain.leads import Lead
from domain.tasks import Task
from domain.users import User

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800", "x\udfff"])
@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("name", lambda v: Lead.create(uuid4(), name=v, email=None, company=None, score=0,
                                       owner_id="a", now=NOW)),
        ("company", lambda v: Lead.create(uuid4(), name="A", email=None, company=v, score=0,
                                          owner_id="a", now=NOW)),
        ("email", lambda v: Lead.create(uuid4(), name="A", email=f"a@b{v}", company=None,
                                        score=0, owner_id="a", now=NOW)),
        ("title", lambda v: Task.create(uuid4(), lead_id=uuid4(), title=v, assignee_id=None,
                                        created_by_id="a", now=NOW)),
        ("body", lambda v: Comment.write(uuid4(), lead_id=uuid4(), author_id="a", body=v,
                                         now=NOW)),
        ("sub", lambda v: User.register(v, None, None, NOW)),
    ],
)  # fmt: skip
def test_text_that_cannot_be_stored_is_refused_naming_the_field(
    bad: str, field: str, make: object
) -> None:
    with pytest.raises(InvalidInput) as refused:
        make(bad)  # type: ignore[operator]

    assert refused.value.field == field


def test_claims_lose_what_cannot_be_stored_rather_than_the_user() -> None:
    user = User.register("alice", "Al\x00ice\ud800", "alice@example.com\x00", NOW)

    assert (user.name, user.email) == ("Alice", "alice@example.com")
