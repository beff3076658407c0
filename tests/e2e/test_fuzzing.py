"""Fuzzing: schemathesis writes queries and mutations of every operation for a real server.

Every answer must be a GraphQL answer with a contract code and no internals in it; afterwards the
database must hold exactly what the accepted mutations put there, and nothing from the refused.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql
import pytest
import requests
import schemathesis
import sqlalchemy as sa
from answer_checks import CODES, LEAKS, string_literals, strings_in
from e2e_support import HeraldServer, herald_env, start_server, stop_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation
from schemathesis.generation import GenerationMode
from schemathesis.graphql import nodes
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from adapters.sqlalchemy import tables

pytestmark = pytest.mark.e2e

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"
USERS = ("fuzz-alice", "fuzz-bob")
# What must never reach a client: tracebacks, the driver's SQL, paths of the source.
# Examples per operation: those that make objects first, so that later ones can use their ids.
EXAMPLES = {
    "Mutation.createLead": 80,
    "Query.leads": 5,
    "Mutation.createTask": 120,
    "Mutation.addComment": 25,
    "Mutation.completeTask": 12,
    "Mutation.updateLeadScore": 12,
    "Mutation.assignLead": 10,
    # The inbox's own: enough for known ids, keys and cursors to come up, and malformed ones.
    "Mutation.markAsRead": 30,
    "Mutation.markAsUnread": 10,
    "Mutation.archiveNotification": 40,
    "Mutation.unarchiveNotification": 10,
    "Mutation.markGroupAsRead": 16,
    "Mutation.confirmDelivery": 16,
    "Query.notificationGroups": 12,
}
OTHER_EXAMPLES = 6  # each of the other operations
LOOK_AROUND = """{
  leads(limit: 100) { id }
  getNotifications(limit: 100) { id groupKey }
  notificationFeed(first: 5) { pageInfo { endCursor } }
  archived: notificationFeed(first: 5, filter: {archived: true}) { edges { node { id } } }
  notificationGroups(first: 5) { pageInfo { endCursor } edges { node { key } } }
}"""
NOTIFICATION_ROOTS = {
    "Query.getNotifications",
    "Query.notificationFeed",
    "Query.notificationGroups",
    "Mutation.markAsRead",
    "Mutation.markAsUnread",
    "Mutation.archiveNotification",
    "Mutation.unarchiveNotification",
}
# The same examples on every run, so that CI judges the code and not the draw; set
# HERALD_FUZZ_EXPLORE=1 to draw new ones (a failure prints the example to replay).
EXPLORE = os.environ.get("HERALD_FUZZ_EXPLORE") == "1"
TIME_BUDGET_SECONDS = 120  # the whole run; a slow server fails the test rather than hangs it
REQUEST_TIMEOUT_SECONDS = 10

# Values the server gave back: ids (leads, tasks, comments, notifications) and cursors.
# Arguments draw from them and from the users as well as from anything else, so that operations
# on objects that exist are exercised too, not only their refusals. Schemathesis keeps custom
# scalars in one global registry; no other test of the project uses it.
KNOWN_IDS: list[str] = []
KNOWN_STRINGS: list[str] = []
# Notification ids and group keys, the strings the inbox's mutations take: drawn more often, so
# that those mutations act on notifications that exist, not only refuse.
KNOWN_INBOX: list[str] = []
# Whose inbox each known notification was seen in: a request naming one is sent as its owner,
# so that the inbox's mutations act on notifications, not only refuse another user's.
OWNERS: dict[str, str] = {}
# NUL is refused with an internal error today (test_properties.py's
# test_a_nul_character_is_bad_user_input); lone surrogates cannot be sent as UTF-8 by this client.
_text = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=60)


def _one_of_known(known: list[str]) -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=1 << 16).map(
        lambda index: known[index % len(known)] if known else "none-known-yet"
    )


schemathesis.graphql.scalar(
    "ID",
    st.one_of(
        _one_of_known(KNOWN_IDS),
        _one_of_known(KNOWN_IDS),
        _one_of_known(KNOWN_IDS),
        st.uuids().map(str),
        st.uuids().map(lambda value: str(value).upper()),
        _text,
    ).map(nodes.String),
)
_users = st.sampled_from(USERS)  # a valid owner or assignee, and a valid name or title too
schemathesis.graphql.scalar(
    "String",
    st.one_of(
        _text,
        _users,
        _users,
        st.emails(),
        _one_of_known(KNOWN_STRINGS),
        _one_of_known(KNOWN_INBOX),
        _one_of_known(KNOWN_INBOX),
    ).map(nodes.String),
)
# Scores, limits and page sizes: inside their ranges as often as anywhere in a 32-bit Int.
schemathesis.graphql.scalar(
    "Int",
    st.one_of(
        st.integers(min_value=0, max_value=100),
        st.integers(min_value=-(1 << 31), max_value=(1 << 31) - 1),
    ).map(nodes.Int),
)

SCHEMA = schemathesis.graphql.from_path(SCHEMA_FILE)
SCHEMA.config.generation.update(allow_x00=False)  # for the strings it makes itself


@dataclass
class Ledger:
    """What the accepted mutations asked for, to hold against the database afterwards."""

    leads_created: int = 0
    tasks_created: int = 0
    comments_created: int = 0
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, dict[str, Any]] = field(default_factory=dict)
    completed: set[str] = field(default_factory=set)
    answers: dict[str, int] = field(default_factory=dict)  # by operation and outcome

    def record(self, actor: str, query: str, body: dict[str, Any]) -> None:
        field_name, arguments = _root_field(query)
        result = (body.get("data") or {}).get(field_name)
        outcome = "data" if result is not None else body["errors"][0]["extensions"]["code"]
        key = f"{field_name}:{outcome}"
        self.answers[key] = self.answers.get(key, 0) + 1
        if result is None:
            return
        returned_id = result.get("id") if isinstance(result, dict) else None
        match field_name:
            case "createLead":
                self.leads_created += 1
                if returned_id:
                    given_input = arguments["input"]
                    self.leads[returned_id] = {
                        "name": given_input["name"].strip(),
                        "email": (given_input.get("email") or "").strip() or None,
                        "company": (given_input.get("company") or "").strip() or None,
                        "score": given_input.get("score") or 0,
                        "owner_id": actor,
                    }
            case "updateLeadScore" if arguments["id"] in self.leads:
                self.leads[arguments["id"]]["score"] = arguments["score"]
            case "assignLead" if arguments["id"] in self.leads:
                self.leads[arguments["id"]]["owner_id"] = arguments["ownerId"]
            case "createTask":
                self.tasks_created += 1
                if returned_id:
                    given_input = arguments["input"]
                    self.tasks[returned_id] = {
                        "lead_id": given_input["leadId"],
                        "title": given_input["title"].strip(),
                        "assignee_id": given_input.get("assigneeId"),
                        "created_by_id": actor,
                    }
            case "completeTask":
                self.completed.add(arguments["id"])
            case "addComment":
                self.comments_created += 1
                if returned_id:
                    given_input = arguments["input"]
                    self.comments[returned_id] = {
                        "lead_id": given_input["leadId"],
                        "body": given_input["body"],
                        "author_id": actor,
                    }


def _root_field(query: str) -> tuple[str, dict[str, Any]]:
    """The one root field of a generated operation, and its literal arguments."""
    document = graphql.parse(query)
    [operation] = [
        node for node in document.definitions if isinstance(node, graphql.OperationDefinitionNode)
    ]
    [root] = operation.selection_set.selections
    assert isinstance(root, graphql.FieldNode)
    arguments = {
        argument.name.value: graphql.value_from_ast_untyped(argument.value)
        for argument in root.arguments or ()
    }
    return root.name.value, arguments


def _harvest(value: Any, *, notifications: bool = False, owner: str | None = None) -> None:
    """Keep the ids and cursors of an answer's data, for later arguments to use.

    Notification ids are `String` arguments (markAsRead, deleteNotification): they join the
    strings, not the ids, where they would only stand in for leads and tasks that are not there.
    Group keys are strings too (markGroupAsRead).
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and key in (
                "id",
                "leadId",
                "cursor",
                "endCursor",
                "key",
                "groupKey",
            ):
                is_id = key == "leadId" or (key == "id" and not notifications)
                is_notification = key == "id" and notifications
                in_inbox = key in ("key", "groupKey") or is_notification
                known = KNOWN_IDS if is_id else KNOWN_INBOX if in_inbox else []
                if is_notification and owner is not None:
                    OWNERS.setdefault(item, owner)
                for pool in (known, KNOWN_STRINGS):
                    if item not in pool:
                        pool.append(item)
            else:
                # A lead's `notifications` are notifications: their ids are no lead's.
                _harvest(item, notifications=notifications or key == "notifications", owner=owner)
    elif isinstance(value, list):
        for item in value:
            _harvest(item, notifications=notifications, owner=owner)


def _request_strings(query: str) -> str:
    """The query and its string literals unescaped: what an answer may echo without leaking."""
    return "\n".join([query, *string_literals(query)])


def check_answer(status: int, text: str, query: str) -> dict[str, Any]:
    """The contract's promises for any answer of /graphql; returns the decoded body."""
    assert status < 500, (status, text)
    body = json.loads(text)
    assert isinstance(body, dict), text
    assert {"data", "errors"} & set(body), text
    errors = body.get("errors") or []
    for error in errors:
        assert isinstance(error.get("message"), str), text
        assert error.get("extensions", {}).get("code") in CODES, text
    if status >= 400:
        assert errors, text
    echoed = _request_strings(query)
    answered = "\n".join(strings_in(body))
    for leak in LEAKS:
        assert leak not in answered or leak in echoed, f"{leak!r} leaked in {text}"
    return body


async def _rows(url: str) -> dict[str, list[dict[str, Any]]]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return {
                table.name: [
                    {column.key: row._mapping[column] for column in table.c}
                    for row in await connection.execute(sa.select(table))
                ]
                for table in (
                    tables.leads,
                    tables.tasks,
                    tables.comments,
                    tables.notification_recipients,
                )
            }
    finally:
        await engine.dispose()


@pytest.fixture
def fuzzed_server(own_database_url: str) -> Iterator[HeraldServer]:
    """A server of its own, with a rate limit the fuzzer never reaches."""
    running = start_server(
        herald_env(DATABASE_URL=own_database_url, RATE_LIMIT_PER_SECOND="100000")
    )
    try:
        yield running
    finally:
        stop_server(running.process)


def test_fuzzed_requests_get_contract_answers_and_only_accepted_ones_are_stored(
    fuzzed_server: HeraldServer, own_database_url: str
) -> None:
    del KNOWN_IDS[:], KNOWN_STRINGS[:], KNOWN_INBOX[:]
    OWNERS.clear()
    ledger = Ledger()
    endpoint = f"{fuzzed_server.url}/graphql"
    tokens = {user: f"Bearer {fuzzed_server.token(user)}" for user in USERS}
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    operations = sorted(
        (result.ok() for result in SCHEMA.get_all_operations()),
        key=lambda operation: (
            list(EXAMPLES).index(operation.label) if operation.label in EXAMPLES else len(EXAMPLES)
        ),
    )
    sdl = graphql.build_schema(SCHEMA_FILE.read_text())
    roots = (sdl.query_type, sdl.mutation_type)
    every_field = {f"{root.name}.{name}" for root in roots if root for name in root.fields}
    assert {operation.label for operation in operations} == every_field  # none skipped

    with requests.Session() as session:

        def look_around() -> None:
            """Learn, as each user, the leads, notifications and cursors there are now.

            The first call registers both users, so that each one's leads notify the other.
            """
            for user in USERS:
                answer = session.post(
                    endpoint,
                    json={"query": LOOK_AROUND},
                    headers={"Authorization": tokens[user]},
                    timeout=REQUEST_TIMEOUT_SECONDS,
                )
                assert answer.status_code == 200, answer.text
                data = answer.json()["data"]
                _harvest(data["leads"])
                inbox = ("getNotifications", "notificationFeed", "archived", "notificationGroups")
                _harvest([data[name] for name in inbox], notifications=True, owner=user)

        def fuzz_operation(operation: APIOperation) -> None:
            valid = operation.as_strategy(GenerationMode.POSITIVE)
            cases = st.one_of(valid, valid, operation.as_strategy(GenerationMode.NEGATIVE))
            about_notifications = operation.label in NOTIFICATION_ROOTS
            is_mutation = operation.label.startswith("Mutation.")

            @settings(
                max_examples=EXAMPLES.get(operation.label, OTHER_EXAMPLES),
                deadline=None,
                database=None,
                derandomize=not EXPLORE,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=cases, actor=st.sampled_from(USERS))
            def fuzz(case: Any, actor: str) -> None:
                assert time.monotonic() < deadline, "the fuzzing run took too long"
                named = [OWNERS[text] for text in string_literals(case.body) if text in OWNERS]
                actor = named[0] if named else actor
                response = case.call(
                    base_url=endpoint,
                    session=session,
                    headers={"Authorization": tokens[actor]},
                    timeout=REQUEST_TIMEOUT_SECONDS,
                )
                body = check_answer(response.status_code, response.text, case.body)
                _harvest(body.get("data"), notifications=about_notifications, owner=actor)
                if is_mutation:
                    ledger.record(actor, case.body, body)

            fuzz()

        for operation in operations:
            look_around()
            fuzz_operation(operation)

    stored = asyncio.run(_rows(own_database_url))
    summary = json.dumps(ledger.answers, sort_keys=True)
    assert len(stored["leads"]) == ledger.leads_created, summary
    assert len(stored["tasks"]) == ledger.tasks_created, summary
    assert len(stored["comments"]) == ledger.comments_created, summary
    leads = {str(row["id"]): row for row in stored["leads"]}
    tasks = {str(row["id"]): row for row in stored["tasks"]}
    comments = {str(row["id"]): row for row in stored["comments"]}
    for lead_id, expected in ledger.leads.items():
        assert {key: leads[lead_id][key] for key in expected} == expected
    for task_id, expected in ledger.tasks.items():
        row = tasks[task_id]
        assert {key: str(row[key]) if key == "lead_id" else row[key] for key in expected} == (
            expected
        )
    for comment_id, expected in ledger.comments.items():
        row = comments[comment_id]
        assert {key: str(row[key]) if key == "lead_id" else row[key] for key in expected} == (
            expected
        )
    assert {task_id for task_id, row in tasks.items() if row["completed_at"]} == ledger.completed
    # Whatever was sent, every entry keeps the rules of its states: read ones are seen, the
    # read flag and time agree, and nothing happened to it before it was made.
    for entry in stored["notification_recipients"]:
        assert entry["is_read"] == (entry["read_at"] is not None), entry
        assert entry["read_at"] is None or entry["seen_at"] is not None, entry
        for moment in ("read_at", "seen_at", "delivered_at", "archived_at"):
            assert entry[moment] is None or entry[moment] >= entry["created_at"], entry
    # The run reached past validation: objects were made, and mutations on them were accepted.
    assert ledger.leads_created, summary
    assert ledger.tasks_created, summary
    assert ledger.comments_created, summary
    # … and the inbox's own mutations reached notifications that exist, not only refusals (group
    # reads on real groups are test_properties.py's model's: here keys are few among the strings).
    for accepted in ("markAsRead", "archiveNotification", "markAllAsSeen", "confirmDelivery"):
        assert ledger.answers.get(f"{accepted}:data"), summary
