"""One-click unsubscribe (RFC 8058) and the `email` switch of preferences over GraphQL, on the
in-memory container."""

from __future__ import annotations

import httpx
import pytest
from dependency_injector import providers
from edge_support import callers, make_container

from adapters.unsubscribe import HmacUnsubscribeTokens
from application.commands import UnsubscribeCommand
from application.ports import ConcurrentUpdate, DatabaseBusy
from entrypoints.app import create_app
from entrypoints.container import Container

PREFERENCES = "{ notificationPreferences { type enabled email } }"
SET = """mutation ($type: NotificationType!, $enabled: Boolean!, $email: Boolean) {
  setNotificationPreference(type: $type, enabled: $enabled, email: $email) { type enabled email }
}"""


async def preferences(container: Container, user_id: str) -> list[dict[str, object]]:
    (caller,) = callers(container, user_id)
    try:
        data = await caller.data(PREFERENCES)
    finally:
        await caller.aclose()
    return list(data["notificationPreferences"])


def unsubscribe_client(container: Container) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(container))
    return httpx.AsyncClient(transport=transport, base_url="http://herald.test")


async def test_email_is_set_apart_from_enabled_and_kept_when_omitted() -> None:
    container = make_container()
    (bob,) = callers(container, "bob")

    turned = await bob.data(SET, type="COMMENT_ADDED", enabled=True, email=False)
    kept = await bob.data(SET, type="COMMENT_ADDED", enabled=False)
    listed = await bob.data(PREFERENCES)
    await bob.aclose()

    assert turned["setNotificationPreference"] == {
        "type": "COMMENT_ADDED",
        "enabled": True,
        "email": False,
    }
    assert kept["setNotificationPreference"]["email"] is False
    assert {"type": "COMMENT_ADDED", "enabled": False, "email": False} in listed[
        "notificationPreferences"
    ]
    assert all(
        p["email"] is True
        for p in listed["notificationPreferences"]
        if p["type"] != "COMMENT_ADDED"
    )


async def test_get_shows_a_button_and_changes_nothing_post_turns_email_off() -> None:
    container = make_container()
    url = f"/unsubscribe/{container.unsubscribe_tokens().issue('bob')}"
    before = await preferences(container, "bob")

    async with unsubscribe_client(container) as http:
        page = await http.get(url)
        assert await preferences(container, "bob") == before
        done = await http.post(url, content="List-Unsubscribe=One-Click")

    assert page.status_code == 200
    assert '<form method="post">' in page.text
    assert "<button" in page.text
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert done.status_code == 200
    assert "no more emails" in done.text
    after = await preferences(container, "bob")
    assert [(p["type"], p["enabled"], p["email"]) for p in after] == [
        (p["type"], p["enabled"], False) for p in before
    ]
    assert all(p["email"] for p in await preferences(container, "carol"))  # nobody else


async def test_a_forged_or_altered_token_is_400_and_changes_nothing() -> None:
    container = make_container()
    other = HmacUnsubscribeTokens("o" * 32).issue("bob")  # another server's secret
    genuine = container.unsubscribe_tokens().issue("bob")
    altered = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
    before = await preferences(container, "bob")

    async with unsubscribe_client(container) as http:
        answers = [
            await http.request(method, f"/unsubscribe/{token}")
            for token in (other, altered, "bob", "Ym9i.")
            for method in ("GET", "POST")
        ]

    assert [answer.status_code for answer in answers] == [400] * len(answers)
    assert await preferences(container, "bob") == before


@pytest.mark.parametrize("error", [ConcurrentUpdate("deadlock"), DatabaseBusy("lock timeout")])
async def test_a_busy_database_is_a_try_again_page_not_a_graphql_error(error: Exception) -> None:
    container = make_container()

    async def busy(command: UnsubscribeCommand) -> None:
        raise error

    url = f"/unsubscribe/{container.unsubscribe_tokens().issue('bob')}"
    with container.unsubscribe.override(providers.Object(busy)):
        async with unsubscribe_client(container) as http:
            answer = await http.post(url, content="List-Unsubscribe=One-Click")

    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.headers["content-type"].startswith("text/html")
    assert "try again" in answer.text
    assert "errors" not in answer.text
