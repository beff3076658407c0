"""The SMTP client: sends a digest's email through aiosmtplib, and says whether to try again."""

from __future__ import annotations

import asyncio
import io
from email.generator import BytesGenerator
from typing import Literal
from urllib.parse import unquote, urlsplit

import aiosmtplib
import msgspec

from adapters.email.message import POLICY, DigestComposer, UnusableAddress
from adapters.system import SystemClock
from application.ports import Clock, EmailDeferred, EmailRefused, EmailUnavailable
from domain.emails import Digest

Security = Literal["plain", "starttls", "tls"]
_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("plain", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}
SMTP_URL_FORM = "smtp://, smtp+starttls:// or smtps://[user:password@]host[:port]"
# Each exchange with the server (connect, a command, the data) may take this long…
COMMAND_TIMEOUT_SECONDS = 15.0
# … and one email as a whole this long: far below the claim on its rows (5 minutes).
SEND_TIMEOUT_SECONDS = 60.0


class SmtpServer(msgspec.Struct, frozen=True, kw_only=True):
    host: str
    port: int
    security: Security = "plain"
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"SmtpServer({self.security}://{self.host}:{self.port})"


def parse_smtp_url(url: str) -> SmtpServer:
    """SMTP_URL as the contract writes it; ValueError (without the password) otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"SMTP_URL must look like {SMTP_URL_FORM}") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"SMTP_URL must look like {SMTP_URL_FORM}")
    if parts.query or parts.fragment:
        raise ValueError(f"SMTP_URL must look like {SMTP_URL_FORM} (no query or fragment)")
    security, default_port = _SCHEMES[scheme]
    if (parts.password is None) != (parts.username is None) or parts.username == "":
        raise ValueError("SMTP_URL must give both a user and a password, or neither")
    return SmtpServer(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        username=None if parts.username is None else unquote(parts.username),
        password=None if parts.password is None else unquote(parts.password),
    )


class AiosmtplibSender:
    """One connection per email: the channel sends at most one email per user and round."""

    def __init__(
        self,
        server: SmtpServer,
        composer: DigestComposer,
        clock: Clock | None = None,
        command_timeout: float = COMMAND_TIMEOUT_SECONDS,
        send_timeout: float = SEND_TIMEOUT_SECONDS,
    ) -> None:
        self._server, self._composer = server, composer
        self._clock: Clock = clock or SystemClock()
        self._command_timeout, self._send_timeout = command_timeout, send_timeout

    async def send(self, digest: Digest) -> None:
        try:
            message = self._composer.compose(digest, self._clock.now())
        except UnusableAddress as error:
            raise EmailRefused(f"the address {digest.address!r} is unusable: {error}") from error
        raw = io.BytesIO()
        BytesGenerator(raw, policy=POLICY).flatten(message)
        server = self._server
        client = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.security == "tls",
            start_tls=server.security == "starttls",
            timeout=self._command_timeout,
        )
        try:
            async with asyncio.timeout(self._send_timeout), client:
                await client.sendmail(
                    self._composer.sender.addr_spec, [digest.address], raw.getvalue()
                )
        except aiosmtplib.SMTPRecipientsRefused as error:
            # The one recipient refused: theirs alone, for good (5xx) or for now (4xx).
            codes = [refused.code for refused in error.recipients]
            first = error.recipients[0] if error.recipients else error
            if codes and all(code >= 500 for code in codes):
                raise EmailRefused(_describe(first)) from error
            raise EmailDeferred(_describe(first)) from error
        except aiosmtplib.SMTPDataError as error:
            if error.code >= 500:  # this message, refused for good
                raise EmailRefused(_describe(error)) from error
            raise EmailDeferred(_describe(error)) from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            # Down, slow, busy, or refusing us as a whole (sender, login): try again later,
            # every recipient.
            raise EmailUnavailable(_describe(error)) from error


def _describe(error: Exception) -> str:
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {' '.join(error.message.split())}"[:300]
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}"[:300] if text else type(error).__name__
