"""End to end in a real browser: the live inbox page at `/`, signed in through development sign-in,
with two people (and two tabs of one of them) watching each other's actions arrive over Socket.IO.

Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright; Playwright's own browsers are
never downloaded. With `HERALD_INBOX_SCREENSHOT=docs/inbox.png` the first test also saves the
picture the README shows.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from e2e_support import HeraldServer, herald_env, start_server, stop_server

from network import free_port

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        Locator,
        Page,
        Route,
        ViewportSize,
        WebSocketRoute,
    )

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
def server(database_url: str) -> Iterator[HeraldServer]:
    """A `herald serve` with the default CORS_ORIGINS, which does not name its own address: the
    page's sockets pass the `Origin` check as the server's own origin."""
    port = free_port()
    env = herald_env(DATABASE_URL=database_url)
    running = start_server(env, port=port)
    try:
        yield running
    finally:
        stop_server(running.process)


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

    def tab(self, context: BrowserContext, name: str, *, live: bool = True) -> Page:
        """A new tab of `context` on the inbox page, signed in as `name` (and its socket live)."""
        page = context.new_page()
        page.on("console", lambda message: print(f"[{name}] {message.type}: {message.text}"))
        page.on("pageerror", lambda error: print(f"[{name}] page error: {error}"))
        page.goto(self._url)
        page.get_by_label("Your name").fill(name)
        page.get_by_role("button", name=f"Sign in as {name}").click()
        expect(page.get_by_text(f"{name} (")).to_be_visible()
        if live:
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
    """The bell's badge: how many notifications the user has not seen yet."""
    return expect(page.locator("#unseen-badge"))


def group_titles(page: Page) -> Any:
    return expect(page.locator(".group > .content .title"))


def group(page: Page, title: str) -> Locator:
    return page.locator(".group").filter(has=page.locator(".content .title", has_text=title))


def member_titles(page: Page) -> Any:
    return expect(page.locator(".members .item .title"))


def test_a_lead_reaches_a_teammate_live_and_mark_all_read_clears_both_of_their_tabs(
    windows: Windows,
) -> None:
    alice = windows.tab(windows.person(), "Alice")
    bob = windows.person()
    bob_here, bob_there = windows.tab(bob, "Bob"), windows.tab(bob, "Bob")

    create_lead(alice, "Umbrella Corp", "Umbrella")
    create_lead(alice, "Globex", "Globex Corporation")
    create_lead(alice, "Initech")

    for tab in (bob_here, bob_there):  # one actor's leads of one day are one group, live
        group_titles(tab).to_have_text(["3 new leads"], timeout=WAIT_MS)
        badge(tab).to_have_text("3", timeout=WAIT_MS)
        expect(tab.locator(".group .counts")).to_have_text("3 · 3 unread")
        expect(tab.locator(".group .actors")).to_have_text("by alice")
    badge(alice).to_be_hidden(timeout=WAIT_MS)  # the actor is not told of their own lead
    expect(alice.locator(".group")).to_have_count(0, timeout=WAIT_MS)

    # A background tab gets no animation frames, which Playwright's clicks wait for: switch to it,
    # as a person would.
    bob_here.bring_to_front()
    bob_here.get_by_role("button", name="Expand: 3 new leads").click()
    member_titles(bob_here).to_have_text(
        ["New lead: Initech", "New lead: Globex", "New lead: Umbrella Corp"]
    )
    bob_here.get_by_role("button", name="Mark read: New lead: Globex").click()
    for tab in (bob_here, bob_there):
        badge(tab).to_have_text("2", timeout=WAIT_MS)  # read implies seen
        expect(tab.locator(".group .counts")).to_have_text("3 · 2 unread", timeout=WAIT_MS)
    expect(bob_here.locator(".members .item.unread")).to_have_count(2)
    if target := os.environ.get("HERALD_INBOX_SCREENSHOT"):
        bob_here.wait_for_timeout(500)  # let the read item's background fade out
        bob_here.screenshot(path=target)

    bob_here.get_by_role("button", name="Mark all read").click()
    for tab in (bob_here, bob_there):
        badge(tab).to_be_hidden(timeout=WAIT_MS)
        expect(tab.locator(".group.unread")).to_have_count(0, timeout=WAIT_MS)
        expect(tab.get_by_role("status").filter(has_text="No unread notifications")).to_be_attached(
            timeout=WAIT_MS
        )
    expect(bob_here.locator(".members .item.unread")).to_have_count(0)

    bob_there.bring_to_front()
    bob_there.get_by_role("button", name="Expand: 3 new leads").click()
    bob_there.get_by_role("button", name="Delete: New lead: Umbrella Corp").click()
    for tab in (bob_here, bob_there):
        group_titles(tab).to_have_text(["2 new leads"], timeout=WAIT_MS)
        member_titles(tab).to_have_text(["New lead: Initech", "New lead: Globex"], timeout=WAIT_MS)


def test_a_comment_by_one_reaches_the_other_grouped_and_live_and_receipts_show_who_read_it(
    windows: Windows,
) -> None:
    olivia = windows.person()
    olivia_here, olivia_there = windows.tab(olivia, "Olivia"), windows.tab(olivia, "Olivia")
    peggy = windows.tab(windows.person(), "Peggy")
    olivia_here.bring_to_front()
    create_lead(olivia_here, "Hooli")

    peggy.get_by_role("button", name="Open the lead of: New lead: Hooli").click()
    expect(peggy.locator("#lead-title")).to_have_text("Hooli")
    expect(peggy.locator("#lead-facts")).to_contain_text("owner: olivia")
    comment(peggy, "Looks promising")
    for tab in (olivia_here, olivia_there):
        group_titles(tab).to_have_text(["New comment on Hooli"], timeout=WAIT_MS)
        badge(tab).to_have_text("1", timeout=WAIT_MS)
    comment(peggy, "Called them, they want a demo")
    for tab in (olivia_here, olivia_there):  # one group, at the top, with both
        group_titles(tab).to_have_text(["2 new comments on Hooli"], timeout=WAIT_MS)
        expect(tab.locator(".group .counts")).to_have_text("2 · 2 unread", timeout=WAIT_MS)
        expect(tab.locator(".group .actors")).to_have_text("by peggy")
        badge(tab).to_have_text("2", timeout=WAIT_MS)
    expect(peggy.locator("#lead-comments li")).to_have_text(
        ["You: Called them, they want a demo", "You: Looks promising"]
    )

    # Olivia's tabs confirmed the deliveries; Peggy's lead view looks again every few seconds.
    receipts = peggy.locator("#lead-sent .sent-item", has_text="New comment on Hooli").locator(
        ".receipt"
    )
    expect(receipts).to_have_text(["Olivia: delivered", "Olivia: delivered"], timeout=WAIT_MS)

    olivia_here.get_by_role("button", name="Notifications, 2 new").click()
    for tab in (olivia_here, olivia_there):  # opening the bell clears the badge of every tab
        badge(tab).to_be_hidden(timeout=WAIT_MS)
        expect(tab.locator(".group.unread")).to_have_count(1)  # seen is not read
    expect(receipts).to_have_text(["Olivia: seen", "Olivia: seen"], timeout=WAIT_MS)

    olivia_here.get_by_role("button", name="Expand: 2 new comments on Hooli").click()
    expect(olivia_here.locator(".members .item .message")).to_have_text(
        [
            "Peggy commented on Hooli: “Called them, they want a demo”",
            "Peggy commented on Hooli: “Looks promising”",
        ]
    )
    olivia_here.get_by_role("button", name="Mark group read: 2 new comments on Hooli").click()
    for tab in (olivia_here, olivia_there):
        expect(tab.locator(".group .counts")).to_have_text("2 · all read", timeout=WAIT_MS)
        expect(tab.locator(".group.unread")).to_have_count(0)
    peggy.get_by_role("button", name="Refresh").click()
    expect(receipts).to_have_text(["Olivia: read", "Olivia: read"], timeout=WAIT_MS)
    expect(
        peggy.locator("#lead-sent .sent-item", has_text="New comment on Hooli").locator(".meta")
    ).to_contain_text(
        ["1 told: 1 delivered, 1 seen, 1 read", "1 told: 1 delivered, 1 seen, 1 read"]
    )


def test_the_lead_view_completes_tasks_and_scores_and_the_owner_archives_and_unarchives(
    windows: Windows,
) -> None:
    ivan = windows.tab(windows.person(), "Ivan")
    judy = windows.tab(windows.person(), "Judy")
    name = "Acme <b>&</b> Sons"  # shown as it is written, never as markup
    create_lead(ivan, name)

    judy.bring_to_front()
    group_titles(judy).to_contain_text([f"New lead: {name}"], timeout=WAIT_MS)
    expect(judy.locator(".group .title b")).to_have_count(0)
    judy.get_by_role("button", name=f"Open the lead of: New lead: {name}").click()
    expect(judy.locator("#lead-title")).to_have_text(name)
    judy.get_by_placeholder("New task").fill("Call back")
    judy.get_by_role("button", name="Add task").click()
    judy.get_by_role("button", name="Complete: Call back").click()
    expect(judy.locator("#lead-tasks li")).to_have_text(["Call back · done"])
    judy.get_by_label("Score", exact=True).fill("42")
    judy.get_by_role("button", name="Save score").click()
    expect(judy.locator("#lead-facts")).to_contain_text("score 42")

    ivan.bring_to_front()
    group_titles(ivan).to_have_text(
        [f"Score of {name}: 42", "Task completed: Call back"], timeout=WAIT_MS
    )
    badge(ivan).to_have_text("2", timeout=WAIT_MS)
    ivan.get_by_role("button", name="Open the lead of: Task completed: Call back").click()
    expect(ivan.locator("#lead-tasks li")).to_contain_text(
        [f"Judy completed “Call back” on {name}"]
    )

    ivan.get_by_role("button", name="Expand: Task completed: Call back").click()
    ivan.get_by_role("button", name="Archive: Task completed: Call back").click()
    group_titles(ivan).to_have_text([f"Score of {name}: 42"], timeout=WAIT_MS)
    badge(ivan).to_have_text("1", timeout=WAIT_MS)
    ivan.get_by_role("button", name="Archived", exact=True).click()
    expect(ivan.locator(".item .title")).to_have_text(["Task completed: Call back"])
    ivan.get_by_role("button", name="Unarchive: Task completed: Call back").click()
    expect(ivan.locator(".item")).to_have_count(0)
    expect(ivan.get_by_text("Nothing archived.")).to_be_visible()
    ivan.get_by_role("button", name="Inbox", exact=True).click()
    group_titles(ivan).to_have_text(
        [f"Score of {name}: 42", "Task completed: Call back"], timeout=WAIT_MS
    )
    badge(ivan).to_have_text("2", timeout=WAIT_MS)  # unarchived as it was: unseen, unread

    ivan.get_by_role("button", name=f"Expand: Score of {name}: 42").click()
    ivan.get_by_role("button", name=f"Mark read: Score of {name}: 42").click()
    expect(group(ivan, f"Score of {name}").locator(".counts")).to_have_text("1 · all read")
    ivan.get_by_role("button", name=f"Mark unread: Score of {name}: 42").click()
    expect(group(ivan, f"Score of {name}").locator(".counts")).to_have_text("1 · 1 unread")
    badge(ivan).to_have_text("1", timeout=WAIT_MS)  # unread again, but seen already


def comment(page: Page, body: str) -> None:
    page.get_by_placeholder("Write a comment").fill(body)
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#lead-status")).to_have_text("Comment added.")


def test_the_inbox_loads_older_pages_of_groups_as_it_is_scrolled(
    windows: Windows, server: HeraldServer
) -> None:
    # Dave owns 25 leads and Carol changes the score of each: 25 groups, one per lead.
    dave, carol = server.token("dave", "Dave"), server.token("carol", "Carol")
    for number in range(25):
        lead = graphql(
            server,
            dave,
            "mutation($n: String!) { createLead(input: {name: $n}) { id } }",
            n=f"Lead {number:02}",
        )["createLead"]["id"]
        graphql(
            server,
            carol,
            "mutation($id: ID!) { updateLeadScore(id: $id, score: 7) { id } }",
            id=lead,
        )

    page = windows.tab(windows.person(), "Dave")
    expect(page.locator(".group")).to_have_count(20, timeout=WAIT_MS)
    badge(page).to_have_text("25", timeout=WAIT_MS)
    expect(page.locator(".group .title").first).to_have_text("Score of Lead 24: 7")

    page.get_by_role("button", name="Load older notifications").scroll_into_view_if_needed()
    expect(page.locator(".group")).to_have_count(25, timeout=WAIT_MS)
    expect(page.locator(".group .title").last).to_have_text("Score of Lead 00: 7")
    expect(page.get_by_text("That is everything.")).to_be_visible(timeout=WAIT_MS)


def test_after_a_dropped_connection_the_page_reconnects_from_its_last_event(
    windows: Windows, server: HeraldServer
) -> None:
    """The page's Socket.IO goes through Playwright, which records what the page connects with,
    and can cut the line and keep it cut."""
    connected: list[dict[str, Any]] = []
    confirmed: list[dict[str, Any]] = []
    lines: list[tuple[WebSocketRoute, WebSocketRoute]] = []
    cut = False

    def through_playwright(page_side: WebSocketRoute) -> None:
        if cut:
            page_side.close(code=4000, reason="still cut")
            return
        server_side = page_side.connect_to_server()
        lines.append((page_side, server_side))

        def from_page(message: str | bytes) -> None:
            text = message if isinstance(message, str) else message.decode()
            if text.startswith("40"):  # Socket.IO's connect, with the handshake's auth
                connected.append(json.loads(text[2:]))
            elif text.startswith('42["notifications:delivered"'):
                confirmed.append(json.loads(text[2:])[1])
            server_side.send(message)

        page_side.on_message(from_page)

    frank = windows.person()
    frank.route_web_socket("**/socket.io/**", through_playwright)
    page = windows.tab(frank, "Frank")
    create_lead_over_http(server, server.token("grace", "Grace"), "Before the drop")
    group_titles(page).to_have_text(["New lead: Before the drop"], timeout=WAIT_MS)

    cut = True
    page_side, server_side = lines[-1]
    page_side.close(code=4000, reason="the line was cut")
    server_side.close()
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    create_lead_over_http(server, server.token("heidi", "Heidi"), "While away")
    expect(page.locator(".group")).to_have_count(1)  # nothing reaches the page meanwhile
    cut = False

    group_titles(page).to_have_text(
        ["New lead: While away", "New lead: Before the drop"], timeout=WAIT_MS
    )
    expect(page.locator("#connection")).to_have_text("Live", timeout=WAIT_MS)
    first, again = connected[0], connected[-1]
    assert first["lastEventId"] is None
    assert isinstance(again["lastEventId"], int)
    badge(page).to_have_text("2", timeout=WAIT_MS)
    # Both deliveries confirmed, the second after the reconnection; the server records them.
    expect(page.locator("#connection")).to_have_text("Live")
    query = "{ notificationFeed { edges { node { title deliveredAt } } } }"
    frank_token = server.token("frank", "Frank")
    for _ in range(50):
        feed = graphql(server, frank_token, query)["notificationFeed"]["edges"]
        if len(confirmed) == 2 and all(edge["node"]["deliveredAt"] for edge in feed):
            break
        # Waiting in Playwright, not in time.sleep: only then does it pass on what the page
        # sends (its confirmation may come up to two seconds after the last one).
        page.wait_for_timeout(100)
    assert [edge["node"]["deliveredAt"] is not None for edge in feed] == [True, True], feed
    assert len(confirmed) == 2, confirmed
    assert confirmed[0]["eventId"] <= again["lastEventId"] < confirmed[1]["eventId"]


def test_the_inbox_is_read_again_when_its_first_read_fails(
    windows: Windows, server: HeraldServer
) -> None:
    failed: list[str] = []

    def first_inbox_read_fails(route: Route) -> None:
        if not failed and "query Inbox" in (route.request.post_data or ""):
            failed.append(route.request.url)
            route.fulfill(status=503, body="busy")
        else:
            route.continue_()

    graphql(server, server.token("uma", "Uma"), "{ getUnreadCount }")  # registered: told
    create_lead_over_http(server, server.token("trent", "Trent"), "Read on the second try")
    uma = windows.person()
    uma.route("**/graphql", first_inbox_read_fails)
    page = windows.tab(uma, "Uma")

    group_titles(page).to_have_text(["New lead: Read on the second try"], timeout=WAIT_MS)
    badge(page).to_have_text("1", timeout=WAIT_MS)
    assert failed


def test_the_inbox_loads_while_the_socket_is_refused_and_says_why(
    windows: Windows, server: HeraldServer
) -> None:
    """A user with too many sockets open elsewhere still reads their inbox over GraphQL."""

    def refused(page_side: WebSocketRoute) -> None:  # as the server refuses one socket too many
        handshake = {"sid": "s", "upgrades": [], "pingInterval": 25_000, "pingTimeout": 20_000}
        page_side.send("0" + json.dumps(handshake))

        def from_page(message: str | bytes) -> None:
            if (message if isinstance(message, str) else message.decode()).startswith("40"):
                page_side.send('44{"message":"too-many-connections"}')

        page_side.on_message(from_page)

    graphql(server, server.token("walter", "Walter"), "{ getUnreadCount }")  # registered: told
    create_lead_over_http(server, server.token("victor", "Victor"), "Read without a socket")
    walter = windows.person()
    walter.route_web_socket("**/socket.io/**", refused)
    page = windows.tab(walter, "Walter", live=False)

    group_titles(page).to_have_text(["New lead: Read without a socket"], timeout=WAIT_MS)
    badge(page).to_have_text("1", timeout=WAIT_MS)
    expect(page.locator("#connection")).to_contain_text("Refused (too-many-connections)")


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
    """One GraphQL request; past the per-user rate limit it waits a little and tries again."""
    for _ in range(50):
        response = httpx.post(
            f"{server.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        if response.status_code != 429:
            break
        time.sleep(0.1)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    return body["data"]


def create_lead_over_http(server: HeraldServer, token: str, name: str) -> None:
    graphql(server, token, "mutation($n: String!) { createLead(input: {name: $n}) { id } }", n=name)
