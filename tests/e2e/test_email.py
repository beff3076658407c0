"""The email channel end to end: `herald serve` on PostgreSQL with EMAIL_DELAY_SECONDS=1, and a
real SMTP server (aiosmtpd on loopback) that the emails arrive at, parsed back with the standard
library. Who gets one, once; across `kill -9`, a mail server that goes away, and two processes."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from e2e_support import SECRET, HeraldServer, herald_env, start_server, stop_server

from adapters.jwt.tokens import JwtTokenIssuer
from smtp_server import SmtpServer

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

DELAY = 1
QUIET_SECONDS = 2.5  # more than the delay and a round: what was to come has come
CREATE_LEAD = "mutation($n: String!) { createLead(input: {name: $n}) { id } }"
ISSUER = JwtTokenIssuer(SECRET)


def token(user_id: str, email: str | None = "") -> str:
    address = f"{user_id}@example.com" if email == "" else email
    return ISSUER.issue(user_id, name=user_id.title(), email=address, ttl=timedelta(hours=1))


async def graphql(server: HeraldServer, user_id: str, query: str, **variables: object) -> dict:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={
                "Authorization": f"Bearer {token(user_id, None if user_id == 'erin' else '')}"
            },
        )
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"])


async def sign_in(server: HeraldServer, *user_ids: str) -> None:
    for user_id in user_ids:
        await graphql(server, user_id, "{ getUnreadCount }")


def titles(message: EmailMessage) -> list[str]:
    """The notifications' titles, as the text part lists them."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return re.findall(r"^\* (.+?)\r?$", part.get_content(), flags=re.MULTILINE)


def emailed(smtp: SmtpServer) -> dict[str, list[list[str]]]:
    """By recipient, the titles of each email they got."""
    found: dict[str, list[list[str]]] = {}
    for message in list(smtp.mailbox.messages):
        found.setdefault(message["To"].addresses[0].username, []).append(titles(message))
    return found


def metric(server: HeraldServer, name: str) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=5).text
    series = rf"^{re.escape(name)}(?:\{{[^}}]*\}})? (\S+)$"  # every label set, summed
    values = [float(v) for v in re.findall(series, text, re.MULTILINE)]
    return sum(values)


def screenshot(html: str, target: Path) -> None:
    """The HTML part as a mail client without remote content shows it (docs/email.png)."""
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "email.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run(
            [
                "/usr/bin/chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=720,640",
                f"--screenshot={target.resolve()}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )


def metric_reaches(server: HeraldServer, name: str, value: float, within: float) -> bool:
    deadline = time.monotonic() + within
    while metric(server, name) < value:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def status(url: str) -> int:
    return httpx.get(url, timeout=5).status_code


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def email_env(database_url: str, smtp: SmtpServer) -> dict[str, str]:
    return herald_env(
        DATABASE_URL=database_url,
        SMTP_URL=smtp.url,
        EMAIL_DELAY_SECONDS=str(DELAY),
        PUBLIC_URL="https://herald.example.com",
    )


@pytest.fixture
def emailing(own_database_url: str, smtp: SmtpServer) -> Iterator[HeraldServer]:
    running = start_server(email_env(own_database_url, smtp))
    yield running
    if running.process.poll() is None:
        stop_server(running.process)


async def test_who_gets_one_email_for_what_waited(emailing: HeraldServer, smtp: SmtpServer) -> None:
    # Bob is away; Carol reads at once; Dave wants no email of new leads; Erin has no address.
    await sign_in(emailing, "alice", "bob", "carol", "dave", "erin")
    await graphql(
        emailing,
        "dave",
        "mutation { setNotificationPreference(type: LEAD_CREATED, enabled: true, email: false)"
        " { email } }",
    )
    await graphql(emailing, "alice", CREATE_LEAD, n="Umbrella Corp")
    await graphql(emailing, "alice", CREATE_LEAD, n="<script>Globex</script>")
    await graphql(emailing, "carol", "mutation { markAllAsRead }")

    (message,) = smtp.mailbox.wait_for(1)
    await asyncio.sleep(QUIET_SECONDS)

    both = ["New lead: <script>Globex</script>", "New lead: Umbrella Corp"]
    assert emailed(smtp) == {"bob": [both]}
    assert message["Subject"] == "2 new notifications"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"]
    assert link.startswith("<https://herald.example.com/unsubscribe/")
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "&lt;script&gt;Globex&lt;/script&gt;" in html.get_content()
    if target := os.environ.get("HERALD_EMAIL_SCREENSHOT"):
        screenshot(html.get_content(), Path(target))
    assert metric(emailing, "herald_emails_sent_total") == 1

    # The link, on this server: GET changes nothing, POST turns Bob's email off.
    path = link.removeprefix("<https://herald.example.com").removesuffix(">")
    async with httpx.AsyncClient(base_url=emailing.url, timeout=10) as http:
        assert (await http.get(path)).status_code == 200
        assert (await http.post(path, content="List-Unsubscribe=One-Click")).status_code == 200
        assert (await http.post(path[:-2] + "xx")).status_code == 400
    preferences = await graphql(emailing, "bob", "{ notificationPreferences { enabled email } }")
    assert preferences["notificationPreferences"] == [{"enabled": True, "email": False}] * 4
    await graphql(emailing, "alice", CREATE_LEAD, n="Initech")
    smtp.mailbox.wait_for(2)
    await asyncio.sleep(QUIET_SECONDS)
    # Carol, away this time, hears of it; Bob, unsubscribed, does not.
    assert emailed(smtp) == {"bob": [both], "carol": [["New lead: Initech"]]}


async def test_who_opened_the_bell_before_it_fell_due_gets_no_email(
    emailing: HeraldServer, smtp: SmtpServer
) -> None:
    # Bob opens the bell at once; Carol is away.
    await sign_in(emailing, "alice", "bob", "carol")
    await graphql(emailing, "alice", CREATE_LEAD, n="Umbrella Corp")
    assert await graphql(emailing, "bob", "mutation { markAllAsSeen }") == {"markAllAsSeen": 1}

    smtp.mailbox.wait_for(1)
    await asyncio.sleep(QUIET_SECONDS)

    assert emailed(smtp) == {"carol": [["New lead: Umbrella Corp"]]}
    # Seen is not read: it waits in Bob's inbox, unread, and no longer new.
    counts = await graphql(emailing, "bob", "{ inboxCounts { unread unseen total } }")
    assert counts == {"inboxCounts": {"unread": 1, "unseen": 0, "total": 1}}

    # What arrives after the bell was opened is new again, and emailed alone.
    await graphql(emailing, "alice", CREATE_LEAD, n="Globex")
    smtp.mailbox.wait_for(3)
    await asyncio.sleep(QUIET_SECONDS)

    assert emailed(smtp) == {
        "carol": [["New lead: Umbrella Corp"], ["New lead: Globex"]],
        "bob": [["New lead: Globex"]],
    }


async def test_an_email_due_across_kill_9_arrives_once_after_restart(
    emailing: HeraldServer, smtp: SmtpServer, own_database_url: str
) -> None:
    await sign_in(emailing, "alice", "bob")
    await graphql(emailing, "alice", CREATE_LEAD, n="Committed, then crash")
    emailing.process.kill()  # kill -9 before the email is due
    emailing.process.wait()
    port = int(emailing.url.rsplit(":", 1)[1])

    restarted = start_server(email_env(own_database_url, smtp), port=port)
    try:
        smtp.mailbox.wait_for(1)
        await asyncio.sleep(QUIET_SECONDS)
    finally:
        stop_server(restarted.process)

    assert emailed(smtp) == {"bob": [["New lead: Committed, then crash"]]}


async def test_with_the_mail_server_away_the_email_arrives_once_it_is_back(
    emailing: HeraldServer, smtp: SmtpServer
) -> None:
    await sign_in(emailing, "alice", "bob")
    smtp.stop()
    await graphql(emailing, "alice", CREATE_LEAD, n="Sent late")
    # Tried, and tried again after a pause.
    assert metric_reaches(emailing, "herald_emails_failed_total", 2, within=10)

    smtp.start()
    smtp.mailbox.wait_for(1, timeout=35)  # the backoff is at most 30 s
    await asyncio.sleep(QUIET_SECONDS)

    assert emailed(smtp) == {"bob": [["New lead: Sent late"]]}
    assert metric(emailing, "herald_emails_sent_total") == 1
    assert status(f"{emailing.url}/ready") == 200  # never depended on the mail server


async def test_two_processes_on_one_database_email_each_notification_once(
    emailing: HeraldServer, smtp: SmtpServer, own_database_url: str
) -> None:
    other = start_server(email_env(own_database_url, smtp))
    try:
        team = [f"user-{n}" for n in range(6)]
        await sign_in(emailing, "alice", *team)
        for n in range(6):
            await graphql(emailing if n % 2 else other, "alice", CREATE_LEAD, n=f"Lead {n}")
            await asyncio.sleep(0.3)  # spread over several rounds of both processes
        smtp.mailbox.wait_for(len(team))
        await asyncio.sleep(QUIET_SECONDS + DELAY)
    finally:
        stop_server(other.process)

    got = emailed(smtp)
    assert sorted(got) == team
    for user_id in team:
        each = Counter(title for email in got[user_id] for title in email)
        assert each == Counter(f"New lead: Lead {n}" for n in range(6)), user_id
