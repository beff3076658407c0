"""Prometheus metrics of one Herald app, kept in a registry of its own and served at /metrics.

The container builds one `Metrics` (`container.metrics()`); any part of the entrypoints updates it
directly, for instance:

    metrics = container.metrics()
    metrics.connected_sockets.inc()            # on connect; .dec() on disconnect
    metrics.connected_sockets.set_function(lambda: realtime.connected)   # or read it on scrape
    metrics.events_emitted.labels(event="notification:created").inc()
    metrics.outbox_backlog.set(waiting)

A registry per app (not prometheus_client's global one) lets tests build many apps side by side.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

# Operation names are chosen by clients: only this many distinct ones get a series of their own.
MAX_OPERATION_NAMES = 200
OTHER_OPERATIONS = "(other)"
ANONYMOUS = "(anonymous)"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
# The text format every Prometheus understands (Litestar appends the charset).
CONTENT_TYPE = "text/plain; version=0.0.4"


class Metrics:
    """Every metric Herald exports, registered in `registry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        # A `_created` timestamp beside every series doubles the page for no use to Prometheus.
        disable_created_metrics()  # type: ignore[no-untyped-call]  # process-wide, as wanted
        self.registry = CollectorRegistry() if registry is None else registry
        self.graphql_operations = Counter(
            "herald_graphql_operations",
            "GraphQL operations, by operation name and outcome (ok, or the error code).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.graphql_duration = Histogram(
            "herald_graphql_operation_duration_seconds",
            "Time spent on a GraphQL operation, from parsing to its result.",
            ["operation"],
            registry=self.registry,
        )
        self.http_responses = Counter(
            "herald_http_responses",
            "HTTP responses, by status code; 429 is a mutation refused by the rate limit.",
            ["status"],
            registry=self.registry,
        )
        self.connected_sockets = Gauge(
            "herald_connected_sockets",
            "Socket.IO connections open on this process.",
            registry=self.registry,
        )
        self.events_emitted = Counter(
            "herald_events_emitted",
            "Socket.IO events emitted to users, by event name.",
            ["event"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "herald_outbox_backlog",
            "Events committed but not yet delivered.",
            registry=self.registry,
        )
        self.socket_frames_waiting = Gauge(
            "herald_socket_frames_waiting",
            "Socket.IO frames waiting on this process: `unqueued`, frames of emitted events"
            " not yet handed to their sockets (a slice goes per turn of the event loop; a"
            " held socket's are kept for it, an ended session's dropped); `queued`, packets on"
            " the sockets' queues, waiting for their connections (paused by a slow client, or"
            " not yet open; pings and replayed history included).",
            ["stage"],
            registry=self.registry,
        )
        self.unread_counts_waiting = Gauge(
            "herald_unread_counts_waiting",
            "Users whose unread-count event waits for the end of their coalescing window.",
            registry=self.registry,
        )
        self.outbox_turn_held = Histogram(
            "herald_outbox_turn_held_seconds",
            "How long each write that tells someone held the outbox's turn, which such writes"
            " take one at a time (across every process): when they come more often than one"
            " per hold, they queue. Timed by the process, from the database's reply that gave"
            " it the turn to the commit's.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.event_loop_lag = Histogram(
            "herald_event_loop_lag_seconds",
            "How late the event loop woke a timer set 10 ms after its last wake-up: how long"
            " work that became ready (a request's next step, a socket's frames) waited for the"
            " callbacks before it. One observation per wake-up: a long stall counts once. The"
            " process does everything on this one loop.",
            buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.gc_pauses = Histogram(
            "herald_gc_pause_seconds",
            "How long each collection of Python's garbage collector stopped the process, by"
            " generation (2: a full collection, which walks every object not frozen at"
            " start-up, the connected sockets' included).",
            ["generation"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=self.registry,
        )
        self._gc_pauses = [self.gc_pauses.labels(str(generation)) for generation in range(3)]
        self.emails_sent = Counter(
            "herald_emails_sent",
            "Emails the mail server took.",
            registry=self.registry,
        )
        self.emails_failed = Counter(
            "herald_emails_failed",
            "Emails not sent: `unavailable` (the server, tried again later), `deferred` (one"
            " recipient put off for now, tried again later) or `refused` (for good).",
            ["reason"],
            registry=self.registry,
        )
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self._operation_names: set[str] = set()
        # Each labelled series, once looked up: `labels()` checks and locks on every call.
        self._operations: dict[tuple[str, ...], Any] = {}
        self._durations: dict[tuple[str, ...], Any] = {}
        self._responses: dict[tuple[str, ...], Any] = {}

    def operation_label(self, name: object) -> str:
        """A label for an operation name: bounded in length, form and number of values."""
        if not name or not isinstance(name, str):  # a client may send any JSON value
            return ANONYMOUS
        if not _NAME.fullmatch(name):
            return OTHER_OPERATIONS
        if name not in self._operation_names:
            if len(self._operation_names) >= MAX_OPERATION_NAMES:
                return OTHER_OPERATIONS
            self._operation_names.add(name)
        return name

    def observe_operation(self, name: str | None, outcome: str, seconds: float) -> None:
        label = self.operation_label(name)
        _series(self._operations, self.graphql_operations, label, outcome).inc()
        _series(self._durations, self.graphql_duration, label).observe(seconds)

    def count_refused(self, name: str | None, outcome: str) -> None:
        """An operation refused before it ran (past the rate limit): counted, not timed."""
        _series(
            self._operations, self.graphql_operations, self.operation_label(name), outcome
        ).inc()

    def observe_gc_pause(self, generation: int, seconds: float) -> None:
        self._gc_pauses[generation].observe(seconds)

    def count_response(self, status: int) -> None:
        _series(self._responses, self.http_responses, str(status)).inc()

    def render(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


def _series(known: dict[tuple[str, ...], Any], metric: Any, *values: str) -> Any:
    """The metric's series of these label values (bounded: operation names and statuses)."""
    series = known.get(values)
    if series is None:
        series = known[values] = metric.labels(*values)
    return series


@get("/metrics", sync_to_thread=False, include_in_schema=False)
def metrics_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    metrics: Metrics = request.app.state.container.metrics()
    return Response(metrics.render(), media_type=CONTENT_TYPE)
