"""End to end: a GraphQL client that never saw Herald's code gets the live stream over
graphql-transport-ws, with replay from lastEventId, and is refused without a token."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from e2e_support import Clients, graphql_ws, subscribed
from gql.transport.exceptions import TransportError
from websockets.exceptions import ConnectionClosed

from entrypoints.graphql.schema import OPERATION_NOT_CHOSEN

pytestmark = pytest.mark.e2e

CREATE_LEAD = "mutation($n: String!) { createLead(input: {name: $n}) { id } }"
WITHIN_SECONDS = 10


def someone(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def next_events(received: asyncio.Queue[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    async with asyncio.timeout(WITHIN_SECONDS):
        return [await received.get() for _ in range(count)]


async def test_a_subscription_carries_the_same_events_as_socket_io(clients: Clients) -> None:
    alice, bob = someone("alice"), someone("bob")
    bob_socket = await clients.socket(bob)
    async with subscribed(clients.server, clients.server.token(bob)) as received:
        await asyncio.sleep(0.3)  # the subscription is in place once its first message is read
        await clients.graphql(alice, "Alice").data(CREATE_LEAD, n="Initech")

        created, count = await next_events(received, 2)
    # Both channels are told at once: the socket's copy may still be on its way.
    await bob_socket.wait_for("notifications:unread-count")

    socket_events = [(name, data["eventId"]) for name, data in bob_socket.events]
    assert created["event"] == "notification:created"
    assert created["notification"]["title"] == "New lead: Initech"
    assert created["notification"]["isRead"] is False
    assert count["event"] == "notifications:unread-count"
    assert count["count"] == 1
    assert [(created["event"], created["eventId"]), (count["event"], count["eventId"])] == (
        socket_events
    )


async def test_a_subscription_from_last_event_id_replays_what_was_missed_in_order(
    clients: Clients,
) -> None:
    alice, bob = someone("alice"), someone("bob")
    first = await clients.socket(bob)
    await clients.graphql(alice).data(CREATE_LEAD, n="Seen")
    await first.wait_for("notifications:unread-count")
    last_seen = max(first.event_ids())
    for name in ("Missed A", "Missed B"):
        await clients.graphql(alice).data(CREATE_LEAD, n=name)

    async with subscribed(clients.server, clients.server.token(bob), last_seen) as received:
        replayed = await next_events(received, 4)
        await clients.graphql(alice).data(CREATE_LEAD, n="Live")
        live = await next_events(received, 2)

    events = replayed + live
    titles = [e["notification"]["title"] for e in events if e["notification"]]
    assert titles == ["New lead: Missed A", "New lead: Missed B", "New lead: Live"]
    ids = [e["eventId"] for e in events]
    assert ids == sorted(set(ids))
    assert ids[0] > last_seen


@pytest.mark.parametrize("token", ["", "garbage"], ids=["empty", "garbage"])
async def test_a_subscription_without_a_valid_token_is_closed_with_4401(
    clients: Clients, token: str
) -> None:
    with pytest.raises(TransportError) as refused:
        async with subscribed(clients.server, token) as received:
            await next_events(received, 1)

    closed = refused.value.__cause__ or refused.value.__context__
    assert isinstance(closed, ConnectionClosed)
    assert closed.rcvd is not None
    assert closed.rcvd.code == 4401


async def test_a_subscription_that_does_not_parse_is_closed_with_4400_and_its_error(
    clients: Clients,
) -> None:
    token = clients.server.token(someone("typist"))
    query = "subscription Typo { notificationEvents { eventId"
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": query}}
    async with graphql_ws(clients.server, token) as socket:
        async with asyncio.timeout(WITHIN_SECONDS):
            await socket.send(json.dumps(subscribe))
            with pytest.raises(ConnectionClosed) as closed:
                await socket.recv()

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400
    assert closed.value.rcvd.reason.startswith("Syntax Error")


async def test_an_operation_whose_query_is_no_string_is_answered_with_an_error(
    clients: Clients,
) -> None:
    token = clients.server.token(someone("careless"))
    async with graphql_ws(clients.server, token) as socket:
        async with asyncio.timeout(WITHIN_SECONDS):
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": 5}}))
            answer = json.loads(await socket.recv())

    assert answer["type"] == "error"
    assert answer["id"] == "1"
    assert len(answer["payload"]) == 1


async def test_errors_over_a_websocket_carry_their_code_as_over_http(clients: Clients) -> None:
    """Each `next` or `error` message's errors are coded and worded as the HTTP answer's."""
    token = clients.server.token(someone("sloppy"))
    deep = "{ " + "getNotifications { " * 11 + "id" + " }" * 12
    operations = {
        "empty name": 'mutation { createLead(input: {name: ""}) { id } }',
        "malformed id": 'mutation { markAsRead(id: "x") { id } }',
        "unknown id": f'mutation {{ markAsRead(id: "{uuid.uuid4()}") {{ id }} }}',
        "too deep": deep,
    }
    answers: dict[str, dict[str, Any]] = {}
    async with graphql_ws(clients.server, token) as socket:
        async with asyncio.timeout(WITHIN_SECONDS):
            for name, query in operations.items():
                await socket.send(
                    json.dumps({"id": name, "type": "subscribe", "payload": {"query": query}})
                )
                answers[name] = json.loads(await socket.recv())
                if answers[name]["type"] == "next":
                    assert json.loads(await socket.recv())["type"] == "complete"

    def codes(answer: dict[str, Any]) -> list[str]:
        errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
        return [error["extensions"]["code"] for error in errors]

    assert codes(answers["empty name"]) == ["BAD_USER_INPUT"]
    assert codes(answers["malformed id"]) == ["BAD_USER_INPUT"]
    assert codes(answers["unknown id"]) == ["NOT_FOUND"]
    assert answers["unknown id"]["payload"]["errors"][0]["message"] == "Notification not found"
    assert answers["too deep"]["type"] == "error"
    assert set(codes(answers["too deep"])) == {"BAD_USER_INPUT"}


async def test_a_document_of_several_operations_without_a_name_is_closed_with_4400(
    clients: Clients,
) -> None:
    """As strawberry answers an unknown operation name: the subscribe message is bad."""
    document = (
        "subscription Events { notificationEvents { eventId } } query Count { getUnreadCount }"
    )
    named = {"query": document, "operationName": "Count"}
    token = clients.server.token(someone("vague"))
    refused = 'herald_graphql_operations_total{operation="(anonymous)",outcome="BAD_USER_INPUT"}'
    before = (await clients.http.get("/metrics")).text
    async with graphql_ws(clients.server, token) as socket:
        async with asyncio.timeout(WITHIN_SECONDS):
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": named}))
            answered = json.loads(await socket.recv())
            completed = json.loads(await socket.recv())
            unnamed = {"query": document}
            await socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": unnamed}))
            with pytest.raises(ConnectionClosed) as closed:
                await socket.recv()

    assert answered == {"id": "1", "type": "next", "payload": {"data": {"getUnreadCount": 0}}}
    assert completed == {"id": "1", "type": "complete"}
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4400, OPERATION_NOT_CHOSEN)
    # Counted as the caller's error, under no operation's name (not the first one's).
    after = before
    async with asyncio.timeout(WITHIN_SECONDS):
        while _sample(after, refused) == _sample(before, refused):
            await asyncio.sleep(0.05)
            after = (await clients.http.get("/metrics")).text
    assert _sample(after, refused) - _sample(before, refused) == 1
    for outcome in ("BAD_USER_INPUT", "INTERNAL_SERVER_ERROR"):
        first = _events_operations(outcome)
        assert _sample(after, first) == _sample(before, first)


def _events_operations(outcome: str) -> str:
    return f'herald_graphql_operations_total{{operation="Events",outcome="{outcome}"}}'


def _sample(text: str, series: str) -> float:
    found = [line for line in text.splitlines() if line.startswith(series + " ")]
    return float(found[0].rsplit(" ", 1)[1]) if found else 0.0


async def test_a_subscription_its_client_ends_is_counted_as_ok(clients: Clients) -> None:
    def sample(text: str, outcome: str) -> float:
        return _sample(text, _events_operations(outcome))

    alice, bob = someone("alice"), someone("bob")
    before = (await clients.http.get("/metrics")).text
    async with subscribed(clients.server, clients.server.token(bob)) as received:
        await asyncio.sleep(0.3)  # the subscription is in place once its first message is read
        await clients.graphql(alice, "Alice").data(CREATE_LEAD, n="Initech")
        await next_events(received, 2)  # it runs: what its client ends now is under way
    after = before
    async with asyncio.timeout(WITHIN_SECONDS):
        while sample(after, "ok") == sample(before, "ok"):
            await asyncio.sleep(0.05)
            after = (await clients.http.get("/metrics")).text

    assert sample(after, "ok") - sample(before, "ok") == 1
    assert sample(after, "INTERNAL_SERVER_ERROR") == sample(before, "INTERNAL_SERVER_ERROR")
