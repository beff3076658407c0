"""What operators see: /metrics, a request id on every response and log line, and no secrets."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator

import pytest
from dependency_injector import providers
from edge_support import SECRET, Caller, callers, make_container

from adapters.socketio.payloads import user_room
from entrypoints.app import create_app
from entrypoints.container import Container
from entrypoints.logs import configure_logging
from entrypoints.metrics import MAX_OPERATION_NAMES, OTHER_OPERATIONS, Metrics
from entrypoints.rate_limit import InMemoryRateLimiter


class Exploding:
    async def __call__(self, query: object) -> int:
        raise RuntimeError("the database caught fire")


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in Prometheus text, 0 when it is not there yet."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        found_name, _, found_labels = series.partition("{")
        found = ",".join(sorted(found_labels.rstrip("}").split(","))) if found_labels else ""
        if found_name == name and found == wanted:
            return float(value)
    return 0.0


@pytest.fixture
def container() -> Container:
    return make_container()


@pytest.fixture
async def alice(container: Container) -> AsyncIterator[Caller]:
    [caller] = callers(container, "alice")
    yield caller
    await caller.aclose()


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Herald's own logging set up as `herald serve` does, at DEBUG, into a buffer."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


# /metrics


async def test_metrics_count_graphql_operations_by_name_and_outcome(
    container: Container, alice: Caller
) -> None:
    container.get_unread_count.override(providers.Object(Exploding()))
    before = (await alice.http.get("/metrics")).text

    await alice.data("query Inbox { getNotifications { id } }")
    await alice.data("query Inbox { getNotifications { id } }")
    await alice.error("query Broken { getNotifications(limit: 0) { id } }")
    await alice.error("query Failing { getUnreadCount }")
    after = await alice.http.get("/metrics")

    def moved(name: str, **labels: str) -> float:
        return sample(after.text, name, **labels) - sample(before, name, **labels)

    assert after.headers["content-type"].startswith("text/plain; version=0.0.4")
    ops = "herald_graphql_operations_total"
    assert moved(ops, operation="Inbox", outcome="ok") == 2
    assert moved(ops, operation="Broken", outcome="BAD_USER_INPUT") == 1
    assert moved(ops, operation="Failing", outcome="INTERNAL_SERVER_ERROR") == 1
    assert moved("herald_graphql_operation_duration_seconds_count", operation="Inbox") == 2
    assert moved("herald_http_responses_total", status="200") >= 4


async def test_metrics_count_rate_limited_answers(container: Container, alice: Caller) -> None:
    container.rate_limiter.override(providers.Object(InMemoryRateLimiter(1)))

    await alice.post("mutation { markAllAsRead }")
    refused = await alice.post("mutation { markAllAsRead }")
    text = (await alice.http.get("/metrics")).text

    assert refused.status_code == 429
    assert sample(text, "herald_http_responses_total", status="429") == 1


async def test_the_socket_event_and_outbox_metrics_are_exposed(
    container: Container, alice: Caller
) -> None:
    container.metrics().events_emitted.labels(event="notification:created").inc()

    text = (await alice.http.get("/metrics")).text

    assert sample(text, "herald_connected_sockets") == 0  # read from the socket handlers
    assert sample(text, "herald_events_emitted_total", event="notification:created") == 1
    assert "# TYPE herald_outbox_backlog gauge" in text
    for gauge in ("herald_socket_frames_waiting", "herald_unread_counts_waiting"):
        assert f"# TYPE {gauge} gauge" in text


async def test_each_hold_of_the_outboxs_turn_is_timed(container: Container, alice: Caller) -> None:
    urgency = container.urgency()  # what the container's units of work press while they hold it
    urgency.end(urgency.begin())
    urgency.end(urgency.begin())

    text = (await alice.http.get("/metrics")).text

    assert "# TYPE herald_outbox_turn_held_seconds histogram" in text
    assert sample(text, "herald_outbox_turn_held_seconds_count") == 2
    assert sample(text, "herald_outbox_turn_held_seconds_bucket", le="+Inf") == 2


async def test_the_socket_backlog_is_read_from_the_manager_at_each_scrape(
    container: Container, alice: Caller
) -> None:
    manager = container.socketio_server().manager
    manager.frames_unqueued = 3
    # A second count for one user within its window waits for the window's end.
    manager.counts.counts({"count": 1, "unseen": 1, "eventId": 1}, [user_room("bob")])
    manager.counts.counts({"count": 2, "unseen": 2, "eventId": 2}, [user_room("bob")])

    text = (await alice.http.get("/metrics")).text

    assert sample(text, "herald_socket_frames_waiting", stage="unqueued") == 3
    assert 'herald_socket_frames_waiting{stage="queued"} 0.0' in text.splitlines()  # no socket
    assert sample(text, "herald_unread_counts_waiting") == 1


async def test_each_app_counts_in_a_registry_of_its_own() -> None:
    [first] = callers(make_container(), "alice")
    [second] = callers(make_container(), "alice")
    async with first.http, second.http:
        await first.data("query Mine { getUnreadCount }")
        text = (await second.http.get("/metrics")).text

    assert sample(text, "herald_graphql_operations_total", operation="Mine", outcome="ok") == 0


def test_operation_names_cannot_grow_the_series_without_bound() -> None:
    metrics = Metrics()

    labels = {metrics.operation_label(f"Op{index}") for index in range(MAX_OPERATION_NAMES * 2)}

    assert len(labels) == MAX_OPERATION_NAMES + 1
    assert OTHER_OPERATIONS in labels
    assert metrics.operation_label("not a name; DROP") == OTHER_OPERATIONS
    assert metrics.operation_label(None) == "(anonymous)"


# Request ids


async def test_every_response_carries_a_request_id(alice: Caller) -> None:
    health = await alice.http.get("/health")
    graphql = await alice.post("{ getUnreadCount }")
    refused = await alice.http.post(
        "/graphql", json={"query": "{ x }"}, headers={"Authorization": ""}
    )

    ids = [response.headers.get("X-Request-ID") for response in (health, graphql, refused)]
    assert refused.status_code == 401
    assert all(ids)
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("proxy-7f3a.91", True), ("has spaces", False), ("x" * 65, False), ("é".encode(), False)],
)
async def test_a_plain_request_id_from_the_caller_is_kept(
    alice: Caller, sent: str | bytes, kept: bool
) -> None:
    response = await alice.http.get("/health", headers={"X-Request-ID": sent})

    assert (response.headers["X-Request-ID"] == sent) is kept
    assert re.fullmatch(r"[A-Za-z0-9._\-]{1,64}", response.headers["X-Request-ID"])


# Logs


async def test_json_log_lines_carry_the_request_id(
    container: Container, alice: Caller, log_output: io.StringIO
) -> None:
    container.get_unread_count.override(providers.Object(Exploding()))

    response = await alice.post("query Failing { getUnreadCount }")

    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    request_id = response.headers["X-Request-ID"]
    [failure] = [line for line in lines if line["level"] == "ERROR"]
    assert failure["request_id"] == request_id
    assert "the database caught fire" in failure["exception"]
    assert any(
        line["logger"] == "herald.http" and line["request_id"] == request_id for line in lines
    )


async def test_console_log_lines_end_with_the_request_id(
    container: Container, alice: Caller
) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("DEBUG", "console", stream=stream)
    try:
        response = await alice.post("{ getUnreadCount }")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)

    assert f"[request {response.headers['X-Request-ID']}]" in stream.getvalue()


async def test_no_token_or_secret_is_ever_logged(
    container: Container, log_output: io.StringIO
) -> None:
    container.get_unread_count.override(providers.Object(Exploding()))
    container.rate_limiter.override(providers.Object(InMemoryRateLimiter(1)))
    app = create_app(container)
    alice = Caller(app, "alice")
    forged = Caller(app, "mallory")
    forged.token = forged.token[:-4] + "AAAA"  # a bad signature
    forged.http.headers["Authorization"] = f"Bearer {forged.token}"
    tokens = [alice.token, forged.token]
    async with alice.http, forged.http:
        await alice.data("{ leads { id } }")
        await alice.error("{ getUnreadCount }")  # logged with its traceback
        await alice.post("mutation { markAllAsRead }")
        await alice.post("mutation { markAllAsRead }")  # 429
        await forged.post("{ leads { id } }")  # 401
        await alice.http.get("/graphql?token=" + alice.token)

    # Herald's lines only: httpx, the client of this test, logs the URLs it requests.
    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    logged = "\n".join(json.dumps(line) for line in lines if line["logger"] != "httpx")
    assert "the database caught fire" in logged  # the logs did capture the request
    for secret in [*tokens, *(token.split(".")[2] for token in tokens), SECRET]:
        assert secret not in logged


async def test_operations_refused_before_they_run_are_counted_as_the_callers_errors(
    alice: Caller,
) -> None:
    before = (await alice.http.get("/metrics")).text

    typo = await alice.http.post(
        "/graphql", json={"query": "query Typo { getUnreadCount", "operationName": "Typo"}
    )
    unknown = await alice.http.post(
        "/graphql", json={"query": "query Known { getUnreadCount }", "operationName": "Unknown"}
    )
    unchosen = await alice.http.post(
        "/graphql", json={"query": "query First { getUnreadCount } query Second { leads { id } }"}
    )
    after = (await alice.http.get("/metrics")).text

    def moved(**labels: str) -> float:
        ops = "herald_graphql_operations_total"
        return sample(after, ops, **labels) - sample(before, ops, **labels)

    assert typo.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert unknown.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert moved(operation="Typo", outcome="BAD_USER_INPUT") == 1
    assert moved(operation="Unknown", outcome="BAD_USER_INPUT") == 1
    assert moved(operation="Typo", outcome="INTERNAL_SERVER_ERROR") == 0
    assert moved(operation="Unknown", outcome="INTERNAL_SERVER_ERROR") == 0
    # Of several operations none was chosen: not counted as the first one's.
    assert unchosen.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert moved(operation="(anonymous)", outcome="BAD_USER_INPUT") == 1
    assert moved(operation="First", outcome="BAD_USER_INPUT") == 0
