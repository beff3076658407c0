"""The SMTP client against a real SMTP server (aiosmtpd on loopback): the email as a mail client
receives it, parsed back with the standard library, and the server's answers turned into "try
again" or "refused for good"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from adapters.email.message import DigestComposer
from adapters.email.smtp import AiosmtplibSender, parse_smtp_url
from adapters.unsubscribe import HmacUnsubscribeTokens
from application.ports import EmailDeferred, EmailRefused, EmailUnavailable
from domain.emails import Digest
from domain.notifications import Notification, NotificationType
from network import free_port
from smtp_server import SmtpServer

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
TOKENS = HmacUnsubscribeTokens("k" * 32)
# A user id long enough that its link passes 78 characters, where default headers fold.
USER_ID = "user-" + "x" * 60


def a_digest(*titles: str, address: str = "bob@example.com") -> Digest:
    notifications = tuple(
        Notification(
            uuid4(),
            NotificationType.LEAD_CREATED,
            title,
            f"Alice created the lead “{title}”",
            None,
            "alice",
            NOW,
        )
        for title in titles
    )
    return Digest(USER_ID, "Bob Example", address, notifications)


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def sender_for(url: str) -> AiosmtplibSender:
    composer = DigestComposer("Herald <herald@crm.example>", "https://herald.example.com", TOKENS)
    return AiosmtplibSender(parse_smtp_url(url), composer, command_timeout=5, send_timeout=10)


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    assert part.get_content_type() == f"text/{subtype}"
    content: str = part.get_content()
    return content


async def test_the_email_arrives_with_the_contracts_headers_and_both_parts(
    server: SmtpServer,
) -> None:
    await sender_for(server.url).send(a_digest("New lead: <script>alert(1)</script>", "Globex"))

    (message,) = server.mailbox.wait_for(1)
    token = TOKENS.issue(USER_ID)
    assert message["From"] == "Herald <herald@crm.example>"
    assert message["To"] == "Bob Example <bob@example.com>"
    assert message["Subject"] == "2 new notifications"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Exactly as written, on one line in the raw message: neither folded nor encoded.
    link = f"<https://herald.example.com/unsubscribe/{token}>"
    assert message["List-Unsubscribe"] == link
    assert f"List-Unsubscribe: {link}\r\n".encode() in server.mailbox.raw[0]
    assert message["Message-ID"].startswith("<")
    assert message["Message-ID"].endswith("@crm.example>")
    text, html = body(message, "plain"), body(message, "html")
    assert "https://herald.example.com" in text
    assert "“Globex”" in text
    assert "New lead: <script>alert(1)</script>" in text  # text is text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html
    assert 'href="https://herald.example.com"' in html
    assert "<img" not in html
    assert "src=" not in html


async def test_each_email_has_its_own_message_id(server: SmtpServer) -> None:
    sender = sender_for(server.url)
    await sender.send(a_digest("One"))
    await sender.send(a_digest("One"))

    first, second = server.mailbox.wait_for(2)
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Subject"] == "One"


async def test_a_permanent_refusal_of_the_recipient_is_refused_for_good(
    server: SmtpServer,
) -> None:
    server.mailbox.refuse["gone@example.com"] = "550 5.1.1 No such mailbox"

    with pytest.raises(EmailRefused, match="550"):
        await sender_for(server.url).send(a_digest("One", address="gone@example.com"))


async def test_a_temporary_refusal_of_the_recipient_puts_them_alone_off(
    server: SmtpServer,
) -> None:
    server.mailbox.refuse["busy@example.com"] = "451 4.3.0 Try again later"

    with pytest.raises(EmailDeferred, match="451"):
        await sender_for(server.url).send(a_digest("One", address="busy@example.com"))


async def test_a_temporary_refusal_of_the_message_puts_its_recipient_off(
    server: SmtpServer,
) -> None:
    server.mailbox.refuse_data = "451 4.7.1 Greylisted, try again later"

    with pytest.raises(EmailDeferred, match="451"):
        await sender_for(server.url).send(a_digest("One"))


async def test_a_refused_sender_is_tried_again_for_everyone(server: SmtpServer) -> None:
    server.mailbox.refuse_sender = "451 4.3.0 Sender not accepted now"

    with pytest.raises(EmailUnavailable, match="451"):
        await sender_for(server.url).send(a_digest("One"))


async def test_no_server_is_tried_again() -> None:
    with pytest.raises(EmailUnavailable):
        await sender_for(f"smtp://127.0.0.1:{free_port()}").send(a_digest("One"))


async def test_an_address_no_header_can_carry_is_refused_for_good(server: SmtpServer) -> None:
    with pytest.raises(EmailRefused):
        await sender_for(server.url).send(a_digest("One", address="bob@@example.com"))


def accept_herald(
    server: object, session: object, envelope: object, mechanism: str, auth_data: Any
) -> AuthResult:
    good = isinstance(auth_data, LoginPassword) and auth_data == (b"herald", b"s3cret:/@")
    return AuthResult(success=good, handled=False)  # aiosmtpd answers 235 or 535 itself


@pytest.fixture
def guarded() -> Iterator[SmtpServer]:
    server = SmtpServer(authenticator=accept_herald, auth_require_tls=False, auth_required=True)
    yield server.start()
    server.stop()


# Plain AUTH on loopback, as a test server: aiosmtpd warns of it in production.
no_tls_warning = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@no_tls_warning
async def test_it_authenticates_with_the_urls_user_and_password(guarded: SmtpServer) -> None:
    url = f"smtp://herald:s3cret%3A%2F%40@127.0.0.1:{guarded.port}"

    await sender_for(url).send(a_digest("One"))

    assert guarded.mailbox.wait_for(1)[0]["Subject"] == "One"


@no_tls_warning
async def test_a_refused_login_is_tried_again(guarded: SmtpServer) -> None:
    with pytest.raises(EmailUnavailable, match="535"):
        await sender_for(f"smtp://herald:wrong@127.0.0.1:{guarded.port}").send(a_digest("One"))


async def test_starttls_is_required_when_the_url_asks_for_it(server: SmtpServer) -> None:
    # This server offers no STARTTLS: nothing may go in the clear.
    with pytest.raises(EmailUnavailable):
        await sender_for(f"smtp+starttls://127.0.0.1:{server.port}").send(a_digest("One"))

    assert server.mailbox.messages == []


async def test_a_line_break_in_a_title_or_name_is_one_space_in_the_headers(
    server: SmtpServer,
) -> None:
    digest = a_digest("New lead: Acme\nCorp")
    digest = Digest(digest.user_id, "Bob\r\nExample", digest.address, digest.notifications)

    await sender_for(server.url).send(digest)

    (message,) = server.mailbox.wait_for(1)
    assert message["Subject"] == "New lead: Acme Corp"
    assert message["To"] == "Bob Example <bob@example.com>"
