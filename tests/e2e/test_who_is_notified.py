"""End to end on PostgreSQL: every CRM action reaches exactly the people the rules name."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from e2e_support import Clients, GraphQL, Socket

pytestmark = pytest.mark.e2e

CREATE_LEAD = "mutation($n: String!) { createLead(input: {name: $n}) { id score } }"
ASSIGN = "mutation($id: ID!, $o: String!) { assignLead(id: $id, ownerId: $o) { id ownerId } }"
SCORE = "mutation($id: ID!, $s: Int!) { updateLeadScore(id: $id, score: $s) { id score } }"
CREATE_TASK = """
mutation($lead: ID!, $title: String!) {
  createTask(input: {leadId: $lead, title: $title}) { id leadId title createdById completedAt }
}"""
COMPLETE = "mutation($id: ID!) { completeTask(id: $id) { id completedAt } }"
COMMENT = """
mutation($lead: ID!, $body: String!) {
  addComment(input: {leadId: $lead, body: $body}) { id authorId body }
}"""
MUTE = """
mutation($t: NotificationType!, $on: Boolean!) {
  setNotificationPreference(type: $t, enabled: $on) { type enabled }
}"""


@dataclass
class Teammate:
    id: str
    name: str
    api: GraphQL
    socket: Socket

    def told(self) -> list[dict[str, Any]]:
        return self.socket.named("notification:created")


@pytest.fixture
async def team(clients: Clients) -> dict[str, Teammate]:
    """Dana, Eli and Fay, not signed in yet: each test lets Dana create a lead first, alone,
    so that the lead's creation tells nobody, then `sign_in` opens everyone's socket."""
    suffix = uuid.uuid4().hex[:8]
    members = {}
    for name in ("Dana", "Eli", "Fay"):
        user_id = f"{name.lower()}-{suffix}"
        members[name] = Teammate(user_id, name, clients.graphql(user_id, name), Socket())
    return members


async def sign_in(clients: Clients, team: dict[str, Teammate]) -> None:
    for member in team.values():
        await member.socket.connect(
            clients.server.url, {"token": clients.server.token(member.id, member.name)}
        )
        clients.sockets.append(member.socket)


async def assert_told_exactly(
    clients: Clients, team: dict[str, Teammate], names: set[str], kind: str, count: int = 1
) -> None:
    for name in names:
        received = await team[name].socket.wait_for("notification:created", count)
        assert received[-1]["type"] == kind
    await clients.quiet()
    for name, member in team.items():
        expected = count if name in names else 0
        assert len(member.told()) == expected, name


async def test_each_action_reaches_exactly_whom_the_rules_name(
    clients: Clients, team: dict[str, Teammate]
) -> None:
    dana, eli, fay = team["Dana"], team["Eli"], team["Fay"]
    await dana.api.data("{ getUnreadCount }")  # Dana signs in first, alone
    lead = (await dana.api.data(CREATE_LEAD, n="Acme"))["createLead"]
    await sign_in(clients, team)

    # Eli scores Dana's lead: only the owner is told.
    await eli.api.data(SCORE, id=lead["id"], s=70)
    await assert_told_exactly(clients, team, {"Dana"}, "score_updated")
    # The same score again changes nothing and tells nobody.
    assert (await eli.api.data(SCORE, id=lead["id"], s=70))["updateLeadScore"]["score"] == 70
    await assert_told_exactly(clients, team, {"Dana"}, "score_updated")

    # Fay creates a task; Eli completes it: the owner and the task's creator are told.
    task = (await fay.api.data(CREATE_TASK, lead=lead["id"], title="Call back"))["createTask"]
    await eli.api.data(COMPLETE, id=task["id"])
    for name in ("Dana", "Fay"):
        completed = await team[name].socket.wait_for("notification:created", 1 + (name == "Dana"))
        assert completed[-1]["type"] == "task_completed"
        assert completed[-1]["message"] == "Eli completed “Call back” on Acme"
    assert eli.told() == []
    # Completing it again returns it unchanged and tells nobody.
    again = (await eli.api.data(COMPLETE, id=task["id"]))["completeTask"]
    assert again["completedAt"] is not None
    await clients.quiet()
    assert [len(m.told()) for m in (dana, eli, fay)] == [2, 0, 1]

    # Eli comments: the owner is told. Fay comments: the owner and Eli (an earlier commenter).
    await eli.api.data(COMMENT, lead=lead["id"], body="Sounds promising")
    await dana.socket.wait_for("notification:created", 3)
    await fay.api.data(COMMENT, lead=lead["id"], body="Agreed")
    await dana.socket.wait_for("notification:created", 4)
    await eli.socket.wait_for("notification:created", 1)
    await clients.quiet()
    assert [len(m.told()) for m in (dana, eli, fay)] == [4, 1, 1]
    assert eli.told()[0]["type"] == "comment_added"


async def test_a_muted_type_is_not_delivered_until_turned_on_again(
    clients: Clients, team: dict[str, Teammate]
) -> None:
    dana, eli = team["Dana"], team["Eli"]
    await dana.api.data("{ getUnreadCount }")
    lead = (await dana.api.data(CREATE_LEAD, n="Muted Inc"))["createLead"]
    await sign_in(clients, team)
    muted = await dana.api.data(MUTE, t="SCORE_UPDATED", on=False)
    assert muted == {"setNotificationPreference": {"type": "SCORE_UPDATED", "enabled": False}}
    preferences = (await dana.api.data("{ notificationPreferences { type enabled } }"))[
        "notificationPreferences"
    ]
    assert {p["type"]: p["enabled"] for p in preferences} == {
        "LEAD_CREATED": True,
        "TASK_COMPLETED": True,
        "SCORE_UPDATED": False,
        "COMMENT_ADDED": True,
    }

    await eli.api.data(SCORE, id=lead["id"], s=10)
    await eli.api.data(COMMENT, lead=lead["id"], body="Still told of comments")
    [comment] = await dana.socket.wait_for("notification:created")
    assert comment["type"] == "comment_added"
    await dana.api.data(MUTE, t="SCORE_UPDATED", on=True)
    await eli.api.data(SCORE, id=lead["id"], s=20)

    told = await dana.socket.wait_for("notification:created", 2)
    assert [n["type"] for n in told] == ["comment_added", "score_updated"]


async def test_assigning_a_lead_moves_who_is_told(
    clients: Clients, team: dict[str, Teammate]
) -> None:
    dana, eli, fay = team["Dana"], team["Eli"], team["Fay"]
    await dana.api.data("{ getUnreadCount }")
    lead = (await dana.api.data(CREATE_LEAD, n="Handover"))["createLead"]
    await sign_in(clients, team)

    moved = await dana.api.data(ASSIGN, id=lead["id"], o=eli.id)
    await fay.api.data(SCORE, id=lead["id"], s=55)

    assert moved["assignLead"]["ownerId"] == eli.id
    await assert_told_exactly(clients, team, {"Eli"}, "score_updated")
    leads = (await fay.api.data("{ leads(limit: 100) { id ownerId } }"))["leads"]
    assert {"id": lead["id"], "ownerId": eli.id} in leads


UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("operation", "variables", "code"),
    [
        (SCORE, {"id": UNKNOWN, "s": 50}, "NOT_FOUND"),
        (SCORE, {"id": "nope", "s": 50}, "BAD_USER_INPUT"),
        (SCORE, {"id": "LEAD", "s": 101}, "BAD_USER_INPUT"),
        (SCORE, {"id": "LEAD", "s": -1}, "BAD_USER_INPUT"),
        (ASSIGN, {"id": UNKNOWN, "o": "OWNER"}, "NOT_FOUND"),
        (ASSIGN, {"id": "LEAD", "o": "nobody-registered"}, "NOT_FOUND"),
        (CREATE_TASK, {"lead": UNKNOWN, "title": "x"}, "NOT_FOUND"),
        (CREATE_TASK, {"lead": "nope", "title": "x"}, "BAD_USER_INPUT"),
        (CREATE_TASK, {"lead": "LEAD", "title": ""}, "BAD_USER_INPUT"),
        (CREATE_TASK, {"lead": "LEAD", "title": "x" * 201}, "BAD_USER_INPUT"),
        (COMPLETE, {"id": UNKNOWN}, "NOT_FOUND"),
        (COMPLETE, {"id": "nope"}, "BAD_USER_INPUT"),
        (COMMENT, {"lead": UNKNOWN, "body": "hi"}, "NOT_FOUND"),
        (COMMENT, {"lead": "LEAD", "body": ""}, "BAD_USER_INPUT"),
        (COMMENT, {"lead": "LEAD", "body": "x" * 5001}, "BAD_USER_INPUT"),
    ],
)
async def test_bad_input_is_refused_stores_nothing_and_tells_nobody(
    clients: Clients,
    team: dict[str, Teammate],
    operation: str,
    variables: dict[str, Any],
    code: str,
) -> None:
    dana, eli = team["Dana"], team["Eli"]
    await dana.api.data("{ getUnreadCount }")
    lead = (await dana.api.data(CREATE_LEAD, n="Target"))["createLead"]
    await sign_in(clients, team)
    filled = {
        key: lead["id"] if value == "LEAD" else dana.id if value == "OWNER" else value
        for key, value in variables.items()
    }

    assert await eli.api.error_code(operation, **filled) == code

    await clients.quiet()
    assert all(member.socket.events == [] for member in team.values())
    after = await eli.api.data("query($id: ID!) { lead(id: $id) { score ownerId } }", id=lead["id"])
    assert after["lead"] == {"score": 0, "ownerId": dana.id}
