"""Engagement and groups over GraphQL, on the in-memory container and on PostgreSQL: seen,
delivered, archived, counts, groups, receipts, and the Socket.IO messages each change sends (or
does not)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from dependency_injector import providers
from edge_support import SECRET, Caller, callers, make_container

from adapters.socketio.publisher import messages_for
from adapters.sqlalchemy.migrations import upgrade_async
from databases import create_postgres_database, drop_postgres_database
from domain.events import StoredEvent
from entrypoints.container import Container, inline_delivery
from entrypoints.graphql import execution
from entrypoints.settings import Settings

NOTIFICATION = "id isRead readAt seenAt deliveredAt archivedAt groupKey title"
LIST = f"{{ getNotifications {{ {NOTIFICATION} }} }}"
COUNTS = "{ inboxCounts { unread unseen total } getUnreadCount }"
FEED = f"""query($filter: NotificationFilter) {{
  notificationFeed(filter: $filter) {{ edges {{ node {{ {NOTIFICATION} }} }} }}
}}"""
GROUPS = f"""query($first: Int, $after: String, $filter: NotificationFilter) {{
  notificationGroups(first: $first, after: $after, filter: $filter) {{
    edges {{ cursor node {{
      key type title count unreadCount actorIds actorCount relatedLeadId firstAt lastAt
      latest {{ {NOTIFICATION} }}
    }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""
CREATE_LEAD = "mutation($name: String!) { createLead(input: {name: $name}) { id } }"
COMMENT = 'mutation($lead: ID!) { addComment(input: {leadId: $lead, body: "hi"}) { id } }'
LEAD_NOTIFICATIONS = """query($id: ID!, $limit: Int, $receipts: Int) {
  lead(id: $id) { notifications(limit: $limit) {
    id type title actorId createdAt recipients delivered seen read
    receipts(limit: $receipts) { userId name deliveredAt seenAt readAt }
  } }
}"""


class Wire:
    """The Socket.IO messages the real publisher makes of each published event."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any], Sequence[str]]] = []

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        for stored in events:
            for message in messages_for(stored):
                self.messages.append((message.event, message.payload, message.user_ids))

    def take(self, user_id: str) -> list[tuple[str, dict[str, Any]]]:
        """The user's messages since the last take, eventIds left out."""
        taken = [
            (event, {k: v for k, v in payload.items() if k != "eventId"})
            for event, payload, users in self.messages
            if user_id in users
        ]
        self.messages.clear()
        return taken


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture(params=["memory", "postgresql"])
async def container(request: pytest.FixtureRequest, wire: Wire) -> AsyncIterator[Container]:
    """The in-memory container, and the real one on a fresh, migrated PostgreSQL database."""
    url = None
    if request.param == "memory":
        container = make_container()
    else:
        url = await create_postgres_database()
        await upgrade_async(url)
        container = Container(settings=Settings(jwt_secret=SECRET, database_url=url))
    inline_delivery(container)
    container.publisher.override(providers.Object(wire))
    try:
        yield container
    finally:
        await container.inbox_queries().close()
        await container.engine().dispose()
        if url is not None:
            await drop_postgres_database(url)


@pytest.fixture
async def users(container: Container) -> AsyncIterator[dict[str, Caller]]:
    made = dict(
        zip(("alice", "bob", "carol"), callers(container, "alice", "bob", "carol"), strict=True)
    )
    for caller in made.values():  # registered on their first request
        await caller.data("{ getUnreadCount }")
    yield made
    for caller in made.values():
        await caller.aclose()


async def new_leads(alice: Caller, *names: str) -> list[str]:
    return [(await alice.data(CREATE_LEAD, name=name))["createLead"]["id"] for name in names]


async def notifications(caller: Caller) -> list[dict[str, Any]]:
    return list((await caller.data(LIST))["getNotifications"])


async def test_a_new_notification_is_unseen_undelivered_and_in_its_group(
    users: dict[str, Caller],
) -> None:
    await new_leads(users["alice"], "Umbrella Corp")

    [notification] = await notifications(users["bob"])

    assert notification["seenAt"] is None
    assert notification["deliveredAt"] is None
    assert notification["archivedAt"] is None
    assert notification["groupKey"].startswith("lead_created:")
    assert notification["groupKey"].endswith(":alice")
    counts = await users["bob"].data(COUNTS)
    assert counts == {"inboxCounts": {"unread": 1, "unseen": 1, "total": 1}, "getUnreadCount": 1}


async def test_read_then_unread_stays_seen_and_tells_the_sockets(
    users: dict[str, Caller], wire: Wire
) -> None:
    await new_leads(users["alice"], "Umbrella Corp")
    bob = users["bob"]
    [notification] = await notifications(bob)
    wire.take("bob")

    read = (
        await bob.data(
            f'mutation {{ markAsRead(id: "{notification["id"]}") {{ {NOTIFICATION} }} }}'
        )
    )["markAsRead"]
    unread = (
        await bob.data(
            f'mutation {{ markAsUnread(id: "{notification["id"]}") {{ {NOTIFICATION} }} }}'
        )
    )["markAsUnread"]

    assert read["seenAt"] == read["readAt"] is not None
    assert unread["isRead"] is False
    assert unread["readAt"] is None
    assert unread["seenAt"] == read["seenAt"]
    sent = wire.take("bob")
    assert [event for event, _ in sent] == [
        "notification:updated",
        "notifications:unread-count",
        "notification:updated",
        "notifications:unread-count",
    ]
    assert sent[0][1]["seenAt"] is not None
    assert sent[0][1]["groupKey"] == read["groupKey"]
    assert sent[1][1] == {"count": 0, "unseen": 0}
    assert sent[3][1] == {"count": 1, "unseen": 0}
    assert (await bob.data(COUNTS))["inboxCounts"] == {"unread": 1, "unseen": 0, "total": 1}


async def test_archived_ones_leave_every_list_and_count_and_come_back_as_they_were(
    users: dict[str, Caller], wire: Wire
) -> None:
    await new_leads(users["alice"], "Umbrella Corp", "Initech")
    bob = users["bob"]
    kept, put_away = await notifications(bob)
    wire.take("bob")

    archived = (
        await bob.data(
            f'mutation {{ archiveNotification(id: "{put_away["id"]}") {{ {NOTIFICATION} }} }}'
        )
    )["archiveNotification"]
    again = await bob.data(
        f'mutation {{ archiveNotification(id: "{put_away["id"]}") {{ archivedAt }} }}'
    )

    assert archived["archivedAt"] is not None
    assert again["archiveNotification"]["archivedAt"] == archived["archivedAt"]
    assert [n["id"] for n in await notifications(bob)] == [kept["id"]]
    feed = await bob.data(FEED)
    assert [e["node"]["id"] for e in feed["notificationFeed"]["edges"]] == [kept["id"]]
    only_archived = await bob.data(FEED, filter={"archived": True})
    assert [e["node"]["id"] for e in only_archived["notificationFeed"]["edges"]] == [put_away["id"]]
    groups = (await bob.data(GROUPS))["notificationGroups"]["edges"]
    assert [g["node"]["count"] for g in groups] == [1]
    archived_groups = await bob.data(GROUPS, filter={"archived": True})
    assert [g["node"]["latest"]["id"] for g in archived_groups["notificationGroups"]["edges"]] == [
        put_away["id"]
    ]
    assert await bob.data(COUNTS) == {
        "inboxCounts": {"unread": 1, "unseen": 1, "total": 1},
        "getUnreadCount": 1,
    }
    sent = wire.take("bob")  # the second archiving changed nothing and sent nothing
    assert [event for event, _ in sent] == ["notification:updated", "notifications:unread-count"]
    assert sent[1][1] == {"count": 1, "unseen": 1}

    back = (
        await bob.data(
            f'mutation {{ unarchiveNotification(id: "{put_away["id"]}") {{ {NOTIFICATION} }} }}'
        )
    )["unarchiveNotification"]

    assert back["archivedAt"] is None
    assert back["isRead"] is False
    assert back["seenAt"] is None
    assert len(await notifications(bob)) == 2
    assert wire.take("bob")[1] == ("notifications:unread-count", {"count": 2, "unseen": 2})


@pytest.mark.parametrize(
    "mutation", ["markAsUnread", "archiveNotification", "unarchiveNotification"]
)
async def test_changing_an_entry_by_a_bad_id_is_refused(
    users: dict[str, Caller], mutation: str
) -> None:
    await new_leads(users["alice"], "Umbrella Corp")
    [bobs] = await notifications(users["bob"])
    document = f"mutation($id: String!) {{ {mutation}(id: $id) {{ id }} }}"

    unknown = await users["bob"].error(document, id="00000000-0000-4000-8000-000000000000")
    malformed = await users["bob"].error(document, id="not-a-uuid")
    alices = await users["alice"].error(document, id=bobs["id"])  # the actor was not told

    assert unknown["extensions"]["code"] == "NOT_FOUND"
    assert malformed["extensions"]["code"] == "BAD_USER_INPUT"
    assert alices["extensions"]["code"] == "NOT_FOUND"
    assert alices["message"] == "Notification not found"


async def test_mark_all_as_seen_sends_the_bulk_update_only_when_it_saw_some(
    users: dict[str, Caller], wire: Wire
) -> None:
    await new_leads(users["alice"], "Umbrella Corp", "Initech", "Hooli")
    bob = users["bob"]
    first, *_ = await notifications(bob)
    await bob.data(f'mutation {{ archiveNotification(id: "{first["id"]}") {{ id }} }}')
    wire.take("bob")

    seen = await bob.data("mutation { markAllAsSeen }")
    again = await bob.data("mutation { markAllAsSeen }")

    assert seen == {"markAllAsSeen": 2}
    assert again == {"markAllAsSeen": 0}
    assert wire.take("bob") == [
        ("notifications:bulk-updated", {"action": "markAllAsSeen", "count": 2}),
        ("notifications:unread-count", {"count": 2, "unseen": 0}),
    ]
    assert (await bob.data(COUNTS))["inboxCounts"] == {"unread": 2, "unseen": 0, "total": 2}
    assert {n["seenAt"] is None for n in await notifications(bob)} == {False}


async def test_groups_gather_comments_on_a_lead_and_are_read_at_once(
    users: dict[str, Caller], wire: Wire
) -> None:
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    [lead] = await new_leads(bob, "Umbrella Corp")  # bob owns it: comments tell him
    for commenter in (alice, carol, alice):
        await commenter.data(COMMENT, lead=lead)
    await new_leads(alice, "Initech")  # the newest group: one new lead

    page = (await bob.data(GROUPS))["notificationGroups"]
    wire.take("bob")

    newest, comments = (edge["node"] for edge in page["edges"])
    assert newest["type"] == "LEAD_CREATED"
    assert newest["count"] == 1
    assert newest["title"] == newest["latest"]["title"]
    assert newest["relatedLeadId"] is None
    assert comments["type"] == "COMMENT_ADDED"
    assert comments["title"] == "3 new comments on Umbrella Corp"
    assert (comments["count"], comments["unreadCount"]) == (3, 3)
    assert comments["actorIds"] == ["alice", "carol"]
    assert comments["actorCount"] == 2
    assert comments["relatedLeadId"] == lead
    assert comments["latest"]["groupKey"] == comments["key"]
    assert comments["firstAt"] < comments["lastAt"]

    read = await bob.data(
        "mutation($key: String!) { markGroupAsRead(groupKey: $key) }", key=comments["key"]
    )
    again = await bob.data(
        "mutation($key: String!) { markGroupAsRead(groupKey: $key) }", key=comments["key"]
    )

    assert read == {"markGroupAsRead": 3}
    assert again == {"markGroupAsRead": 0}
    assert wire.take("bob") == [
        (
            "notifications:bulk-updated",
            {"action": "markGroupAsRead", "count": 3, "groupKey": comments["key"]},
        ),
        ("notifications:unread-count", {"count": 1, "unseen": 1}),
    ]
    unread_only = await bob.data(GROUPS, filter={"unreadOnly": True})
    assert [e["node"]["key"] for e in unread_only["notificationGroups"]["edges"]] == [newest["key"]]


async def test_groups_page_from_cursor_to_cursor(users: dict[str, Caller]) -> None:
    bob = users["bob"]
    leads = await new_leads(bob, "A", "B", "C")
    for lead in leads:
        await users["alice"].data(COMMENT, lead=lead)

    first = (await bob.data(GROUPS, first=2))["notificationGroups"]
    rest = (await bob.data(GROUPS, first=2, after=first["pageInfo"]["endCursor"]))[
        "notificationGroups"
    ]

    assert first["pageInfo"]["hasNextPage"] is True
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["edges"][-1]["cursor"]}
    related = [e["node"]["relatedLeadId"] for e in first["edges"] + rest["edges"]]
    assert related == list(reversed(leads))


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"first": 0}, "BAD_USER_INPUT"),
        ({"first": 101}, "BAD_USER_INPUT"),
        ({"after": "garbage"}, "BAD_USER_INPUT"),
    ],
)
async def test_groups_refuse_bad_pages(
    users: dict[str, Caller], variables: dict[str, Any], code: str
) -> None:
    error = await users["bob"].error(GROUPS, **variables)

    assert error["extensions"]["code"] == code


async def test_a_feed_cursor_is_no_group_cursor_nor_another_users(
    users: dict[str, Caller],
) -> None:
    bob, carol = users["bob"], users["carol"]
    await new_leads(users["alice"], "A", "B")
    feed = await bob.data("{ notificationFeed(first: 1) { pageInfo { endCursor } } }")
    groups = await bob.data(GROUPS, first=1)

    feed_cursor = feed["notificationFeed"]["pageInfo"]["endCursor"]
    group_cursor = groups["notificationGroups"]["pageInfo"]["endCursor"]
    assert (await bob.error(GROUPS, after=feed_cursor))["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await carol.error(GROUPS, after=group_cursor))["extensions"]["code"] == (
        "BAD_USER_INPUT"
    )


@pytest.mark.parametrize("key", ["", "nothing:here", "x" * 500, "a\x00b"])
async def test_marking_a_group_that_is_not_the_callers_is_not_found(
    users: dict[str, Caller], key: str
) -> None:
    error = await users["bob"].error(
        "mutation($key: String!) { markGroupAsRead(groupKey: $key) }", key=key
    )

    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["message"] == "Group not found"


async def test_another_users_group_and_an_archived_group_are_not_found(
    users: dict[str, Caller],
) -> None:
    bob, carol = users["bob"], users["carol"]
    [lead] = await new_leads(bob, "Umbrella Corp")
    await users["alice"].data(COMMENT, lead=lead)
    [comment] = await notifications(bob)
    mark = "mutation($key: String!) { markGroupAsRead(groupKey: $key) }"

    carols = await carol.error(mark, key=comment["groupKey"])
    await bob.data(f'mutation {{ archiveNotification(id: "{comment["id"]}") {{ id }} }}')
    archived = await bob.error(mark, key=comment["groupKey"])

    assert carols["extensions"]["code"] == "NOT_FOUND"
    assert archived["extensions"]["code"] == "NOT_FOUND"


async def test_confirming_delivery_sets_delivered_and_sends_nothing(
    users: dict[str, Caller], wire: Wire
) -> None:
    await new_leads(users["alice"], "Umbrella Corp")
    created = [p for e, p, _ in wire.messages if e == "notification:created"]
    wire.take("bob")
    bob = users["bob"]

    before = await bob.data("mutation($n: Int!) { confirmDelivery(upToEventId: $n) }", n=0)
    confirmed = await bob.data(
        "mutation($n: Int!) { confirmDelivery(upToEventId: $n) }", n=created[0]["eventId"]
    )
    again = await bob.data(
        "mutation($n: Int!) { confirmDelivery(upToEventId: $n) }", n=created[0]["eventId"]
    )

    assert before == {"confirmDelivery": 0}
    assert confirmed == {"confirmDelivery": 1}
    assert again == {"confirmDelivery": 0}
    [notification] = await notifications(bob)
    assert notification["deliveredAt"] is not None
    assert wire.take("bob") == []
    error = await bob.error("mutation { confirmDelivery(upToEventId: -1) }")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_lead_shows_what_was_sent_about_it_and_who_got_it(
    users: dict[str, Caller], wire: Wire
) -> None:
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    [lead] = await new_leads(alice, "Umbrella Corp")  # bob and carol are told
    created = next(p for e, p, _ in wire.messages if e == "notification:created")
    await bob.data("mutation($n: Int!) { confirmDelivery(upToEventId: $n) }", n=created["eventId"])
    await carol.data(f'mutation {{ markAsRead(id: "{created["id"]}") {{ id }} }}')
    await carol.data(COMMENT, lead=lead)  # alice, the owner, is told

    sent = (await bob.data(LEAD_NOTIFICATIONS, id=lead))["lead"]["notifications"]

    comment, new_lead = sent
    assert comment["type"] == "COMMENT_ADDED"
    assert comment["actorId"] == "carol"
    assert (comment["recipients"], comment["read"]) == (1, 0)
    assert [r["userId"] for r in comment["receipts"]] == ["alice"]
    assert new_lead["id"] == created["id"]
    assert new_lead["type"] == "LEAD_CREATED"
    assert (new_lead["recipients"], new_lead["delivered"], new_lead["seen"], new_lead["read"]) == (
        2,
        1,
        1,
        1,
    )
    bobs, carols = new_lead["receipts"]
    assert bobs["userId"] == "bob"
    assert bobs["deliveredAt"] is not None
    assert bobs["seenAt"] is None
    assert bobs["readAt"] is None
    assert carols["userId"] == "carol"
    assert carols["deliveredAt"] is None
    assert carols["readAt"] is not None
    assert carols["seenAt"] == carols["readAt"]
    limited = await bob.data(LEAD_NOTIFICATIONS, id=lead, limit=1, receipts=1)
    [only] = limited["lead"]["notifications"]
    assert only["id"] == comment["id"]
    assert len(only["receipts"]) == 1


@pytest.mark.parametrize("variables", [{"limit": 0}, {"limit": 101}, {"receipts": 0}])
async def test_lead_notifications_refuse_bad_limits(
    users: dict[str, Caller], variables: dict[str, Any]
) -> None:
    [lead] = await new_leads(users["alice"], "Umbrella Corp")

    error = await users["bob"].error(LEAD_NOTIFICATIONS, id=lead, **variables)

    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_new_mutations_spend_the_rate_limit() -> None:
    container = make_container(rate_limit_per_second=3)
    [bob] = callers(container, "bob")
    try:
        response = await bob.post(
            "mutation { a: markAllAsSeen b: markAllAsSeen c: confirmDelivery(upToEventId: 0)"
            ' d: markGroupAsRead(groupKey: "x") }'
        )
        assert response.status_code == 429
        assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert (await bob.post("mutation { markAllAsSeen }")).status_code == 200
    finally:
        await bob.aclose()


async def test_the_new_fields_keep_notifications_on_the_short_path_of_execution(
    users: dict[str, Caller], monkeypatch: pytest.MonkeyPatch
) -> None:
    await new_leads(users["alice"], "Umbrella Corp", "Initech")
    computed: list[Any] = []
    short_path = execution._values

    def counted(source: Any, plan: Any) -> dict[str, Any]:
        computed.append(source)
        return short_path(source, plan)

    monkeypatch.setattr(execution, "_values", counted)

    listed = await notifications(users["bob"])
    groups = await users["bob"].data(GROUPS)

    assert len(listed) == 2
    assert [type(source).__name__ for source in computed[:2]] == ["Notification", "Notification"]
    assert "NotificationGroupConnection" in {type(source).__name__ for source in computed}
    assert groups["notificationGroups"]["edges"][0]["node"]["latest"]["groupKey"]
