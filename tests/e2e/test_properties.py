"""Properties of the GraphQL API under arbitrary input, against a real server on PostgreSQL.

Whatever a client sends, the answer is data or a contract error (BAD_USER_INPUT, NOT_FOUND), never
an internal one; and a value is accepted exactly when the contract's limits allow it.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from answer_checks import CODES, LEAKS, string_literals, strings_in
from e2e_support import HeraldServer, herald_env, start_server, stop_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

pytestmark = pytest.mark.e2e

CALLER, TEAMMATE = "props-alice", "props-bob"
MAX_BODY_BYTES = 64 * 1024

# The same examples on every run, so that CI judges the code and not the draw; set
# HERALD_FUZZ_EXPLORE=1 to draw new ones (a failure prints the example to replay).
PROPERTY = settings(
    max_examples=50,
    deadline=None,
    database=None,
    derandomize=os.environ.get("HERALD_FUZZ_EXPLORE") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEWER = settings(PROPERTY, max_examples=20)  # for properties run once per operation

# Any character but NUL (refused as text that cannot be stored: see the tests below) and lone
# surrogates (which this client cannot encode as UTF-8; the raw-JSON test below sends them).
ANY_CHAR = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
CONTROL = st.characters(categories=("Cc",), exclude_characters="\x00")
SPACE = st.sampled_from(" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2003\u2028\u3000\ufeff")


def texts(limit: int) -> st.SearchStrategy[str]:
    """Arbitrary text, control characters and spaces, and strings a step either side of `limit`."""
    near_limit = st.tuples(
        st.text(ANY_CHAR, min_size=1, max_size=3),
        st.integers(min_value=limit - 2, max_value=limit + 2),
        st.text(SPACE, max_size=2),
        st.text(SPACE, max_size=2),
    ).map(lambda parts: parts[2] + (parts[0] * parts[1])[: parts[1]] + parts[3])
    return st.one_of(
        st.text(ANY_CHAR, max_size=40),
        st.text(st.one_of(CONTROL, SPACE, ANY_CHAR), max_size=12),
        near_limit,
    )


EMAILS = st.one_of(
    st.emails(),
    texts(254),
    st.tuples(st.text(ANY_CHAR, max_size=12), st.text(ANY_CHAR, max_size=12)).map("@".join),
    st.tuples(st.integers(min_value=240, max_value=262), st.emails()).map(
        lambda parts: "x" * max(0, parts[0] - len(parts[1])) + parts[1]
    ),
)
SCORES = st.one_of(
    st.integers(min_value=-3, max_value=103),
    st.integers(min_value=-(1 << 31), max_value=(1 << 31) - 1),
    st.integers(min_value=1 << 31, max_value=1 << 40),  # past GraphQL's Int
)
IDS = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.uuids().map(str),
    st.uuids().map(lambda value: str(value).upper()),
    st.uuids().map(lambda value: f"{{{value}}}"),
    st.uuids().map(lambda value: value.hex),
    st.uuids().map(lambda value: value.urn),
    st.tuples(st.uuids(), SPACE).map(lambda parts: f"{parts[0]}{parts[1]}"),
)


# The contract's limits, as an oracle.


def name_is_valid(name: str) -> bool:
    return 1 <= len(name.strip()) <= 200


def company_is_valid(company: str) -> bool:
    return len(company.strip()) <= 200


def email_is_valid(email: str) -> bool:
    """Empty (no email), or at most 254 characters with one @ that has something either side."""
    email = email.strip()
    if not email:
        return True
    local, at, domain = email.partition("@")
    return len(email) <= 254 and bool(at and local and domain) and "@" not in domain


def score_is_valid(score: int) -> bool:
    return 0 <= score <= 100


def is_canonical_id(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


# The client, and the promises every answer keeps.


@dataclass
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def codes(self) -> list[str]:
        return [error["extensions"]["code"] for error in self.body.get("errors") or []]

    @property
    def data(self) -> Any:
        assert not self.codes, self.body
        return self.body["data"]


class Api:
    def __init__(self, http: httpx.Client, token: str) -> None:
        self._http, self._headers = http, {"Authorization": f"Bearer {token}"}

    def send(self, query: str, **variables: Any) -> Answer:
        return self.raw(encoded({"query": query, "variables": variables}))

    def raw(self, content: bytes) -> Answer:
        response = self._http.post(
            "/graphql",
            content=content,
            headers={**self._headers, "Content-Type": "application/json"},
        )
        return checked(response, content)


def encoded(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def checked(response: httpx.Response, sent: bytes) -> Answer:
    """The promises of every answer: no 5xx, a GraphQL body, contract codes, no internals."""
    assert response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert isinstance(body, dict), response.text
    assert {"data", "errors"} & set(body), response.text
    for error in body.get("errors") or []:
        assert isinstance(error.get("message"), str), response.text
        assert error.get("extensions", {}).get("code") in CODES, response.text
    if response.status_code >= 400:
        assert body.get("errors"), response.text
    echoable = _echoable(sent)
    answered = "\n".join(strings_in(body))
    for leak in LEAKS:
        assert leak not in answered or leak in echoable, f"{leak!r} leaked in {response.text}"
    return Answer(response.status_code, body)


def _echoable(sent: bytes) -> str:
    """What the request said, decoded: an answer may quote it back without leaking anything."""
    text = sent.decode("utf-8", "replace")
    try:
        decoded = json.loads(sent)
    except (ValueError, RecursionError):
        return text
    parts = [text, *strings_in(decoded)]
    query = decoded.get("query") if isinstance(decoded, dict) else None
    if isinstance(query, str):
        parts += string_literals(query)
    return "\n".join(parts)


# Fixtures: one server for the module, with a rate limit the properties never reach.


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[HeraldServer]:
    running = start_server(herald_env(DATABASE_URL=database_url, RATE_LIMIT_PER_SECOND="100000"))
    try:
        yield running
    finally:
        stop_server(running.process)


@pytest.fixture(scope="module")
def http(server: HeraldServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def api(http: httpx.Client, server: HeraldServer) -> Api:
    caller = Api(http, server.token(CALLER))
    caller.send("{ getUnreadCount }").data  # noqa: B018 - registers the caller
    return caller


@pytest.fixture(scope="module")
def teammate(http: httpx.Client, server: HeraldServer, api: Api) -> Api:
    return Api(http, server.token(TEAMMATE))


@pytest.fixture(scope="module")
def lead_id(api: Api) -> str:
    created = api.send(CREATE_LEAD, input={"name": "Property Corp"}).data
    return str(created["createLead"]["id"])


@pytest.fixture(scope="module")
def cursor(api: Api, teammate: Api) -> str:
    """A real cursor of the caller's feed, with a page after it."""
    for name in ("First", "Second"):
        teammate.send(CREATE_LEAD, input={"name": name}).data  # noqa: B018
    page = api.send("{ notificationFeed(first: 1) { pageInfo { endCursor hasNextPage } } }").data
    assert page["notificationFeed"]["pageInfo"]["hasNextPage"] is True
    return str(page["notificationFeed"]["pageInfo"]["endCursor"])


CREATE_LEAD = """mutation($input: CreateLeadInput!) {
  createLead(input: $input) { id name email company score }
}"""
NEWEST_LEAD = "{ leads(limit: 1) { id } }"
CREATE_TASK = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }"
ADD_COMMENT = "mutation($input: AddCommentInput!) { addComment(input: $input) { id } }"


# Limits of every field: accepted exactly when the contract allows it.


@pytest.mark.parametrize(
    ("field", "values", "is_valid"),
    [
        ("name", texts(200), name_is_valid),
        ("company", texts(200), company_is_valid),
        ("email", EMAILS, email_is_valid),
        ("score", SCORES, score_is_valid),
    ],
)
@PROPERTY
@given(data=st.data())
def test_a_lead_field_is_accepted_exactly_within_its_limits(
    api: Api, field: str, values: st.SearchStrategy[Any], is_valid: Any, data: st.DataObject
) -> None:
    value = data.draw(values, label=field)
    newest_before = api.send(NEWEST_LEAD).data

    answer = api.send(CREATE_LEAD, input={"name": "Acme", **{field: value}})

    if is_valid(value):
        lead = answer.data["createLead"]
        expected = value.strip() if isinstance(value, str) else value
        assert lead[field] == (expected if expected != "" else None)
    else:
        assert answer.codes == ["BAD_USER_INPUT"], answer.body
        assert api.send(NEWEST_LEAD).data == newest_before


@PROPERTY
@given(title=texts(200))
def test_a_task_title_is_accepted_exactly_within_its_limits(
    api: Api, lead_id: str, title: str
) -> None:
    answer = api.send(
        "mutation($input: CreateTaskInput!) { createTask(input: $input) { title leadId } }",
        input={"leadId": lead_id, "title": title},
    )

    if 1 <= len(title.strip()) <= 200:
        assert answer.data["createTask"] == {"title": title.strip(), "leadId": lead_id}
    else:
        assert answer.codes == ["BAD_USER_INPUT"], answer.body


@PROPERTY
@given(body=texts(5000))
def test_a_comment_body_is_accepted_exactly_within_its_limits(
    api: Api, lead_id: str, body: str
) -> None:
    query = "mutation($input: AddCommentInput!) { addComment(input: $input) { body leadId } }"
    assert len(encoded({"query": query, "variables": {"body": body}})) < MAX_BODY_BYTES - 200

    answer = api.send(query, input={"leadId": lead_id, "body": body})

    if body.strip() and len(body) <= 5000:
        assert answer.data["addComment"]["body"].strip() == body.strip()
    else:
        assert answer.codes == ["BAD_USER_INPUT"], answer.body


# Ids and cursors: a malformed one is BAD_USER_INPUT, a well-formed unknown one NOT_FOUND.

ID_OPERATIONS = {
    "lead": "query($id: ID!) { lead(id: $id) { id } }",
    "updateLeadScore": "mutation($id: ID!) { updateLeadScore(id: $id, score: 5) { id } }",
    "assignLead": f'mutation($id: ID!) {{ assignLead(id: $id, ownerId: "{CALLER}") {{ id }} }}',
    "completeTask": "mutation($id: ID!) { completeTask(id: $id) { id } }",
    "markAsRead": "mutation($id: String!) { markAsRead(id: $id) { id } }",
    "deleteNotification": "mutation($id: String!) { deleteNotification(id: $id) }",
    "createTask": 'mutation($id: ID!) { createTask(input: {leadId: $id title: "T"}) { id } }',
    "addComment": 'mutation($id: ID!) { addComment(input: {leadId: $id body: "B"}) { id } }',
    "notificationFeed.relatedLeadId": (
        "query($id: ID) { notificationFeed(filter: {relatedLeadId: $id}) { edges { cursor } } }"
    ),
    "markAsUnread": "mutation($id: String!) { markAsUnread(id: $id) { id } }",
    "archiveNotification": "mutation($id: String!) { archiveNotification(id: $id) { id } }",
    "unarchiveNotification": "mutation($id: String!) { unarchiveNotification(id: $id) { id } }",
    "notificationGroups.relatedLeadId": (
        "query($id: ID) { notificationGroups(filter: {relatedLeadId: $id}) { edges { cursor } } }"
    ),
    "lead.notifications": (
        "query($id: ID!) { lead(id: $id) { notifications { id receipts { userId } } } }"
    ),
}
# What a well-formed id that names nothing gives: NOT_FOUND, except where "none" is an answer.
UNKNOWN_ID_ANSWERS = {
    "lead": {"lead": None},
    "notificationFeed.relatedLeadId": None,
    "notificationGroups.relatedLeadId": None,
    "lead.notifications": {"lead": None},
}


@pytest.mark.parametrize("operation", list(ID_OPERATIONS))
@FEWER
@given(value=IDS)
def test_an_id_is_bad_user_input_unless_canonical_and_then_not_found(
    api: Api, operation: str, value: str
) -> None:
    answer = api.send(ID_OPERATIONS[operation], id=value)

    if not is_canonical_id(value):
        assert answer.codes == ["BAD_USER_INPUT"], answer.body
    elif operation in UNKNOWN_ID_ANSWERS:
        expected = UNKNOWN_ID_ANSWERS[operation]
        assert expected is None or answer.data == expected, answer.body
        assert not answer.codes, answer.body
    else:
        assert answer.codes == ["NOT_FOUND"], answer.body


FEED_AFTER = (
    "query($after: String) { notificationFeed(first: 1, after: $after) { edges { cursor } } }"
)
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@PROPERTY
@given(after=st.one_of(texts(100), st.text(st.sampled_from(BASE64URL), min_size=1, max_size=80)))
def test_a_made_up_cursor_is_bad_user_input(api: Api, after: str) -> None:
    assert api.send(FEED_AFTER, after=after).codes == ["BAD_USER_INPUT"]


@PROPERTY
@given(data=st.data())
def test_a_real_cursor_changed_anywhere_is_bad_user_input(
    api: Api, cursor: str, data: st.DataObject
) -> None:
    assert api.send(FEED_AFTER, after=cursor).data["notificationFeed"]["edges"]
    index = data.draw(st.integers(min_value=0, max_value=len(cursor) - 1), label="index")
    other = data.draw(
        st.one_of(st.sampled_from(BASE64URL), ANY_CHAR).filter(lambda c: c != cursor[index])
    )
    changed = data.draw(
        st.sampled_from(
            [
                cursor[:index] + other + cursor[index + 1 :],  # one character replaced
                cursor[:index] + cursor[index + 1 :],  # one removed
                cursor[:index] + other + cursor[index:],  # one added
            ]
        ),
        label="changed",
    )

    assert api.send(FEED_AFTER, after=changed).codes == ["BAD_USER_INPUT"]


# Groups: a key the caller holds no notification of is NOT_FOUND; their cursors are as the feed's.

GROUPS_AFTER = (
    "query($after: String) { notificationGroups(first: 1, after: $after) { edges { cursor } } }"
)
MARK_GROUP = "mutation($key: String!) { markGroupAsRead(groupKey: $key) }"


@pytest.fixture(scope="module")
def group_cursor(api: Api, teammate: Api, lead_id: str) -> str:
    """A real cursor of the caller's groups, with a page after it: the teammate comments on the
    caller's lead (a group of its own) and makes a lead (another)."""
    teammate.send("{ getUnreadCount }").data  # noqa: B018 - registered, so told of leads
    teammate.send(ADD_COMMENT, input={"leadId": lead_id, "body": "A comment"}).data  # noqa: B018
    teammate.send(CREATE_LEAD, input={"name": "Grouped"}).data  # noqa: B018
    page = api.send("{ notificationGroups(first: 1) { pageInfo { endCursor hasNextPage } } }")
    info = page.data["notificationGroups"]["pageInfo"]
    assert info["hasNextPage"] is True
    return str(info["endCursor"])


@PROPERTY
@given(key=st.one_of(texts(400), st.uuids().map(lambda value: f"comment_added:{value}")))
def test_a_group_key_the_caller_does_not_hold_is_not_found(
    api: Api, group_cursor: str, key: str
) -> None:
    before = api.send("{ inboxCounts { unread unseen total } }").data

    assert api.send(MARK_GROUP, key=key).codes == ["NOT_FOUND"]
    assert api.send("{ inboxCounts { unread unseen total } }").data == before


def test_a_teammates_group_key_is_not_found_for_the_caller(
    api: Api, teammate: Api, group_cursor: str
) -> None:
    # The teammate's groups: the caller's new leads, and none of them the caller holds.
    api.send(CREATE_LEAD, input={"name": "For the teammate"}).data  # noqa: B018
    groups = teammate.send("{ notificationGroups(first: 100) { edges { node { key } } } }").data
    keys = [edge["node"]["key"] for edge in groups["notificationGroups"]["edges"]]
    mine = api.send("{ notificationGroups(first: 100) { edges { node { key } } } }").data
    held = {edge["node"]["key"] for edge in mine["notificationGroups"]["edges"]}
    assert set(keys) - held

    for key in set(keys) - held:
        assert api.send(MARK_GROUP, key=key).codes == ["NOT_FOUND"]


@PROPERTY
@given(after=st.one_of(texts(100), st.text(st.sampled_from(BASE64URL), min_size=1, max_size=80)))
def test_a_made_up_group_cursor_is_bad_user_input(api: Api, after: str) -> None:
    assert api.send(GROUPS_AFTER, after=after).codes == ["BAD_USER_INPUT"]


def test_a_feed_cursor_is_no_group_cursor_and_back(
    api: Api, cursor: str, group_cursor: str
) -> None:
    assert api.send(GROUPS_AFTER, after=group_cursor).data["notificationGroups"]["edges"]
    assert api.send(GROUPS_AFTER, after=cursor).codes == ["BAD_USER_INPUT"]
    assert api.send(FEED_AFTER, after=group_cursor).codes == ["BAD_USER_INPUT"]


def test_a_group_cursor_of_another_user_is_bad_user_input(teammate: Api, group_cursor: str) -> None:
    assert teammate.send(GROUPS_AFTER, after=group_cursor).codes == ["BAD_USER_INPUT"]


@PROPERTY
@given(data=st.data())
def test_a_real_group_cursor_changed_anywhere_is_bad_user_input(
    api: Api, group_cursor: str, data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(group_cursor) - 1), label="index")
    other = data.draw(
        st.one_of(st.sampled_from(BASE64URL), ANY_CHAR).filter(lambda c: c != group_cursor[index])
    )
    changed = data.draw(
        st.sampled_from(
            [
                group_cursor[:index] + other + group_cursor[index + 1 :],
                group_cursor[:index] + group_cursor[index + 1 :],
                group_cursor[:index] + other + group_cursor[index:],
            ]
        ),
        label="changed",
    )

    assert api.send(GROUPS_AFTER, after=changed).codes == ["BAD_USER_INPUT"]


# Page sizes of the new lists, and delivery confirmations: accepted exactly within their bounds.

PAGE_SIZES = st.one_of(
    st.integers(min_value=-2, max_value=103),
    st.integers(min_value=-(1 << 31), max_value=(1 << 31) - 1),
    st.integers(min_value=1 << 31, max_value=1 << 40),  # past GraphQL's Int
)
SIZED = {
    "notificationGroups.first": (
        "query($n: Int) { notificationGroups(first: $n) { edges { cursor } } }"
    ),
    "lead.notifications.limit": (
        "query($id: ID!, $n: Int) { lead(id: $id) { notifications(limit: $n) { id } } }"
    ),
    "receipts.limit": (
        "query($id: ID!, $n: Int) {"
        " lead(id: $id) { notifications { receipts(limit: $n) { userId } } } }"
    ),
}


@pytest.mark.parametrize("operation", list(SIZED))
@FEWER
@given(size=PAGE_SIZES)
def test_a_page_size_is_accepted_exactly_within_1_to_100(
    api: Api, lead_id: str, group_cursor: str, operation: str, size: int
) -> None:
    variables: dict[str, Any] = {"n": size}
    if operation != "notificationGroups.first":
        variables["id"] = lead_id  # told of: the teammate's comment on it
    answer = api.send(SIZED[operation], **variables)

    if 1 <= size <= 100:
        assert answer.data, answer.body
        if operation == "receipts.limit":
            [*_, told] = answer.data["lead"]["notifications"]
            assert told["receipts"], answer.body
    else:
        assert answer.codes == ["BAD_USER_INPUT"], answer.body


@pytest.mark.parametrize("limit", [0, 101])
def test_a_mutation_refused_for_a_limit_in_its_answer_stores_nothing(api: Api, limit: int) -> None:
    # Bad input never changes stored data: not even when it is in what the answer asks for.
    newest_before = api.send(NEWEST_LEAD).data

    answer = api.send(
        "mutation($n: Int) {"
        ' createLead(input: {name: "Refused"}) { id notifications(limit: $n) { id } } }',
        n=limit,
    )

    assert answer.codes == ["BAD_USER_INPUT"], answer.body
    assert api.send(NEWEST_LEAD).data == newest_before


CONFIRM = "mutation($n: Int!) { confirmDelivery(upToEventId: $n) }"


@PROPERTY
@given(up_to=PAGE_SIZES)
def test_a_delivery_confirmation_is_accepted_exactly_for_an_event_id_of_0_or_more(
    api: Api, up_to: int
) -> None:
    answer = api.send(CONFIRM, n=up_to)

    if 0 <= up_to < 1 << 31:
        assert isinstance(answer.data["confirmDelivery"], int)
        assert answer.data["confirmDelivery"] >= 0
    else:
        assert answer.codes == ["BAD_USER_INPUT"], answer.body


# Arbitrary bodies and variables of the wrong types.

ENGAGEMENT_DOCUMENTS = [
    "{ inboxCounts { unread unseen total } }",
    "mutation { markAllAsSeen }",
    "query($filter: NotificationFilter, $first: Int, $after: String) {"
    " notificationGroups(first: $first, after: $after, filter: $filter) {"
    " edges { node { key title count unreadCount latest { id groupKey } } } } }",
    "query($id: ID!, $limit: Int) { lead(id: $id) { notifications(limit: $limit) {"
    " id recipients receipts(limit: $limit) { userId name } } } }",
]
JSON_TEXT = st.text(
    st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=20
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_TEXT, inner, max_size=4),
    max_leaves=12,
)
DOCUMENTS = [
    "{ getUnreadCount }",
    "query Q { getNotifications { id } } query R { getUnreadCount }",
    CREATE_LEAD,
    FEED_AFTER,
    *ID_OPERATIONS.values(),
    "query($limit: Int) { leads(limit: $limit) { id } getNotifications(limit: $limit) { id } }",
    "mutation($type: NotificationType!, $enabled: Boolean!) {"
    " setNotificationPreference(type: $type, enabled: $enabled) { type enabled } }",
    "query($filter: NotificationFilter) { notificationFeed(filter: $filter) { edges { cursor } } }",
    CREATE_TASK,
    ADD_COMMENT,
    GROUPS_AFTER,
    MARK_GROUP,
    CONFIRM,
    *ENGAGEMENT_DOCUMENTS,
]
VARIABLE_NAMES = [
    "input",
    "id",
    "after",
    "limit",
    "type",
    "enabled",
    "filter",
    "first",
    "score",
    "key",
    "n",
]
VARIABLES = st.dictionaries(st.sampled_from(VARIABLE_NAMES) | JSON_TEXT, JSON_VALUES, max_size=4)
OPERATION_NAMES = st.none() | st.sampled_from(["Q", "R", ""]) | JSON_TEXT | JSON_VALUES
BODIES = st.one_of(
    st.fixed_dictionaries(
        {"query": st.sampled_from(DOCUMENTS), "variables": VARIABLES | JSON_VALUES},
        optional={"operationName": OPERATION_NAMES, "extensions": JSON_VALUES},
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "query": JSON_TEXT | JSON_VALUES,
            "variables": JSON_VALUES,
            "operationName": OPERATION_NAMES,
        },
    ),
    st.dictionaries(JSON_TEXT.filter(lambda key: key != "operationName"), JSON_VALUES, max_size=4),
    st.lists(JSON_VALUES, max_size=3),  # a batch, which Herald does not take
)


@PROPERTY
@given(body=BODIES)
def test_an_arbitrary_json_body_never_fails_the_server(api: Api, body: Any) -> None:
    api.raw(json.dumps(body).encode())


@PROPERTY
@given(content=st.binary(max_size=200) | JSON_TEXT.map(str.encode))
def test_arbitrary_bytes_never_fail_the_server(api: Api, content: bytes) -> None:
    answer = api.raw(content)

    assert answer.codes == ["BAD_USER_INPUT"], answer.body


# Inputs that reach past the fuzzers: each was once an internal error.

NUL_CASES = {
    "name": ("createLead", CREATE_LEAD, {"input": {"name": "a\x00b"}}),
    "company": ("createLead", CREATE_LEAD, {"input": {"name": "A", "company": "a\x00"}}),
    "email": ("createLead", CREATE_LEAD, {"input": {"name": "A", "email": "a@b\x00"}}),
    "title": ("createTask", CREATE_TASK, {"input": {"leadId": "LEAD", "title": "t\x00"}}),
    "assigneeId": (
        "createTask",
        CREATE_TASK,
        {"input": {"leadId": "LEAD", "title": "t", "assigneeId": "\x00"}},
    ),
    "body": ("addComment", ADD_COMMENT, {"input": {"leadId": "LEAD", "body": "b\x00"}}),
    "ownerId": (
        "assignLead",
        "mutation($id: ID!, $owner: String!) { assignLead(id: $id, ownerId: $owner) { id } }",
        {"id": "LEAD", "owner": "\x00"},
    ),
}


def _with_lead(variables: dict[str, Any], lead_id: str) -> dict[str, Any]:
    return json.loads(json.dumps(variables).replace('"LEAD"', json.dumps(lead_id)))


@pytest.mark.parametrize("field", list(NUL_CASES))
def test_a_nul_character_is_bad_user_input(api: Api, lead_id: str, field: str) -> None:
    _, query, variables = NUL_CASES[field]

    answer = api.send(query, **_with_lead(variables, lead_id))

    assert answer.codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("field", ["name", "title"])
def test_a_lone_surrogate_is_bad_user_input(api: Api, lead_id: str, field: str) -> None:
    _, query, variables = NUL_CASES[field]
    content = json.dumps({"query": query, "variables": _with_lead(variables, lead_id)})

    answer = api.raw(content.replace("\\u0000", "\\ud800").encode())

    assert answer.codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("content", [b"\x80", b'{"query": "\xff"}', b"\xc3("])
def test_a_body_that_is_not_utf8_is_bad_user_input(api: Api, content: bytes) -> None:
    assert api.raw(content).codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("content", [b"5", b"null", b"true", b'"query"'])
def test_a_json_body_that_is_not_an_object_is_bad_user_input(api: Api, content: bytes) -> None:
    assert api.raw(content).codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("name", [True, 5, ["Q"]])
def test_an_operation_name_that_is_not_a_string_is_bad_user_input(api: Api, name: Any) -> None:
    content = json.dumps({"query": "query Q { getUnreadCount }", "operationName": name})

    assert api.raw(content.encode()).codes == ["BAD_USER_INPUT"]


def test_a_subscription_over_http_is_bad_user_input(api: Api) -> None:
    answer = api.send("subscription { notificationEvents { eventId } }")

    assert answer.codes == ["BAD_USER_INPUT"]


# The engagement operations against a model: whatever a user does to their inbox, in any order,
# every count, list and group the server gives agrees with a plain list of entries.

INBOX_STATE = """{
  inboxCounts { unread unseen total }
  getUnreadCount
  getNotifications(limit: 100) { id isRead seenAt archivedAt groupKey createdAt }
  notificationFeed(first: 100) { edges { node { id } } }
  unreadOnly: notificationFeed(first: 100, filter: {unreadOnly: true}) { edges { node { id } } }
  archived: notificationFeed(first: 100, filter: {archived: true}) {
    edges { node { id isRead seenAt archivedAt groupKey createdAt } }
  }
  notificationGroups(first: 100) { edges { node { key count unreadCount } } }
  archivedGroups: notificationGroups(first: 100, filter: {archived: true}) {
    edges { node { key count unreadCount } }
  }
}"""
ENTRY_MUTATIONS = {
    "read": "mutation($id: String!) { markAsRead(id: $id) { id isRead seenAt archivedAt } }",
    "unread": "mutation($id: String!) { markAsUnread(id: $id) { id isRead seenAt archivedAt } }",
    "archive": (
        "mutation($id: String!) { archiveNotification(id: $id) { id isRead seenAt archivedAt } }"
    ),
    "unarchive": (
        "mutation($id: String!) { unarchiveNotification(id: $id) { id isRead seenAt archivedAt } }"
    ),
}
MODEL = settings(
    PROPERTY,
    max_examples=int(os.environ.get("HERALD_MODEL_EXAMPLES", "12")),
    stateful_step_count=25,
)


@dataclass
class ModelEntry:
    """One notification of the user's inbox, as the model keeps it."""

    order: int  # arrival: a later one is newer
    group: tuple[str, str]  # ("lead", actor and day) or ("comment", lead id)
    read: bool = False
    seen: bool = False
    archived: bool = False


class InboxModel(RuleBasedStateMachine):
    """A teammate makes notifications for the user (new leads, comments on the user's leads);
    the user reads, unreads, archives, unarchives, deletes, opens the bell, reads all and reads
    groups. The model is a dict of entries; the server must agree with it after every step."""

    http: httpx.Client
    server: HeraldServer

    def __init__(self) -> None:
        super().__init__()
        run = uuid.uuid4().hex[:8]
        self.user = Api(self.http, self.server.token(f"model-bob-{run}"))
        self.teammate = Api(self.http, self.server.token(f"model-alice-{run}"))
        self.user.send("{ getUnreadCount }").data  # noqa: B018 - registered first, so told
        self.teammate.send("{ getUnreadCount }").data  # noqa: B018
        self.leads = [
            self.user.send(CREATE_LEAD, input={"name": f"Model {n}"}).data["createLead"]["id"]
            for n in range(2)
        ]
        self.entries: dict[str, ModelEntry] = {}
        self.deleted: list[str] = []
        self.keys: dict[tuple[str, str], str] = {}  # model group → the server's key
        self.arrived = 0

    # The teammate's actions, each of which tells the user once.

    def _arrive(self, group: tuple[str, str]) -> None:
        state = self.user.send(INBOX_STATE).data
        new = [n for n in state["getNotifications"] if n["id"] not in self.entries]
        assert len(new) == 1, new
        [notification] = new
        if group[0] == "lead":
            group = ("lead", notification["createdAt"][:10])  # one group per actor and day
        self.arrived += 1
        self.entries[notification["id"]] = ModelEntry(self.arrived, group)
        key = self.keys.setdefault(group, notification["groupKey"])
        assert notification["groupKey"] == key

    @rule()
    def new_lead(self) -> None:
        self.teammate.send(CREATE_LEAD, input={"name": "Lead"}).data  # noqa: B018
        self._arrive(("lead", ""))

    @rule(lead=st.integers(min_value=0, max_value=1))
    def new_comment(self, lead: int) -> None:
        self.teammate.send(ADD_COMMENT, input={"leadId": self.leads[lead], "body": "Hi"}).data  # noqa: B018
        self._arrive(("comment", self.leads[lead]))

    # The user's actions on one notification (one they deleted included).

    def _pick(self, data: st.DataObject) -> str:
        known = sorted(self.entries, key=lambda i: self.entries[i].order) + self.deleted
        return data.draw(st.sampled_from(known), label="notification")

    @precondition(lambda self: self.entries or self.deleted)
    @rule(action=st.sampled_from(sorted(ENTRY_MUTATIONS)), data=st.data())
    def change_one(self, action: str, data: st.DataObject) -> None:
        notification_id = self._pick(data)
        answer = self.user.send(ENTRY_MUTATIONS[action], id=notification_id)
        entry = self.entries.get(notification_id)
        if entry is None:
            assert answer.codes == ["NOT_FOUND"], answer.body
            return
        match action:
            case "read":
                entry.read = entry.seen = True
            case "unread":
                entry.read = False
            case "archive":
                entry.archived = True
            case "unarchive":
                entry.archived = False
        [returned] = answer.data.values()
        assert (returned["isRead"], returned["seenAt"] is not None) == (entry.read, entry.seen)
        assert (returned["archivedAt"] is not None) == entry.archived

    @precondition(lambda self: self.entries or self.deleted)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        notification_id = self._pick(data)
        answer = self.user.send(
            "mutation($id: String!) { deleteNotification(id: $id) }", id=notification_id
        )
        if notification_id not in self.entries:
            assert answer.codes == ["NOT_FOUND"], answer.body
            return
        assert answer.data == {"deleteNotification": True}
        del self.entries[notification_id]
        self.deleted.append(notification_id)

    # The user's actions on many at once.

    def _in_inbox(self) -> list[ModelEntry]:
        return [entry for entry in self.entries.values() if not entry.archived]

    @rule()
    def open_the_bell(self) -> None:
        unseen = [entry for entry in self._in_inbox() if not entry.seen]
        assert self.user.send("mutation { markAllAsSeen }").data == {"markAllAsSeen": len(unseen)}
        for entry in unseen:
            entry.seen = True

    @rule()
    def read_all(self) -> None:
        unread = [entry for entry in self._in_inbox() if not entry.read]
        assert self.user.send("mutation { markAllAsRead }").data == {"markAllAsRead": len(unread)}
        for entry in unread:
            entry.read = entry.seen = True

    @precondition(lambda self: self.keys)
    @rule(data=st.data())
    def read_group(self, data: st.DataObject) -> None:
        group = data.draw(st.sampled_from(sorted(self.keys)), label="group")
        members = [entry for entry in self._in_inbox() if entry.group == group]
        answer = self.user.send(
            "mutation($key: String!) { markGroupAsRead(groupKey: $key) }", key=self.keys[group]
        )
        if not members:  # all archived or deleted: the user holds none of it
            assert answer.codes == ["NOT_FOUND"], answer.body
            return
        unread = [entry for entry in members if not entry.read]
        assert answer.data == {"markGroupAsRead": len(unread)}
        for entry in unread:
            entry.read = entry.seen = True

    # What the server gives must be what the model holds.

    def _groups(self, archived: bool) -> list[tuple[str, int, int]]:
        """The groups a view shows, newest first: key, count, unread count."""
        members: dict[tuple[str, str], list[ModelEntry]] = {}
        for entry in self.entries.values():
            if entry.archived == archived:
                members.setdefault(entry.group, []).append(entry)
        newest_first = sorted(members.items(), key=lambda item: -max(e.order for e in item[1]))
        return [
            (self.keys[group], len(entries), sum(not e.read for e in entries))
            for group, entries in newest_first
        ]

    @invariant()
    def the_server_agrees(self) -> None:
        state = self.user.send(INBOX_STATE).data
        inbox = sorted(
            (i for i, e in self.entries.items() if not e.archived),
            key=lambda i: -self.entries[i].order,
        )
        archived = sorted(
            (i for i, e in self.entries.items() if e.archived),
            key=lambda i: -self.entries[i].order,
        )
        unread = [i for i in inbox if not self.entries[i].read]
        unseen = [i for i in inbox if not self.entries[i].seen]

        assert state["inboxCounts"] == {
            "unread": len(unread),
            "unseen": len(unseen),
            "total": len(inbox),
        }
        assert state["getUnreadCount"] == len(unread)
        assert [n["id"] for n in state["getNotifications"]] == inbox
        assert [e["node"]["id"] for e in state["notificationFeed"]["edges"]] == inbox
        assert [e["node"]["id"] for e in state["unreadOnly"]["edges"]] == unread
        assert [e["node"]["id"] for e in state["archived"]["edges"]] == archived
        for notification in [
            *state["getNotifications"],
            *(edge["node"] for edge in state["archived"]["edges"]),
        ]:
            entry = self.entries[notification["id"]]
            assert notification["isRead"] == entry.read
            assert (notification["seenAt"] is not None) == entry.seen
            assert (notification["archivedAt"] is not None) == entry.archived
            assert notification["groupKey"] == self.keys[entry.group]
        groups = [
            (node["key"], node["count"], node["unreadCount"])
            for node in (edge["node"] for edge in state["notificationGroups"]["edges"])
        ]
        assert groups == self._groups(archived=False)
        archived_groups = [
            (node["key"], node["count"], node["unreadCount"])
            for node in (edge["node"] for edge in state["archivedGroups"]["edges"])
        ]
        assert archived_groups == self._groups(archived=True)


def test_the_inbox_agrees_with_a_model_under_any_sequence_of_actions(
    http: httpx.Client, server: HeraldServer
) -> None:
    InboxModel.http, InboxModel.server = http, server
    run_state_machine_as_test(InboxModel, settings=MODEL)
