"""End to end on PostgreSQL: GraphQL mutations reach exactly the right sockets."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from e2e_support import Clients

pytestmark = pytest.mark.e2e

NOTIFICATION_KEYS = {
    "id",
    "type",
    "title",
    "message",
    "isRead",
    "readAt",
    "relatedLeadId",
    "actorId",
    "createdAt",
    "updatedAt",
    "seenAt",
    "deliveredAt",
    "archivedAt",
    "groupKey",
}
CREATE_LEAD = """
mutation Create($name: String!) {
  createLead(input: {name: $name, company: "Umbrella"}) { id name ownerId score }
}"""
NOTIFICATIONS = "{ getNotifications { id isRead readAt title } getUnreadCount }"


def someone(name: str) -> str:
    """A user id no other test uses: the server and its database are shared by this module."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def test_a_new_lead_is_pushed_to_teammates_and_not_to_its_creator(clients: Clients) -> None:
    alice, bob = someone("alice"), someone("bob")
    alice_socket = await clients.socket(alice, "Alice")
    bob_socket = await clients.socket(bob, "Bob")

    lead = (await clients.graphql(alice, "Alice").data(CREATE_LEAD, name="Acme"))["createLead"]

    [created] = await bob_socket.wait_for("notification:created")
    [count] = await bob_socket.wait_for("notifications:unread-count")
    assert set(created) == NOTIFICATION_KEYS
    assert created["type"] == "lead_created"
    assert created["relatedLeadId"] == lead["id"]
    assert created["actorId"] == alice
    assert "Alice" in created["message"]
    assert "Acme" in created["message"]
    assert created["isRead"] is False
    assert created["readAt"] is None
    assert datetime.fromisoformat(created["createdAt"]).utcoffset().total_seconds() == 0
    assert count == {"count": 1, "unseen": 1}
    assert lead["ownerId"] == alice
    await clients.quiet()
    assert alice_socket.events == []
    inbox = await clients.graphql(bob).data(NOTIFICATIONS)
    assert inbox["getUnreadCount"] == 1
    assert [item["id"] for item in inbox["getNotifications"]] == [created["id"]]


async def test_reading_reading_all_and_deleting_reach_only_the_owners_sockets(
    clients: Clients,
) -> None:
    alice, bob, carol = someone("alice"), someone("bob"), someone("carol")
    bob_tab, bob_other_tab = await clients.socket(bob), await clients.socket(bob)
    carol_socket = await clients.socket(carol)
    creator, reader = clients.graphql(alice), clients.graphql(bob)
    await creator.data(CREATE_LEAD, name="First")
    await creator.data(CREATE_LEAD, name="Second")
    first, second = await bob_tab.wait_for("notification:created", 2)
    await carol_socket.wait_for("notification:created", 2)
    await carol_socket.wait_for("notifications:unread-count", 2)
    carol_events_before = list(carol_socket.events)

    read = await reader.data(
        "mutation($id: String!) { markAsRead(id: $id) { id isRead readAt } }", id=first["id"]
    )
    assert read["markAsRead"]["isRead"] is True
    for tab in (bob_tab, bob_other_tab):
        [updated] = await tab.wait_for("notification:updated")
        assert updated["id"] == first["id"]
        assert updated["isRead"] is True
        assert updated["readAt"] == read["markAsRead"]["readAt"]
        assert (await tab.wait_for("notifications:unread-count", 3))[-1] == {
            "count": 1,
            "unseen": 1,
        }

    assert (await reader.data("mutation { markAllAsRead }"))["markAllAsRead"] == 1
    for tab in (bob_tab, bob_other_tab):
        [bulk] = await tab.wait_for("notifications:bulk-updated")
        assert bulk == {"action": "markAllAsRead", "count": 1}
        assert (await tab.wait_for("notifications:unread-count", 4))[-1] == {
            "count": 0,
            "unseen": 0,
        }

    deleted = await reader.data(
        "mutation($id: String!) { deleteNotification(id: $id) }", id=second["id"]
    )
    assert deleted == {"deleteNotification": True}
    for tab in (bob_tab, bob_other_tab):
        assert await tab.wait_for("notification:deleted") == [{"id": second["id"]}]

    await clients.quiet()
    assert carol_socket.events == carol_events_before
    carol_inbox = await clients.graphql(carol).data(NOTIFICATIONS)
    assert carol_inbox["getUnreadCount"] == 2
    assert [item["isRead"] for item in carol_inbox["getNotifications"]] == [False, False]
    bob_inbox = await reader.data(NOTIFICATIONS)
    assert [item["id"] for item in bob_inbox["getNotifications"]] == [first["id"]]


@pytest.mark.parametrize(
    "operation",
    [
        "mutation($id: String!) { markAsRead(id: $id) { id } }",
        "mutation($id: String!) { deleteNotification(id: $id) }",
    ],
)
async def test_another_users_notification_is_not_found_and_stays_as_it_was(
    clients: Clients, operation: str
) -> None:
    alice, bob, mallory = someone("alice"), someone("bob"), someone("mallory")
    bob_socket = await clients.socket(bob)
    await clients.graphql(alice).data(CREATE_LEAD, name="Private")
    [notification] = await bob_socket.wait_for("notification:created")
    intruder = clients.graphql(mallory)

    assert await intruder.error_code(operation, id=notification["id"]) == "NOT_FOUND"
    assert await intruder.error_code(operation, id=str(uuid.uuid4())) == "NOT_FOUND"
    assert await intruder.error_code(operation, id="not-an-id") == "BAD_USER_INPUT"
    assert await intruder.error_code(operation, id=notification["id"].upper()) == "BAD_USER_INPUT"

    await clients.quiet()
    inbox = await clients.graphql(bob).data(NOTIFICATIONS)
    assert inbox["getUnreadCount"] == 1
    assert [(item["id"], item["isRead"]) for item in inbox["getNotifications"]] == [
        (notification["id"], False)
    ]
    assert bob_socket.named("notification:updated") == []
    assert bob_socket.named("notification:deleted") == []


async def test_a_lead_is_readable_by_any_teammate(clients: Clients) -> None:
    alice, bob = someone("alice"), someone("bob")
    created = (await clients.graphql(alice).data(CREATE_LEAD, name="Shared"))["createLead"]
    reader = clients.graphql(bob)
    query = "query($id: ID!) { lead(id: $id) { id name ownerId score createdAt updatedAt } }"

    lead = (await reader.data(query, id=created["id"]))["lead"]

    assert lead["name"] == "Shared"
    assert lead["ownerId"] == alice
    assert (await reader.data(query, id=str(uuid.uuid4())))["lead"] is None
    assert await reader.error_code(query, id="nope") == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("name", "code"),
    [("", "BAD_USER_INPUT"), ("   ", "BAD_USER_INPUT"), ("x" * 201, "BAD_USER_INPUT")],
)
async def test_an_invalid_lead_is_refused_and_nobody_is_told(
    clients: Clients, name: str, code: str
) -> None:
    alice, bob = someone("alice"), someone("bob")
    bob_socket = await clients.socket(bob)

    assert await clients.graphql(alice).error_code(CREATE_LEAD, name=name) == code

    await clients.quiet()
    assert bob_socket.events == []
