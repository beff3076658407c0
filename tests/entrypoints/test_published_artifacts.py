"""`schema.graphql` and `docs/events.md` are what the code serves and sends."""

from __future__ import annotations

from entrypoints.published import EVENTS_FILE, SCHEMA_FILE, events_markdown, graphql_sdl

REGENERATE = "run `uv run python -m entrypoints.published` and commit the result"


def test_schema_graphql_is_the_schema_the_code_serves() -> None:
    assert SCHEMA_FILE.read_text() == graphql_sdl(), REGENERATE


def test_events_md_shows_the_payloads_the_code_sends() -> None:
    assert EVENTS_FILE.read_text() == events_markdown(), REGENERATE


def test_every_socket_io_event_of_the_contract_is_documented() -> None:
    documented = events_markdown()

    for event in (
        "notification:created",
        "notification:updated",
        "notifications:bulk-updated",
        "notification:deleted",
        "notifications:unread-count",
        "notifications:resync",
    ):
        assert f"## `{event}`" in documented
