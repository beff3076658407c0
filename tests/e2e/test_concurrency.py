"""End to end on PostgreSQL: N identical requests at once, to one `herald serve` or to two on
one database, make each change once, answer every one of them, and tell each user once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
import sqlalchemy as sa
from e2e_support import (
    Clients,
    GraphQL,
    HeraldServer,
    Socket,
    clients_of,
    herald_env,
    running_server,
)

from adapters.sqlalchemy.engine import make_engine
from adapters.sqlalchemy.tables import leads, users
from adapters.sqlalchemy.tables import notification_preferences as preferences

pytestmark = pytest.mark.e2e

N = 8  # requests at once
MAX_SOCKETS = N  # the servers' MAX_SOCKETS_PER_USER

CREATE_LEAD = 'mutation { createLead(input: {name: "Umbrella Corp"}) { id ownerId score } }'
CREATE_TASK = """mutation Create($lead: ID!) {
  createTask(input: {leadId: $lead, title: "Call back"}) { id } }"""
COMPLETE_TASK = "mutation Complete($id: ID!) { completeTask(id: $id) { id completedAt } }"
SCORE = "mutation Score($id: ID!) { updateLeadScore(id: $id, score: 42) { id score updatedAt } }"
ASSIGN = "mutation Assign($id: ID!, $to: String!) { assignLead(id: $id, ownerId: $to) { ownerId } }"
MARK = "mutation Mark($id: String!) { markAsRead(id: $id) { id isRead readAt } }"
DELETE = "mutation Delete($id: String!) { deleteNotification(id: $id) }"
INBOX = "{ getNotifications { id type message isRead } getUnreadCount }"
MUTE = """mutation { setNotificationPreference(type: SCORE_UPDATED, enabled: false) {
  type enabled } }"""


def someone(name: str) -> str:
    """A user id no other test uses: the servers and their database are shared by this module."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def server_env(database_url: str) -> dict[str, str]:
    return herald_env(
        DATABASE_URL=database_url,
        MAX_SOCKETS_PER_USER=str(MAX_SOCKETS),
        RATE_LIMIT_PER_SECOND="1000",
        SOCKET_CONNECTS_PER_SECOND="1000",
    )


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[HeraldServer]:
    with running_server(server_env(database_url)) as running:
        yield running


@pytest.fixture(scope="class")
def second(database_url: str, server: HeraldServer) -> Iterator[HeraldServer]:
    """Another process on the same database, for `TestOverTwoProcesses` only. Without
    `REDIS_URL` each process tells its own sockets of the events it relays, and either relay
    may take any event: while it runs, a socket on the module's server alone may never hear of
    one."""
    with running_server(server_env(database_url)) as running:
        yield running


@pytest.fixture
async def elsewhere(second: HeraldServer) -> AsyncIterator[Clients]:
    async with clients_of(second) as made:
        yield made


async def at_once(request: Callable[[], Awaitable[httpx.Response]]) -> list[dict[str, Any]]:
    """N requests sent together; every answer is a 200, and its body is returned."""
    responses = await asyncio.gather(*(request() for _ in range(N)))
    assert [response.status_code for response in responses] == [200] * N, [
        response.text for response in responses
    ]
    return [response.json() for response in responses]


def data(bodies: list[dict[str, Any]], field: str) -> list[Any]:
    assert all("errors" not in body for body in bodies), bodies
    return [body["data"][field] for body in bodies]


async def stored(database_url: str, query: sa.Select[Any]) -> list[tuple[Any, ...]]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(query)]
    finally:
        await engine.dispose()


async def a_lead_with_a_task(owner: GraphQL) -> tuple[str, str]:
    lead = (await owner.data(CREATE_LEAD))["createLead"]
    task = (await owner.data(CREATE_TASK, lead=lead["id"]))["createTask"]
    return lead["id"], task["id"]


async def test_a_new_users_tabs_connecting_at_once_are_all_answered_connect(
    clients: Clients, database_url: str
) -> None:
    newcomer = someone("newcomer")
    tabs = [Socket() for _ in range(N)]
    token = clients.server.token(newcomer, "Nina")
    clients.sockets.extend(tabs)

    await asyncio.gather(*(tab.connect(clients.server.url, {"token": token}) for tab in tabs))

    assert [tab.client.connected for tab in tabs] == [True] * N
    assert await stored(database_url, sa.select(users.c.id).where(users.c.id == newcomer)) == [
        (newcomer,)
    ]


async def test_completing_a_task_at_once_notifies_its_owner_once(clients: Clients) -> None:
    owner, teammate = someone("olivia"), someone("tom")
    _, task_id = await a_lead_with_a_task(clients.graphql(owner))
    owner_socket = await clients.socket(owner)
    team = clients.graphql(teammate, "Tom")

    completed = data(await at_once(lambda: team.post(COMPLETE_TASK, id=task_id)), "completeTask")

    assert len({task["completedAt"] for task in completed}) == 1
    assert None not in {task["completedAt"] for task in completed}
    [created] = await owner_socket.wait_for("notification:created")
    await clients.quiet()
    assert owner_socket.named("notification:created") == [created]
    assert created["type"] == "task_completed"
    inbox = await clients.graphql(owner).data(INBOX)
    assert [n["type"] for n in inbox["getNotifications"]] == ["TASK_COMPLETED"]


async def test_reading_a_notification_at_once_sends_one_update(clients: Clients) -> None:
    reader, actor = someone("rita"), someone("alan")
    await clients.graphql(reader).data(INBOX)  # registered: told of new leads
    await clients.graphql(actor).data(CREATE_LEAD)
    [notification] = (await clients.graphql(reader).data(INBOX))["getNotifications"]
    reader_socket = await clients.socket(reader)
    graphql = clients.graphql(reader)

    read = data(await at_once(lambda: graphql.post(MARK, id=notification["id"])), "markAsRead")

    assert {(entry["isRead"], entry["readAt"]) for entry in read} == {(True, read[0]["readAt"])}
    await reader_socket.wait_for("notification:updated")
    await clients.quiet()
    assert len(reader_socket.named("notification:updated")) == 1
    assert reader_socket.named("notifications:unread-count")[-1]["count"] == 0


async def test_reading_everything_at_once_reads_each_notification_once(clients: Clients) -> None:
    reader, actor = someone("rita"), someone("alan")
    await clients.graphql(reader).data(INBOX)
    for _ in range(3):
        await clients.graphql(actor).data(CREATE_LEAD)
    reader_socket = await clients.socket(reader)
    graphql = clients.graphql(reader)

    counts = data(
        await at_once(lambda: graphql.post("mutation { markAllAsRead }")), "markAllAsRead"
    )

    assert sum(counts) == 3
    await reader_socket.wait_for("notifications:bulk-updated")
    await clients.quiet()
    bulk = reader_socket.named("notifications:bulk-updated")
    assert sorted(event["count"] for event in bulk) == sorted(count for count in counts if count)
    assert (await graphql.data(INBOX))["getUnreadCount"] == 0


async def test_deleting_at_once_deletes_once_and_the_others_find_it_gone(clients: Clients) -> None:
    reader, actor = someone("rita"), someone("alan")
    await clients.graphql(reader).data(INBOX)
    await clients.graphql(actor).data(CREATE_LEAD)
    [notification] = (await clients.graphql(reader).data(INBOX))["getNotifications"]
    reader_socket = await clients.socket(reader)
    graphql = clients.graphql(reader)

    bodies = await at_once(lambda: graphql.post(DELETE, id=notification["id"]))

    deleted = [body for body in bodies if "errors" not in body]
    gone = [body["errors"][0]["extensions"]["code"] for body in bodies if "errors" in body]
    assert [body["data"]["deleteNotification"] for body in deleted] == [True]
    assert gone == ["NOT_FOUND"] * (N - 1)
    await reader_socket.wait_for("notification:deleted")
    await clients.quiet()
    assert reader_socket.named("notification:deleted") == [{"id": notification["id"]}]
    assert (await graphql.data(INBOX))["getNotifications"] == []


async def test_sockets_of_one_user_past_the_cap_at_once_are_refused_and_the_others_stay(
    clients: Clients,
) -> None:
    user = someone("tabby")
    token = clients.server.token(user)
    tabs = [Socket() for _ in range(MAX_SOCKETS + 4)]
    clients.sockets.extend(tabs)

    async def open_tab(tab: Socket) -> bool:
        try:
            await tab.connect(clients.server.url, {"token": token})
        except socketio.exceptions.ConnectionError:
            return False
        return True

    opened = await asyncio.gather(*(open_tab(tab) for tab in tabs))

    assert opened.count(True) == MAX_SOCKETS
    refused = [tab.refusal for tab, made in zip(tabs, opened, strict=True) if not made]
    assert refused == [{"message": "too-many-connections"}] * 4
    # A tab that leaves frees its slot for another.
    kept = [tab for tab, made in zip(tabs, opened, strict=True) if made]
    await kept[0].client.disconnect()
    await asyncio.sleep(0.2)  # the server sees the socket leave
    another = Socket()
    clients.sockets.append(another)
    assert await open_tab(another)
    assert [tab.client.connected for tab in kept[1:]] == [True] * (MAX_SOCKETS - 1)


async def test_the_embedded_database_makes_each_change_once_too(tmp_path: Path) -> None:
    env = server_env(f"sqlite+aiosqlite:///{tmp_path}/herald.db")
    with running_server(env) as embedded:
        async with clients_of(embedded) as clients:
            owner, teammate = someone("olivia"), someone("tom")
            first = clients.graphql(owner)
            signed_in = data(await at_once(lambda: first.post(INBOX)), "getUnreadCount")
            _, task_id = await a_lead_with_a_task(first)
            team = clients.graphql(teammate)

            bodies = await at_once(lambda: team.post(COMPLETE_TASK, id=task_id))

            completed = data(bodies, "completeTask")
            inbox = await first.data(INBOX)

    assert signed_in == [0] * N
    assert len({task["completedAt"] for task in completed}) == 1
    assert [n["type"] for n in inbox["getNotifications"]] == ["TASK_COMPLETED"]


class TestOverTwoProcesses:
    """N requests at once, shared between two processes on the module's database."""

    async def test_a_new_users_parallel_first_queries_over_both_processes_all_succeed(
        self, clients: Clients, elsewhere: Clients, database_url: str
    ) -> None:
        newcomer = someone("newcomer")
        here, there = clients.graphql(newcomer, "Nina"), elsewhere.graphql(newcomer, "Nina")
        calls = iter([here, there] * N)

        bodies = await at_once(lambda: next(calls).post("{ getUnreadCount }"))

        assert data(bodies, "getUnreadCount") == [0] * N
        assert await stored(
            database_url, sa.select(users.c.name).where(users.c.id == newcomer)
        ) == [("Nina",)]

    async def test_scoring_a_lead_at_once_over_two_processes_notifies_its_owner_once(
        self, clients: Clients, elsewhere: Clients
    ) -> None:
        owner, teammate = someone("olivia"), someone("tom")
        lead_id, _ = await a_lead_with_a_task(clients.graphql(owner))
        # Without REDIS_URL each process tells its own sockets of the events it relays.
        owner_sockets = [await clients.socket(owner), await elsewhere.socket(owner)]
        calls = iter([clients.graphql(teammate), elsewhere.graphql(teammate)] * N)

        scored = data(await at_once(lambda: next(calls).post(SCORE, id=lead_id)), "updateLeadScore")

        assert [lead["score"] for lead in scored] == [42] * N
        assert len({lead["updatedAt"] for lead in scored}) == 1
        inbox = await clients.graphql(owner).data(INBOX)
        [notification] = [n for n in inbox["getNotifications"] if n["type"] == "SCORE_UPDATED"]
        assert "from 0 to 42" in notification["message"]
        await clients.quiet()
        told = [event for tab in owner_sockets for event in tab.named("notification:created")]
        assert [event["id"] for event in told] == [notification["id"]]

    async def test_assigning_and_muting_at_once_over_two_processes_agree(
        self, clients: Clients, elsewhere: Clients, database_url: str
    ) -> None:
        owner, teammate, heir = someone("olivia"), someone("tom"), someone("hugo")
        await clients.graphql(heir).data(INBOX)
        lead_id, _ = await a_lead_with_a_task(clients.graphql(owner))
        assigners = iter([clients.graphql(teammate), elsewhere.graphql(teammate)] * N)
        muters = iter([clients.graphql(heir), elsewhere.graphql(heir)] * N)

        assigned = data(
            await at_once(lambda: next(assigners).post(ASSIGN, id=lead_id, to=heir)), "assignLead"
        )
        muted = data(await at_once(lambda: next(muters).post(MUTE)), "setNotificationPreference")

        assert assigned == [{"ownerId": heir}] * N
        assert muted == [{"type": "SCORE_UPDATED", "enabled": False}] * N
        mine = sa.select(preferences.c.type, preferences.c.enabled).where(
            preferences.c.user_id == heir
        )
        assert await stored(database_url, mine) == [("score_updated", False)]
        assert await stored(
            database_url, sa.select(leads.c.owner_id).where(leads.c.id == lead_id)
        ) == [(heir,)]
