"""Every GraphQL request is bounded: body, depth, tokens, aliases, pages, batches, introspection."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from dependency_injector import providers
from edge_support import Caller, callers, make_container

from entrypoints.graphql.controller import SUBSCRIPTIONS_OVER_WEBSOCKET
from entrypoints.graphql.limits import MAX_ALIASES, MAX_BODY_BYTES, mutation_cost
from entrypoints.graphql.schema import OPERATION_NOT_CHOSEN

BAD_USER_INPUT = {"code": "BAD_USER_INPUT"}


@pytest.fixture
async def alice() -> AsyncIterator[Caller]:
    [caller] = callers(make_container(), "alice")
    yield caller
    await caller.aclose()


def _aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: getUnreadCount" for i in range(count)) + " }"


def _doubling_fragments(levels: int, leaf: str) -> str:
    """A few hundred bytes whose fragments, spread out, hold 2^levels copies of `leaf`."""
    fragments = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"query Bomb {{ ...F0 }} {fragments} fragment F{levels} on Query {{ {leaf} }}"


async def test_a_body_over_64_kib_is_bad_user_input(alice: Caller) -> None:
    padding = "x" * MAX_BODY_BYTES

    response = await alice.post("{ getUnreadCount }", pad=padding)

    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "message": f"Request body is larger than {MAX_BODY_BYTES} bytes",
                "extensions": BAD_USER_INPUT,
            }
        ]
    }


async def test_a_body_just_under_the_limit_is_served(alice: Caller) -> None:
    padding = "x" * (MAX_BODY_BYTES - 200)

    data = await alice.data("{ getUnreadCount }", pad=padding)  # unknown variables are ignored

    assert data == {"getUnreadCount": 0}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (_aliases(MAX_ALIASES + 1), f"More than {MAX_ALIASES} aliases"),
        (
            "{ getNotifications { ...N } } fragment N on Notification { "
            + " ".join(f"n{i}: id" for i in range(MAX_ALIASES + 1))
            + " }",
            f"More than {MAX_ALIASES} aliases",
        ),
        (_doubling_fragments(80, "a: getUnreadCount"), f"More than {MAX_ALIASES} aliases"),
        (
            "{ " + " ".join(f"a{i}: getUnreadCount" for i in range(400)) + " }",
            "Syntax Error: Document contains more than 1000 tokens",
        ),
    ],
    ids=["31 aliases", "aliases in a fragment", "fragment bomb", "1,001 tokens"],
)
async def test_documents_past_the_limits_are_refused_before_anything_runs(
    alice: Caller, query: str, message: str
) -> None:
    started = time.perf_counter()

    error = await alice.error(query)

    assert time.perf_counter() - started < 2  # linear in the document, whatever its fragments
    assert error["extensions"] == BAD_USER_INPUT
    assert error["message"].startswith(message)


async def test_thirty_aliases_are_served(alice: Caller) -> None:
    data = await alice.data(_aliases(MAX_ALIASES))

    assert len(data) == MAX_ALIASES


@pytest.mark.parametrize(("levels", "refused"), [(10, False), (11, True)])
async def test_depth_is_counted_through_fragments(
    alice: Caller, levels: int, refused: bool
) -> None:
    fragments = " ".join(f"fragment D{i} on Query {{ a {{ ...D{i + 1} }} }}" for i in range(levels))
    document = f"query Deep {{ ...D0 }} {fragments} fragment D{levels} on Query {{ a }}"

    response = await alice.post(document)

    messages = [error["message"] for error in response.json()["errors"]]
    assert ("'Deep' exceeds maximum operation depth of 10" in messages) is refused


async def test_a_spread_repeated_many_times_is_still_cheap_to_serve(alice: Caller) -> None:
    started = time.perf_counter()

    data = await alice.data(_doubling_fragments(80, "getUnreadCount"))

    assert data == {"getUnreadCount": 0}
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "query",
    ["{ getNotifications(limit: 101) { id } }", "{ leads(limit: 101) { id } }"],
    ids=["getNotifications", "leads"],
)
async def test_a_page_of_101_is_bad_user_input(alice: Caller, query: str) -> None:
    error = await alice.error(query)

    assert error["extensions"] == BAD_USER_INPUT


async def test_a_batch_is_refused_and_runs_nothing(alice: Caller) -> None:
    create = {"query": 'mutation { createLead(input: {name: "Batched"}) { id } }'}

    response = await alice.http.post("/graphql", json=[create, create])

    assert response.status_code == 400
    assert [error["extensions"] for error in response.json()["errors"]] == [BAD_USER_INPUT]
    assert await alice.data("{ leads { id } }") == {"leads": []}


async def test_a_document_of_several_operations_without_a_name_is_refused_and_runs_nothing(
    alice: Caller,
) -> None:
    document = 'mutation Create { createLead(input: {name: "Unchosen"}) { id } }'
    document += " query Leads { leads { name } }"

    unnamed = await alice.http.post("/graphql", json={"query": document})
    named = await alice.http.post("/graphql", json={"query": document, "operationName": "Leads"})

    assert unnamed.status_code == 400
    assert unnamed.json() == {
        "errors": [{"message": OPERATION_NOT_CHOSEN, "extensions": BAD_USER_INPUT}]
    }
    assert named.json() == {"data": {"leads": []}}  # the mutation never ran


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {"Content-Type": "application/json; charset=utf-8"},
        {"Content-Type": "Application/JSON"},
        {"Content-Type": "application/json", "Accept": "text/event-stream"},
        {"Content-Type": "application/json", "Accept": "multipart/mixed;subscriptionSpec=1.0"},
    ],
    ids=["plain", "charset", "capitals", "accepts events", "accepts multipart"],
)
async def test_a_json_body_is_answered_in_json_whatever_the_headers_add(
    alice: Caller, headers: dict[str, str]
) -> None:
    body = b'{"query": "query Mine($n: Int) { getNotifications(limit: $n) { id } }", '
    body += b'"variables": {"n": 5}, "operationName": "Mine", "extensions": {}}'

    response = await alice.http.post("/graphql", content=body, headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"getNotifications": []}}


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("text/plain", b'{"query": "{ getUnreadCount }"}', "Unsupported content type"),
        ("application/json", b'{"query": 5}', "The GraphQL operation's `query` must be a string"),
        ("application/json", b'{"query": "{ getUnreadCount }", "variables": []}', "`variables`"),
        ("application/json", b'{"query": "{ getUnreadCount }", "extensions": 1}', "`extensions`"),
    ],
    ids=["text/plain", "query", "variables", "extensions"],
)
async def test_a_body_of_the_wrong_shape_is_told_what_is_wrong(
    alice: Caller, content_type: str, body: bytes, message: str
) -> None:
    response = await alice.http.post(
        "/graphql", content=body, headers={"Content-Type": content_type}
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == BAD_USER_INPUT
    assert message in error["message"]


@pytest.mark.parametrize("accept", ["application/json", "text/event-stream"])
async def test_a_subscription_over_http_is_refused(alice: Caller, accept: str) -> None:
    response = await alice.http.post(
        "/graphql",
        json={"query": "subscription { notificationEvents { eventId } }"},
        headers={"Accept": accept},
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error == {"message": SUBSCRIPTIONS_OVER_WEBSOCKET, "extensions": BAD_USER_INPUT}


async def test_json_nested_too_deeply_is_bad_user_input_not_a_500(alice: Caller) -> None:
    depth = 30_000
    body = '{"query": "{ getUnreadCount }", "variables": {"v": ' + "[" * depth + "]" * depth + "}}"

    response = await alice.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == BAD_USER_INPUT


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_is_served_in_development(alice: Caller) -> None:
    data = await alice.data(INTROSPECTION)

    assert data == {"__schema": {"queryType": {"name": "Query"}}}


async def test_introspection_is_refused_in_production() -> None:
    [caller] = callers(make_container(environment="production"), "alice")
    async with caller.http:
        error = await caller.error(INTROSPECTION)
        typename = await caller.data("{ __typename }")
        ide = await caller.http.get("/graphql", headers={"Accept": "text/html"})

    assert error["extensions"] == BAD_USER_INPUT
    assert "introspection" in error["message"].lower()
    assert typename == {"__typename": "Query"}
    assert ide.status_code == 404


@pytest.mark.parametrize(
    ("query", "operation_name", "cost"),
    [
        ("{ getUnreadCount }", None, 0),
        ("mutation { markAllAsRead }", None, 1),
        ("mutation { a: markAllAsRead b: markAllAsRead __typename }", None, 2),
        (
            "mutation { ...M ...M } fragment M on Mutation { a: markAllAsRead b: markAllAsRead }",
            None,
            2,
        ),
        ("mutation { ... on Mutation { markAllAsRead } }", None, 1),
        ("query Q { getUnreadCount } mutation M { markAllAsRead }", "Q", 0),
        ("query Q { getUnreadCount } mutation M { markAllAsRead }", "M", 1),
        ("query Q { getUnreadCount } mutation M { markAllAsRead }", None, 0),
        ("mutation {", None, 0),
    ],
)
def test_the_cost_of_a_request_is_the_mutations_it_would_run(
    query: str, operation_name: str | None, cost: int
) -> None:
    assert mutation_cost(query, operation_name) == cost


async def test_an_unexpected_http_failure_is_masked_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    container = make_container()
    [caller] = callers(container, "alice")

    class Broken:
        def render(self) -> bytes:
            raise RuntimeError("/srv/herald/secret.py exploded")

    container.metrics.override(providers.Object(Broken()))
    async with caller.http:
        response = await caller.http.get("/metrics")

    assert response.status_code == 500
    assert response.json() == {
        "errors": [
            {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ]
    }
    [record] = [record for record in caplog.records if record.levelname == "ERROR"]
    assert record.exc_info is not None
    assert "secret.py" not in response.text
