"""The email of a digest, as mail clients read it: headers, a text part and an HTML part."""

from __future__ import annotations

import email.policy
import html
from datetime import datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib.resources import files
from string import Template

from adapters.unsubscribe import HmacUnsubscribeTokens
from domain.emails import Digest
from domain.notifications import Notification

# Headers are written as they are, up to SMTP's own line limit: the default policy would fold a
# long List-Unsubscribe, and RFC 2047-encode it, and mail clients could no longer read the URL.
POLICY = email.policy.SMTP.clone(max_line_length=998)
DEFAULT_SENDER = "Herald <herald@localhost>"

_templates = files(__package__ or "adapters.email").joinpath("templates")
_PAGE = Template(_templates.joinpath("digest.html").read_text(encoding="utf-8"))
_ITEM = Template(_templates.joinpath("item.html").read_text(encoding="utf-8"))


class UnusableAddress(ValueError):
    """The recipient's address cannot be written in a header: no server would take it."""


def header_text(text: str) -> str:
    """Text on one header line: every run of whitespace, line breaks too, as one space."""
    return " ".join(text.split())


def parse_sender(value: str) -> Address:
    """`Name <address>` or a bare address, as EMAIL_FROM gives it; ValueError otherwise."""
    message = EmailMessage(policy=POLICY)
    try:
        message["From"] = value
        addresses: tuple[Address, ...] = message["From"].addresses
    except (MessageError, IndexError) as error:
        raise ValueError(f"not one email address: {value!r}") from error
    if len(addresses) != 1 or message["From"].defects or "@" not in addresses[0].addr_spec:
        raise ValueError(f"not one email address: {value!r}")
    return addresses[0]


class DigestComposer:
    """Builds the email of a digest: From `sender`, links to `public_url`, and a one-click
    unsubscribe link signed for the recipient."""

    def __init__(self, sender: str, public_url: str, tokens: HmacUnsubscribeTokens) -> None:
        self.sender = parse_sender(sender)
        self._public_url, self._tokens = public_url.rstrip("/"), tokens

    def unsubscribe_url(self, user_id: str) -> str:
        return f"{self._public_url}/unsubscribe/{self._tokens.issue(user_id)}"

    def compose(self, digest: Digest, now: datetime) -> EmailMessage:
        """Raises UnusableAddress when the recipient's address cannot be written in a header."""
        try:
            recipient = Address(
                display_name=header_text(digest.name or ""), addr_spec=digest.address
            )
        except (MessageError, ValueError) as error:  # the parser raises both
            raise UnusableAddress(str(error)) from error
        unsubscribe = self.unsubscribe_url(digest.user_id)
        message = EmailMessage(policy=POLICY)
        message["From"] = self.sender
        try:
            message["To"] = recipient
        except ValueError as error:
            raise UnusableAddress(str(error)) from error
        message["Subject"] = header_text(digest.subject)
        message["Date"] = format_datetime(now)
        message["Message-ID"] = make_msgid("herald", domain=self.sender.domain or None)
        message["Auto-Submitted"] = "auto-generated"
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(self._text(digest, unsubscribe), cte="quoted-printable")
        message.add_alternative(
            self._html(digest, unsubscribe), subtype="html", cte="quoted-printable"
        )
        return message

    def _text(self, digest: Digest, unsubscribe: str) -> str:
        lines = [f"{_greeting(digest)}", "", _heading(digest) + ":", ""]
        for notification in digest.notifications:
            lines += [
                f"* {notification.title}",
                f"  {notification.message}",
                f"  {_when(notification)}",
                "",
            ]
        lines += [
            f"Open Herald: {self._public_url}",
            "",
            "--",
            "You get this email because these notifications waited unread in Herald.",
            f"Stop these emails: {unsubscribe}",
        ]
        return "\n".join(lines) + "\n"

    def _html(self, digest: Digest, unsubscribe: str) -> str:
        items = "".join(
            _ITEM.substitute(
                title=html.escape(n.title),
                message=html.escape(n.message),
                when=html.escape(_when(n)),
            )
            for n in digest.notifications
        )
        return _PAGE.substitute(
            subject=html.escape(digest.subject),
            heading=html.escape(_heading(digest)),
            greeting=html.escape(_greeting(digest)),
            items=items,
            public_url=html.escape(self._public_url),
            unsubscribe_url=html.escape(unsubscribe),
        )


def _greeting(digest: Digest) -> str:
    return f"Hello {digest.name}," if digest.name else "Hello,"


def _heading(digest: Digest) -> str:
    count = len(digest.notifications)
    return (
        "A notification waited for you" if count == 1 else f"{count} notifications waited for you"
    )


def _when(notification: Notification) -> str:
    return notification.created_at.strftime("%d %b %Y, %H:%M UTC")
