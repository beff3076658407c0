"""End to end on PostgreSQL: the engagement mutations' events reach real python-socketio clients
with event ids and replay after a reconnect; `notifications:delivered` sets deliveredAt and
bad confirmations keep the socket; the GraphQL subscription carries the same events and is
closed with 4401 when its token expires."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest
from e2e_support import Clients, GraphQL, Socket
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.e2e

CREATE_LEAD = "mutation($n: String!) { createLead(input: {name: $n}) { id } }"
COMMENT = 'mutation($lead: ID!) { addComment(input: {leadId: $lead, body: "hi"}) { id } }'
NOTIFICATIONS = "{ getNotifications { id type seenAt deliveredAt archivedAt groupKey isRead } }"
ENTRY = "id isRead seenAt archivedAt groupKey"
GROUP_PAGE = """query($after: String) {
  notificationGroups(first: 1, after: $after) {
    edges { node { key } } pageInfo { endCursor hasNextPage }
  }
}"""
ARCHIVED = "{ notificationFeed(filter: {archived: true}) { edges { node { id } } } }"
GROUPS = "{ notificationGroups { edges { node { key title count unreadCount actorIds } } } }"
WITHIN_SECONDS = 10
COUNTS = "notifications:unread-count"


def someone(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def registered(clients: Clients, user_id: str) -> GraphQL:
    """A user who has called Herald once, and so is told of new leads."""
    caller = clients.graphql(user_id)
    await caller.data("{ getUnreadCount }")
    return caller


async def notifications(caller: GraphQL) -> list[dict[str, Any]]:
    return list((await caller.data(NOTIFICATIONS))["getNotifications"])


def without_counts(socket: Socket) -> list[tuple[str, dict[str, Any]]]:
    return [(name, data) for name, data in socket.events if name != COUNTS]


async def settled(socket: Socket, event_id: int) -> None:
    """Until the socket has the event `event_id` (counts may be coalesced, never withheld)."""
    await socket.wait_until(
        lambda: bool(socket.events) and max(socket.event_ids()) >= event_id, WITHIN_SECONDS
    )


async def test_every_new_mutation_sends_its_events_with_ids_and_they_replay_after_a_reconnect(
    clients: Clients,
) -> None:
    alice, bob_id = someone("alice"), someone("bob")
    bob = await registered(clients, bob_id)
    [lead] = [(await bob.data(CREATE_LEAD, n="Umbrella Corp"))["createLead"]["id"]]
    live = await clients.socket(bob_id)
    await clients.graphql(alice, "Alice").data(COMMENT, lead=lead)
    await clients.graphql(alice, "Alice").data(COMMENT, lead=lead)
    await clients.graphql(alice, "Alice").data(CREATE_LEAD, n="Initech")
    await live.wait_for("notification:created", 3)
    await live.wait_for(COUNTS)
    before = max(live.event_ids())
    new_lead, comment, _ = await notifications(bob)
    assert new_lead["type"] == "LEAD_CREATED"
    assert comment["type"] == "COMMENT_ADDED"
    groups = (await bob.data(GROUPS))["notificationGroups"]["edges"]
    assert [(g["node"]["title"], g["node"]["count"], g["node"]["unreadCount"]) for g in groups] == [
        ("New lead: Initech", 1, 1),
        ("2 new comments on Umbrella Corp", 2, 2),
    ]
    assert groups[1]["node"]["key"] == comment["groupKey"]
    assert groups[1]["node"]["actorIds"] == [alice]
    first_page = (await bob.data(GROUP_PAGE))["notificationGroups"]
    second_page = await bob.data(GROUP_PAGE, after=first_page["pageInfo"]["endCursor"])
    assert [g["node"]["key"] for g in second_page["notificationGroups"]["edges"]] == [
        comment["groupKey"]
    ]

    assert (await bob.data("mutation { markAllAsSeen }")) == {"markAllAsSeen": 3}
    group = await bob.data(
        "mutation($k: String!) { markGroupAsRead(groupKey: $k) }", k=comment["groupKey"]
    )
    unread = await bob.data(f'mutation {{ markAsUnread(id: "{comment["id"]}") {{ {ENTRY} }} }}')
    archived = await bob.data(
        f'mutation {{ archiveNotification(id: "{new_lead["id"]}") {{ {ENTRY} }} }}'
    )
    back = await bob.data(
        f'mutation {{ unarchiveNotification(id: "{new_lead["id"]}") {{ {ENTRY} }} }}'
    )
    assert (await bob.data("mutation { markAllAsSeen }")) == {"markAllAsSeen": 0}
    await live.wait_for("notification:updated", 3)
    # The counts are state: the last one sent is the current one, coalesced or not.
    counts = (await bob.data("{ inboxCounts { unread unseen total } }"))["inboxCounts"]
    assert counts == {"unread": 2, "unseen": 0, "total": 3}
    await live.wait_until(lambda: live.named(COUNTS)[-1] == {"count": 2, "unseen": 0})
    await clients.quiet()

    assert group == {"markGroupAsRead": 2}
    assert unread["markAsUnread"]["isRead"] is False
    assert unread["markAsUnread"]["seenAt"] is not None
    assert archived["archiveNotification"]["archivedAt"] is not None
    assert back["unarchiveNotification"]["archivedAt"] is None
    assert (await bob.data(ARCHIVED))["notificationFeed"]["edges"] == []
    after = [(name, data) for name, data in without_counts(live) if data["eventId"] > before]
    assert [name for name, _ in after] == [
        "notifications:bulk-updated",
        "notifications:bulk-updated",
        "notification:updated",
        "notification:updated",
        "notification:updated",
    ]
    seen, read, *updated = (data for _, data in after)
    assert (seen["action"], seen["count"]) == ("markAllAsSeen", 3)
    assert (read["action"], read["count"], read["groupKey"]) == (
        "markGroupAsRead",
        2,
        comment["groupKey"],
    )
    assert [(u["id"], u["isRead"], u["archivedAt"] is not None) for u in updated] == [
        (comment["id"], False, False),
        (new_lead["id"], False, True),
        (new_lead["id"], False, False),
    ]
    for payload in updated:
        assert {"seenAt", "deliveredAt", "archivedAt", "groupKey"} <= payload.keys()
        assert payload["seenAt"] is not None
    ids = live.event_ids()
    assert ids == sorted(set(ids))

    replaying = Socket()
    await replaying.connect(
        clients.server.url, {"token": clients.server.token(bob_id), "lastEventId": before}
    )
    clients.sockets.append(replaying)
    await settled(replaying, max(ids))

    live_after = [(name, data) for name, data in live.events if data["eventId"] > before]
    replayed_counts = replaying.named(COUNTS)
    assert without_counts(replaying) == [(n, d) for n, d in live_after if n != COUNTS]
    assert replayed_counts[-1] == {"count": 2, "unseen": 0}
    assert replaying.event_ids() == sorted(set(replaying.event_ids()))
    assert min(replaying.event_ids()) > before


async def test_delivery_confirmations_set_delivered_at_and_bad_ones_keep_the_socket(
    clients: Clients,
) -> None:
    alice, bob_id = someone("alice"), someone("bob")
    bob = await registered(clients, bob_id)
    socket = await clients.socket(bob_id)
    await clients.graphql(alice).data(CREATE_LEAD, n="Confirmed")
    [created] = await socket.wait_for("notification:created")
    confirmed_id = next(d["eventId"] for n, d in socket.events if n == "notification:created")

    for bad in (None, "7", 7, [7], {}, {"eventId": -1}, {"eventId": True}, {"eventId": "7"}):
        await socket.client.emit("notifications:delivered", bad)
    for _ in range(200):  # a flood of them costs the client nothing but its own frames
        await socket.client.emit("notifications:delivered", {"eventId": 1.5})
    await clients.quiet()
    assert socket.client.connected
    assert [n["deliveredAt"] for n in await notifications(bob)] == [None]

    await clients.graphql(alice).data(CREATE_LEAD, n="Not yet confirmed")
    await socket.wait_for("notification:created", 2)
    await socket.client.emit("notifications:delivered", {"eventId": confirmed_id})
    started = time.monotonic()
    async with asyncio.timeout(WITHIN_SECONDS):
        while True:
            later, first = await notifications(bob)
            if first["deliveredAt"] is not None:
                break
            await asyncio.sleep(0.1)

    assert time.monotonic() - started < 3  # applied within a second or so, not at shutdown
    assert first["id"] == created["id"]
    assert later["deliveredAt"] is None
    assert socket.client.connected
    sent = await bob.data(
        "query($id: ID!) { lead(id: $id) { notifications { id delivered "
        "receipts(limit: 100) { userId deliveredAt } } } }",
        id=created["relatedLeadId"],
    )
    [about] = sent["lead"]["notifications"]
    bobs = [r for r in about["receipts"] if r["userId"] == bob_id]
    assert bobs[0]["deliveredAt"] == first["deliveredAt"]
    assert about["delivered"] >= 1


SUBSCRIPTION = f"""subscription {{
  notificationEvents {{
    eventId event count unseen action groupKey
    notification {{ {ENTRY} deliveredAt }}
  }}
}}"""


async def subscribe(clients: Clients, token: str) -> ClientConnection:
    url = clients.server.url.replace("http://", "ws://") + "/graphql"
    websocket = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await websocket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
    assert json.loads(await websocket.recv())["type"] == "connection_ack"
    await websocket.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
    )
    return websocket


async def next_event(websocket: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(WITHIN_SECONDS):
        message = json.loads(await websocket.recv())
    assert message["type"] == "next", message
    return dict(message["payload"]["data"]["notificationEvents"])


async def close_code(websocket: ClientConnection) -> int | None:
    """The code the server closes the websocket with, reading whatever comes before."""
    try:
        async with asyncio.timeout(WITHIN_SECONDS):
            while True:
                await websocket.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None


async def test_the_subscription_gets_the_same_events_and_is_closed_at_token_expiry(
    clients: Clients,
) -> None:
    alice, bob_id = someone("alice"), someone("bob")
    bob = await registered(clients, bob_id)
    socket = await clients.socket(bob_id)
    websocket = await subscribe(clients, clients.server.token(bob_id, ttl=4))
    try:
        await asyncio.sleep(0.3)  # the subscription is in place
        await clients.graphql(alice).data(CREATE_LEAD, n="Hooli")
        created, count = await next_event(websocket), await next_event(websocket)
        await bob.data("mutation { markAllAsSeen }")
        seen, seen_count = await next_event(websocket), await next_event(websocket)
        await bob.data(
            f'mutation {{ archiveNotification(id: "{created["notification"]["id"]}") {{ id }} }}'
        )
        archived, archived_count = await next_event(websocket), await next_event(websocket)

        assert created["event"] == "notification:created"
        assert created["notification"]["groupKey"].startswith("lead_created:")
        assert created["notification"]["seenAt"] is None
        assert (count["event"], count["count"], count["unseen"]) == (COUNTS, 1, 1)
        assert (seen["event"], seen["action"], seen["count"]) == (
            "notifications:bulk-updated",
            "markAllAsSeen",
            1,
        )
        assert (seen_count["count"], seen_count["unseen"]) == (1, 0)
        assert archived["event"] == "notification:updated"
        assert archived["notification"]["archivedAt"] is not None
        assert archived["notification"]["seenAt"] is not None
        assert (archived_count["count"], archived_count["unseen"]) == (0, 0)
        subscribed_ids = [
            e["eventId"] for e in (created, count, seen, seen_count, archived, archived_count)
        ]
        await settled(socket, subscribed_ids[-1])
        assert [i for i in socket.event_ids() if i in subscribed_ids] == subscribed_ids

        assert await close_code(websocket) == 4401
    finally:
        await websocket.close()
