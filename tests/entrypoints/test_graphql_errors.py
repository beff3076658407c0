"""The GraphQL layer on the in-memory container: errors carry a code and never internals."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from dependency_injector import providers
from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError

from adapters.jwt.tokens import JwtTokenIssuer
from application.ports import ConcurrentUpdate, DatabaseBusy
from entrypoints.app import create_app
from entrypoints.container import Container, in_memory
from entrypoints.graphql.errors import classify, log_unexpected
from entrypoints.graphql.schema import OperationNotChosen
from entrypoints.settings import Settings

SECRET = "s" * 32


class Exploding:
    async def __call__(self, query: object) -> int:
        raise RuntimeError("SELECT secret FROM /srv/herald/internal.py")


@pytest.fixture
def container() -> Container:
    return in_memory(Container(settings=Settings(jwt_secret=SECRET)))


@pytest.fixture
async def http(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    token = JwtTokenIssuer(SECRET).issue("alice")
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://herald.test",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


async def test_an_unexpected_failure_is_masked_and_logged_once(
    container: Container, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    container.get_unread_count.override(providers.Object(Exploding()))

    with caplog.at_level(logging.ERROR, logger="herald.graphql"):
        response = await http.post("/graphql", json={"query": "{ getUnreadCount }"})

    body = response.json()
    assert response.status_code == 200
    assert body["errors"][0]["message"] == "Internal server error"
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "secret" not in response.text
    assert "internal.py" not in response.text
    [record] = caplog.records
    assert record.exc_info is not None


class Contended:
    def __init__(self, error: Exception) -> None:
        self._error = error

    async def __call__(self, command: object) -> int:
        raise self._error


@pytest.mark.parametrize(
    "error",
    [ConcurrentUpdate("deadlock detected"), DatabaseBusy("canceling statement: lock timeout")],
    ids=["conflict", "busy"],
)
async def test_a_change_kept_from_being_made_by_concurrent_ones_is_a_conflict_without_traceback(
    container: Container,
    http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    container.mark_all_as_read.override(providers.Object(Contended(error)))

    with caplog.at_level(logging.INFO):
        response = await http.post("/graphql", json={"query": "mutation { markAllAsRead }"})

    body = response.json()
    assert response.status_code == 200
    assert body["errors"][0]["extensions"] == {"code": "CONFLICT"}
    assert body["errors"][0]["message"].endswith("nothing changed, try again")
    assert "deadlock" not in response.text
    assert "lock timeout" not in response.text
    assert [record for record in caplog.records if record.exc_info] == []


async def test_a_first_registration_kept_from_being_made_is_a_conflict_before_execution(
    container: Container, http: httpx.AsyncClient
) -> None:
    container.register_user.override(
        providers.Object(Contended(DatabaseBusy("canceling statement: lock timeout")))
    )

    response = await http.post("/graphql", json={"query": "{ getUnreadCount }"})

    assert response.status_code == 409
    assert response.headers["Retry-After"] == "1"
    assert response.json()["errors"][0]["extensions"] == {"code": "CONFLICT"}


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        ("{ getNotifications(limit: 0) { id } }", "BAD_USER_INPUT", "limit: must be 1..100"),
        ('mutation { markAsRead(id: "x") { id } }', "BAD_USER_INPUT", "id: must be a UUID"),
        (
            'mutation { markAsRead(id: "00000000-0000-4000-8000-000000000000") { id } }',
            "NOT_FOUND",
            "Notification not found",
        ),
        ('mutation { createLead(input: {name: ""}) { id } }', "BAD_USER_INPUT", "name: must be"),
        (
            'mutation { createLead(input: {name: "A", score: 101}) { id } }',
            "BAD_USER_INPUT",
            "score: must be 0..100",
        ),
        ("{ nope }", "BAD_USER_INPUT", "Cannot query field"),
    ],
)
async def test_a_refused_request_names_its_code_and_field(
    http: httpx.AsyncClient, query: str, code: str, message: str
) -> None:
    response = await http.post("/graphql", json={"query": query})

    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": code}
    assert error["message"].startswith(message)


async def test_a_document_deeper_than_ten_levels_is_refused(http: httpx.AsyncClient) -> None:
    nested = "{ getNotifications " + "{ id " * 11 + "}" * 11 + " }"

    response = await http.post("/graphql", json={"query": nested})

    [error, *_] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "exceeds maximum operation depth of 10" in error["message"]


async def test_a_document_of_more_than_a_thousand_tokens_is_refused(
    http: httpx.AsyncClient,
) -> None:
    wide = "{ " + " ".join(f"a{i}: getUnreadCount" for i in range(400)) + " }"

    response = await http.post("/graphql", json={"query": wide})

    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "token" in error["message"].lower()


def test_strawberrys_refusals_wrapped_as_errors_are_the_callers_and_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Over WebSocket strawberry makes them the operation's error, not an exception."""
    refusals = [OperationNotChosen(), CannotGetOperationTypeError("Typo"), MissingQueryError()]
    errors = [GraphQLError(str(refusal), original_error=refusal) for refusal in refusals]

    with caplog.at_level(logging.ERROR, logger="herald.graphql"):
        log_unexpected(errors, None)

    assert [classify(error)[0] for error in errors] == ["BAD_USER_INPUT"] * 3
    assert caplog.records == []
