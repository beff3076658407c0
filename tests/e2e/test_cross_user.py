"""Cross-user isolation, end to end: one user can neither see nor change another's inbox.

Notifications and feed cursors are private to their user; leads, their tasks and comments are
shared by the whole team (the contract's Authentication section), so they are readable by all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from e2e_support import Clients, GraphQL, Socket

pytestmark = pytest.mark.e2e

CREATE_LEAD = "mutation($name: String!) { createLead(input: {name: $name}) { id name ownerId } }"
ADD_COMMENT = """mutation($lead: ID!, $body: String!) {
  addComment(input: {leadId: $lead, body: $body}) { id }
}"""
FEED = """query($after: String) {
  notificationFeed(first: 1, after: $after) { edges { node { id } } pageInfo { endCursor } }
}"""
INBOX = "{ getNotifications { id isRead readAt } getUnreadCount }"


def someone(name: str) -> str:
    """A user id no other test uses: the server and its database are shared by this module."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


@dataclass
class AlicesInbox:
    """Alice's inbox of two notifications that are hers alone, and Bob, a registered teammate."""

    alice_id: str
    alice: GraphQL
    bob: GraphQL
    alice_socket: Socket
    bob_socket: Socket
    lead_id: str
    notification_ids: list[str]  # newest first
    end_cursor: str  # of the first page of one: there is a page after it


async def alices_inbox(clients: Clients) -> AlicesInbox:
    """Carol comments twice on Alice's lead: only its owner is told, not Bob."""
    alice_id, bob_id, carol_id = someone("alice"), someone("bob"), someone("carol")
    alice, bob, carol = (clients.graphql(user) for user in (alice_id, bob_id, carol_id))
    bob_socket = await clients.socket(bob_id)  # registers Bob before anything happens
    alice_socket = await clients.socket(alice_id)
    await carol.data("{ getUnreadCount }")
    lead = (await alice.data(CREATE_LEAD, name="Private Ltd"))["createLead"]
    await bob_socket.wait_for("notifications:unread-count")  # Alice's lead, told to the team
    for body in ("First", "Second"):
        await carol.data(ADD_COMMENT, lead=lead["id"], body=body)
    await alice_socket.wait_for("notifications:unread-count", 2)
    inbox = await alice.data(INBOX)
    page = (await alice.data(FEED))["notificationFeed"]
    assert inbox["getUnreadCount"] == 2
    return AlicesInbox(
        alice_id=alice_id,
        alice=alice,
        bob=bob,
        alice_socket=alice_socket,
        bob_socket=bob_socket,
        lead_id=lead["id"],
        notification_ids=[item["id"] for item in inbox["getNotifications"]],
        end_cursor=page["pageInfo"]["endCursor"],
    )


@dataclass(frozen=True)
class Attempt:
    query: str
    variables: Callable[[AlicesInbox], dict[str, Any]]
    refusal: str  # the code Bob gets
    made_up: dict[str, Any]  # the same argument naming nothing: Bob must not tell them apart


ATTEMPTS = {
    "markAsRead": Attempt(
        "mutation($id: String!) { markAsRead(id: $id) { id isRead } }",
        lambda inbox: {"id": inbox.notification_ids[0]},
        "NOT_FOUND",
        {"id": str(uuid.uuid4())},
    ),
    "deleteNotification": Attempt(
        "mutation($id: String!) { deleteNotification(id: $id) }",
        lambda inbox: {"id": inbox.notification_ids[1]},
        "NOT_FOUND",
        {"id": str(uuid.uuid4())},
    ),
    "notificationFeed(after)": Attempt(
        FEED,
        lambda inbox: {"after": inbox.end_cursor},
        "BAD_USER_INPUT",  # a cursor of another user's feed is a forged one
        {"after": "bm90LWEtY3Vyc29y"},
    ),
    "notificationFeed(after, unreadOnly)": Attempt(
        """query($after: String) {
          notificationFeed(first: 1, after: $after, filter: {unreadOnly: true}) {
            edges { node { id } }
          }
        }""",
        lambda inbox: {"after": inbox.end_cursor},
        "BAD_USER_INPUT",
        {"after": "bm90LWEtY3Vyc29y"},
    ),
}


@pytest.mark.parametrize("operation", list(ATTEMPTS))
async def test_another_users_notification_or_cursor_is_refused_and_changes_nothing(
    clients: Clients, operation: str
) -> None:
    attempt = ATTEMPTS[operation]
    inbox = await alices_inbox(clients)
    alice_before = await inbox.alice.data(INBOX)
    alice_events_before = list(inbox.alice_socket.events)
    bob_events_before = list(inbox.bob_socket.events)

    refused = (await inbox.bob.post(attempt.query, **attempt.variables(inbox))).json()
    made_up = (await inbox.bob.post(attempt.query, **attempt.made_up)).json()

    assert [error["extensions"]["code"] for error in refused["errors"]] == [attempt.refusal]
    assert refused == made_up  # "not yours" and "not there" look the same
    await clients.quiet()
    assert await inbox.alice.data(INBOX) == alice_before
    assert inbox.alice_socket.events == alice_events_before
    assert inbox.bob_socket.events == bob_events_before
    # What Bob could not do, Alice can: the object was real.
    assert await inbox.alice.data(attempt.query, **attempt.variables(inbox))


async def test_a_socket_receives_none_of_another_users_events(clients: Clients) -> None:
    inbox = await alices_inbox(clients)
    bob_events_before = list(inbox.bob_socket.events)
    newest, oldest = inbox.notification_ids

    await inbox.alice.data("mutation($id: String!) { markAsRead(id: $id) { id } }", id=newest)
    await inbox.alice.data("mutation { markAllAsRead }")
    await inbox.alice.data("mutation($id: String!) { deleteNotification(id: $id) }", id=oldest)

    await inbox.alice_socket.wait_for("notification:deleted")
    assert inbox.alice_socket.named("notification:updated")[0]["id"] == newest
    assert inbox.alice_socket.named("notifications:bulk-updated") == [
        {"action": "markAllAsRead", "count": 1}
    ]
    await clients.quiet()
    assert inbox.bob_socket.events == bob_events_before


async def test_replay_gives_a_socket_only_its_own_users_events(clients: Clients) -> None:
    """Bob reconnecting from before Alice's events were committed gets none of them; Alice does."""
    inbox = await alices_inbox(clients)
    alices_ids = inbox.alice_socket.event_ids()
    bob_id = someone("bob")  # a teammate with an empty inbox and no events of his own
    await clients.graphql(bob_id).data("{ getUnreadCount }")

    async def replay(user_id: str, last_event_id: int) -> Socket:
        socket = Socket()
        auth = {"token": clients.server.token(user_id), "lastEventId": last_event_id}
        await socket.connect(clients.server.url, auth)
        clients.sockets.append(socket)
        return socket

    alices_replay = await replay(inbox.alice_id, min(alices_ids) - 1)
    bobs_replays = [await replay(bob_id, after) for after in (0, min(alices_ids) - 1)]

    await alices_replay.wait_for("notification:created", 2)
    await clients.quiet()
    assert alices_replay.event_ids() == alices_ids
    for replayed in bobs_replays:
        assert [name for name, _ in replayed.events if name != "notifications:resync"] == []


async def test_a_lead_is_the_teams_to_read_score_and_comment_on(clients: Clients) -> None:
    inbox = await alices_inbox(clients)

    lead = await inbox.bob.data(
        "query($id: ID!) { lead(id: $id) { id name ownerId } }", id=inbox.lead_id
    )
    listed = await inbox.bob.data("{ leads(limit: 100) { id } }")
    scored = await inbox.bob.data(
        "mutation($id: ID!) { updateLeadScore(id: $id, score: 42) { score } }", id=inbox.lead_id
    )
    commented = await inbox.bob.data(ADD_COMMENT, lead=inbox.lead_id, body="Seen it")

    assert lead["lead"]["id"] == inbox.lead_id
    assert lead["lead"]["name"] == "Private Ltd"
    assert inbox.lead_id in [item["id"] for item in listed["leads"]]
    assert scored == {"updateLeadScore": {"score": 42}}
    assert commented["addComment"]["id"]
