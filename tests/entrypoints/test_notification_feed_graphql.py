"""`notificationFeed` over GraphQL, on the in-memory container: pages, filters, and cursors that
only their own user can hand back (anything else is BAD_USER_INPUT, never a 500 or other data)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from dependency_injector import providers

from adapters.cursors import HmacCursorCodec
from adapters.jwt.tokens import JwtTokenIssuer
from adapters.memory import InMemoryInboxQueries, InMemoryStore, InMemoryUnitOfWork
from domain.notifications import Notification, NotificationType
from entrypoints.app import create_app
from entrypoints.container import Container, in_memory
from entrypoints.settings import Settings

SECRET = "s" * 32
START = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
LEAD = UUID("00000000-0000-4000-a000-00000000000a")

FEED = """
query Feed($first: Int, $after: String, $filter: NotificationFilter) {
  notificationFeed(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id type isRead relatedLeadId } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


class Inboxes:
    """Puts notifications straight into the store the container reads, a minute apart."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._count = 0

    async def deliver(
        self,
        *recipients: str,
        kind: NotificationType = NotificationType.LEAD_CREATED,
        lead_id: UUID | None = None,
    ) -> str:
        self._count += 1
        notification = Notification(
            id=UUID(f"00000000-0000-4000-8000-{self._count:012x}"),
            type=kind,
            title=f"Notification {self._count}",
            message="Something happened",
            related_lead_id=lead_id,
            actor_id="carol",
            created_at=START + timedelta(minutes=self._count),
        )
        async with InMemoryUnitOfWork(self._store) as uow:
            await uow.inbox.add(notification, recipients)
            await uow.commit()
        return str(notification.id)

    async def read(self, user_id: str, notification_id: str) -> None:
        async with InMemoryUnitOfWork(self._store) as uow:
            entry = await uow.inbox.get(user_id, UUID(notification_id))
            assert entry is not None
            entry.mark_read(START + timedelta(days=1))
            await uow.inbox.save(entry)
            await uow.commit()


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def inboxes(store: InMemoryStore) -> Inboxes:
    return Inboxes(store)


@pytest.fixture
def container(store: InMemoryStore) -> Container:
    container = in_memory(Container(settings=Settings(jwt_secret=SECRET)))
    container.uow.override(providers.Factory(InMemoryUnitOfWork, store))
    container.inbox_queries.override(providers.Singleton(InMemoryInboxQueries, store))
    return container


class Caller:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def feed(self, **variables: Any) -> dict[str, Any]:
        response = await self._client.post("/graphql", json={"query": FEED, "variables": variables})
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    async def page(self, **variables: Any) -> dict[str, Any]:
        body = await self.feed(**variables)
        assert "errors" not in body, body
        page: dict[str, Any] = body["data"]["notificationFeed"]
        return page

    async def walk(self, **variables: Any) -> list[list[str]]:
        pages: list[list[str]] = []
        after = None
        while True:
            page = await self.page(after=after, **variables)
            pages.append([edge["node"]["id"] for edge in page["edges"]])
            if not page["pageInfo"]["hasNextPage"]:
                return pages
            after = page["pageInfo"]["endCursor"]


@pytest.fixture
async def callers(container: Container) -> AsyncIterator[dict[str, Caller]]:
    issuer = JwtTokenIssuer(SECRET)
    transport = httpx.ASGITransport(app=create_app(container))
    clients = {
        user_id: httpx.AsyncClient(
            transport=transport,
            base_url="http://herald.test",
            headers={"Authorization": f"Bearer {issuer.issue(user_id)}"},
        )
        for user_id in ("alice", "bob")
    }
    yield {user_id: Caller(client) for user_id, client in clients.items()}
    for client in clients.values():
        await client.aclose()


@pytest.fixture
def alice(callers: dict[str, Caller]) -> Caller:
    return callers["alice"]


@pytest.fixture
def bob(callers: dict[str, Caller]) -> Caller:
    return callers["bob"]


def assert_refused(body: dict[str, Any], message: str) -> None:
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"].startswith(message)
    assert error["path"] == ["notificationFeed"]


async def test_pages_follow_one_another_newest_first(inboxes: Inboxes, alice: Caller) -> None:
    ids = [await inboxes.deliver("alice") for _ in range(5)]

    first = await alice.page(first=2)
    pages = await alice.walk(first=2)

    assert [edge["node"]["id"] for edge in first["edges"]] == ids[:2:-1]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": first["edges"][-1]["cursor"]}
    assert pages == [ids[4:2:-1], ids[2:0:-1], ids[0:1]]


async def test_the_default_page_is_twenty(inboxes: Inboxes, alice: Caller) -> None:
    for _ in range(21):
        await inboxes.deliver("alice")

    page = await alice.page()

    assert len(page["edges"]) == 20
    assert page["pageInfo"]["hasNextPage"]


async def test_an_empty_page_has_no_end_cursor(alice: Caller) -> None:
    page = await alice.page()

    assert page == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


async def test_filters_narrow_every_page(inboxes: Inboxes, alice: Caller) -> None:
    scored = [
        await inboxes.deliver("alice", kind=NotificationType.SCORE_UPDATED, lead_id=LEAD)
        for _ in range(3)
    ]
    commented = await inboxes.deliver("alice", kind=NotificationType.COMMENT_ADDED, lead_id=LEAD)
    elsewhere = await inboxes.deliver("alice", kind=NotificationType.SCORE_UPDATED)
    await inboxes.read("alice", scored[1])

    by_type = await alice.walk(first=1, filter={"types": ["SCORE_UPDATED"]})
    by_lead = await alice.walk(first=2, filter={"relatedLeadId": str(LEAD), "unreadOnly": True})
    unfiltered = await alice.walk(filter={"unreadOnly": False, "types": None})

    assert by_type == [[elsewhere], [scored[2]], [scored[1]], [scored[0]]]
    assert by_lead == [[commented, scored[2]], [scored[0]]]
    assert unfiltered == [[elsewhere, commented, *scored[::-1]]]


async def test_a_cursor_carries_no_other_users_data(
    inboxes: Inboxes, alice: Caller, bob: Caller
) -> None:
    for _ in range(3):
        await inboxes.deliver("alice", "bob")
    alices_only = await inboxes.deliver("alice")

    pages = await bob.walk(first=1)

    assert alices_only not in [i for page in pages for i in page]


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_first_outside_1_to_100_is_refused(alice: Caller, first: int) -> None:
    assert_refused(await alice.feed(first=first), "first: must be 1..100")


@pytest.mark.parametrize("lead_id", ["lead-1", "", str(LEAD).upper()])
async def test_a_malformed_related_lead_is_refused(alice: Caller, lead_id: str) -> None:
    body = await alice.feed(filter={"relatedLeadId": lead_id})

    assert_refused(body, "relatedLeadId: must be a UUID")


async def test_another_users_cursor_is_refused(
    inboxes: Inboxes, alice: Caller, bob: Caller
) -> None:
    for _ in range(3):
        await inboxes.deliver("alice", "bob")
    bobs = await bob.page(first=1)

    body = await alice.feed(after=bobs["pageInfo"]["endCursor"])

    assert_refused(body, "after: ")


async def test_a_forged_cursor_is_refused(inboxes: Inboxes, alice: Caller) -> None:
    for _ in range(3):
        await inboxes.deliver("alice")
    page = await alice.page(first=1)
    # The right shape, the right user, and a real position: only the key is a guess.
    forger = HmacCursorCodec("a guess at the server's secret!!")
    node = page["edges"][0]["node"]
    forged = forger.encode("alice", (START + timedelta(minutes=3), UUID(node["id"])))

    assert_refused(await alice.feed(after=forged), "after: ")


async def test_a_tampered_cursor_is_refused(inboxes: Inboxes, alice: Caller) -> None:
    for _ in range(3):
        await inboxes.deliver("alice")
    cursor = (await alice.page(first=1))["pageInfo"]["endCursor"]

    for index in range(len(cursor)):
        replacement = "A" if cursor[index] != "A" else "B"
        tampered = cursor[:index] + replacement + cursor[index + 1 :]
        assert_refused(await alice.feed(after=tampered), "after: ")


@pytest.mark.parametrize(
    "cursor",
    ["", "garbage", "null", "eyJpZCI6MX0", "' OR 1=1 --", "🦆" * 10, "A" * 10_000],
)
async def test_a_cursor_that_is_not_one_is_refused(alice: Caller, cursor: str) -> None:
    assert_refused(await alice.feed(after=cursor), "after: ")


async def test_a_null_cursor_is_the_first_page(inboxes: Inboxes, alice: Caller) -> None:
    newest = [await inboxes.deliver("alice") for _ in range(2)][-1]

    page = await alice.page(first=1, after=None)

    assert page["edges"][0]["node"]["id"] == newest
