"""The client of an HTTP request in the logs: its address, and one line at INFO, without a
traceback or an answer counted, when it leaves mid-request."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from edge_support import make_container, token

from entrypoints.app import create_app


def http_scope(method: str, path: str, content_length: int = 0) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"herald.test"),
            (b"authorization", f"Bearer {token('alice')}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(content_length).encode()),
        ],
        "client": ("192.0.2.7", 50000),
        "server": ("herald.test", 80),
    }


async def test_a_client_that_leaves_while_sending_its_body_is_one_info_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    container = make_container()
    app = create_app(container)
    arriving: list[dict[str, Any]] = [
        {"type": "http.request", "body": b'{"query": "{ getUnr', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return arriving.pop(0) if arriving else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.DEBUG):
        await app(http_scope("POST", "/graphql", 1000), receive, send)

    herald = [record for record in caplog.records if record.name.startswith("herald")]
    assert [(record.levelname, record.getMessage()) for record in herald] == [
        ("INFO", "POST /graphql: the client left before its answer")
    ]
    assert all(record.exc_info is None for record in caplog.records)
    assert sent == []
    assert b"herald_http_responses_total{status=" not in container.metrics().render()


async def test_the_request_line_names_the_client_that_the_server_was_given(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(make_container())
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.DEBUG, logger="herald.http"):
        await app(http_scope("GET", "/health"), receive, send)

    assert sent[0]["status"] == 200
    [line] = [r.getMessage() for r in caplog.records if r.name == "herald.http"]
    assert line.startswith("192.0.2.7 GET /health 200 ")
