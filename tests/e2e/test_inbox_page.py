"""End to end in a real browser: the live inbox page at `/`, signed in through development sign-in.

Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright; Playwright's own browsers are
never downloaded. With `HERALD_INBOX_SCREENSHOT=docs/inbox.png` the first test also saves the
picture the README shows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from e2e_support import HeraldServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, WebSocketRoute

try:
    from playwright.sync_api import expect, sync_playwright

    HAVE_PLAYWRIGHT = True
except ImportError:  # the dev dependency group has it
    HAVE_PLAYWRIGHT = False

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 10_000  # every click, fill and expectation gives up after this long
VIEWPORT: ViewportSize = {"width": 1000, "height": 640}


def unavailable(reason: str) -> None:
    if os.environ.get("HERALD_REQUIRE_SERVICES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Browser]:
    if not HAVE_PLAYWRIGHT:
        unavailable("Playwright for Python is not installed (uv sync installs the dev group)")
    if not CHROMIUM.exists():
        unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    # The server (and its database) first: Playwright's sync API keeps an event loop running in
    # this thread, where the database fixtures' `asyncio.run` would refuse to start.
    request.getfixturevalue("server")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield launched
        finally:
            launched.close()


class Windows:
    """Browser contexts (one per person) and their tabs; every tab is screenshot on failure."""

    def __init__(self, browser: Browser, url: str) -> None:
        self._browser, self._url = browser, url
        self.contexts: list[BrowserContext] = []

    def person(self) -> BrowserContext:
        context = self._browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(WAIT_MS)
        self.contexts.append(context)
        return context

    def tab(self, context: BrowserContext, name: str) -> Page:
        """A new tab of `context` on the inbox page, signed in as `name`."""
        page = context.new_page()
        page.on("console", lambda message: print(f"[{name}] {message.type}: {message.text}"))
        page.on("pageerror", lambda error: print(f"[{name}] page error: {error}"))
        page.goto(self._url)
        page.get_by_label("Your name").fill(name)
        page.get_by_role("button", name=f"Sign in as {name}").click()
        expect(page.get_by_text(f"{name} (")).to_be_visible()
        expect(page.locator("#connection")).to_have_text("Live")
        return page

    def screenshot_all(self, folder: Path) -> None:
        for number, context in enumerate(self.contexts):
            for tab, page in enumerate(context.pages):
                path = folder / f"window{number}-tab{tab}.png"
                page.screenshot(path=path, full_page=True)
                print(f"screenshot: {path}")


@pytest.fixture
def windows(
    browser: Browser, server: HeraldServer, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Windows]:
    failures_before = request.session.testsfailed
    opened = Windows(browser, server.url + "/")
    try:
        yield opened
        # The call phase is reported before teardown: a rise in the count is this test failing.
        if request.session.testsfailed > failures_before:
            opened.screenshot_all(tmp_path)
    finally:
        for context in opened.contexts:
            context.close()


def create_lead(page: Page, name: str, company: str = "") -> None:
    page.get_by_label("Lead name").fill(name)
    page.get_by_label("Company").fill(company)
    page.get_by_role("button", name="Create lead").click()
    expect(page.get_by_role("status").filter(has_text=f"Created “{name}”")).to_be_visible()


def badge(page: Page) -> Any:
    return expect(page.locator("#unread-badge"))


def titles(page: Page) -> Any:
    return expect(page.locator(".notification .title"))


def test_a_lead_reaches_a_teammate_live_and_mark_all_read_clears_both_of_their_tabs(
    windows: Windows,
) -> None:
    alice = windows.tab(windows.person(), "Alice")
    bob = windows.person()
    bob_here, bob_there = windows.tab(bob, "Bob"), windows.tab(bob, "Bob")

    create_lead(alice, "Umbrella Corp", "Umbrella")
    create_lead(alice, "Globex", "Globex Corporation")
    create_lead(alice, "Initech")

    for tab in (bob_here, bob_there):  # newest first, without a reload
        titles(tab).to_have_text(
            ["New lead: Initech", "New lead: Globex", "New lead: Umbrella Corp"], timeout=WAIT_MS
        )
        badge(tab).to_have_text("3", timeout=WAIT_MS)
    expect(bob_here.locator(".notification.unread")).to_have_count(3, timeout=WAIT_MS)
    badge(alice).to_be_hidden(timeout=WAIT_MS)  # the actor is not told of their own lead
    expect(alice.locator(".notification")).to_have_count(0, timeout=WAIT_MS)

    # A background tab gets no animation frames, which Playwright's clicks wait for: switch to it,
    # as a person would.
    bob_here.bring_to_front()
    bob_here.get_by_role("button", name="Mark read: New lead: Globex").click()
    for tab in (bob_here, bob_there):
        badge(tab).to_have_text("2", timeout=WAIT_MS)
        expect(tab.locator(".notification.unread")).to_have_count(2, timeout=WAIT_MS)
    if target := os.environ.get("HERALD_INBOX_SCREENSHOT"):
        bob_here.wait_for_timeout(500)  # let the read item's background fade out
        bob_here.screenshot(path=target)

    bob_here.get_by_role("button", name="Mark all read").click()
    for tab in (bob_here, bob_there):
        badge(tab).to_be_hidden(timeout=WAIT_MS)
        expect(tab.locator(".notification.unread")).to_have_count(0, timeout=WAIT_MS)
        expect(tab.get_by_role("status").filter(has_text="No unread notifications")).to_be_attached(
            timeout=WAIT_MS
        )

    bob_there.bring_to_front()
    bob_there.get_by_role("button", name="Delete: New lead: Umbrella Corp").click()
    for tab in (bob_here, bob_there):
        titles(tab).to_have_text(["New lead: Initech", "New lead: Globex"], timeout=WAIT_MS)


def test_the_inbox_loads_older_pages_as_it_is_scrolled(
    windows: Windows, server: HeraldServer
) -> None:
    # Dave is registered (his first token), then two teammates create 25 leads, in turns that
    # stay under the per-user rate limit.
    graphql(server, server.token("dave", "Dave"), "{ getUnreadCount }")
    actors = [server.token("carol", "Carol"), server.token("erin", "Erin")]
    for number in range(25):
        create_lead_over_http(server, actors[number % 2], f"Lead {number:02}")

    dave = windows.tab(windows.person(), "Dave")
    expect(dave.locator(".notification")).to_have_count(20, timeout=WAIT_MS)
    badge(dave).to_have_text("25", timeout=WAIT_MS)
    expect(dave.locator(".notification .title").first).to_have_text("New lead: Lead 24")

    dave.get_by_role("button", name="Load older notifications").scroll_into_view_if_needed()
    expect(dave.locator(".notification")).to_have_count(25, timeout=WAIT_MS)
    expect(dave.locator(".notification .title").last).to_have_text("New lead: Lead 00")
    expect(dave.get_by_text("That is everything.")).to_be_visible(timeout=WAIT_MS)


def test_after_a_dropped_connection_the_page_resubscribes_from_its_last_event(
    windows: Windows, server: HeraldServer
) -> None:
    """The page's websocket goes through Playwright, which records what the page subscribes with,
    and can cut the line and keep it cut."""
    subscribed: list[dict[str, Any]] = []
    lines: list[tuple[WebSocketRoute, WebSocketRoute]] = []
    cut = False

    def through_playwright(page_side: WebSocketRoute) -> None:
        if cut:
            page_side.close(code=4000, reason="still cut")
            return
        server_side = page_side.connect_to_server()
        lines.append((page_side, server_side))

        def from_page(message: str | bytes) -> None:
            data = json.loads(message)
            if data.get("type") == "subscribe":
                subscribed.append(data["payload"]["variables"])
            server_side.send(message)

        page_side.on_message(from_page)

    frank = windows.person()
    frank.route_web_socket("**/graphql", through_playwright)
    page = windows.tab(frank, "Frank")
    grace = server.token("grace", "Grace")
    create_lead_over_http(server, grace, "Before the drop")
    titles(page).to_have_text(["New lead: Before the drop"], timeout=WAIT_MS)

    cut = True
    page_side, server_side = lines[-1]
    page_side.close(code=4000, reason="the line was cut")
    server_side.close()
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    create_lead_over_http(server, grace, "While away")
    expect(page.locator(".notification")).to_have_count(1)  # nothing reaches the page meanwhile
    cut = False

    titles(page).to_have_text(
        ["New lead: While away", "New lead: Before the drop"], timeout=WAIT_MS
    )
    expect(page.locator("#connection")).to_have_text("Live", timeout=WAIT_MS)
    first, again = subscribed
    assert first == {"lastEventId": None}
    assert isinstance(again["lastEventId"], int)
    badge(page).to_have_text("2", timeout=WAIT_MS)


def test_the_preferences_panel_shows_both_switches_per_kind_and_saves_each_alone(
    windows: Windows, server: HeraldServer
) -> None:
    frank = windows.tab(windows.person(), "Frank")
    for kind in ("New leads", "Completed tasks", "Score changes", "New comments"):
        expect(frank.get_by_label(f"{kind} in Herald")).to_be_checked(timeout=WAIT_MS)
        expect(frank.get_by_label(f"{kind} by email")).to_be_checked()

    frank.get_by_label("New comments by email").uncheck()
    expect(frank.get_by_role("status").filter(has_text="Saved.")).to_be_visible(timeout=WAIT_MS)

    query = "{ notificationPreferences { type enabled email } }"
    saved = graphql(server, server.token("frank", "Frank"), query)["notificationPreferences"]
    assert {"type": "COMMENT_ADDED", "enabled": True, "email": False} in saved
    assert sum(not p["email"] for p in saved) == 1
    frank.reload()
    expect(frank.get_by_label("New comments by email")).not_to_be_checked(timeout=WAIT_MS)
    expect(frank.get_by_label("New comments in Herald")).to_be_checked()


def graphql(server: HeraldServer, token: str, query: str, **variables: Any) -> Any:
    response = httpx.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    return body["data"]


def create_lead_over_http(server: HeraldServer, token: str, name: str) -> None:
    graphql(server, token, "mutation($n: String!) { createLead(input: {name: $n}) { id } }", n=name)
