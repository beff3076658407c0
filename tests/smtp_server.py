"""A real SMTP server for the tests: aiosmtpd's Controller on a free loopback port, keeping every
message it accepts, parsed back with the standard library."""

from __future__ import annotations

import email
import email.policy
import logging
import threading
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from network import free_port

# The server's thread logs each connection's end at INFO, sometimes after a test's output
# capture has closed its stream; its warnings and errors still show.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class Mailbox:
    """The server's handler: accepts mail, or answers a recipient with the code set for it."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.refuse: dict[str, str] = {}  # recipient → the answer to RCPT, e.g. "550 …"
        self.refuse_sender: str | None = None  # the answer to MAIL FROM, e.g. "451 …"
        self.refuse_data: str | None = None  # the answer to DATA, e.g. "451 …"
        self._lock = threading.Lock()

    async def handle_MAIL(  # aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any
    ) -> str:
        if self.refuse_sender is not None:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data is not None:
            return self.refuse_data
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.raw.append(raw)
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"].addresses[0].addr_spec == address]

    def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        """At least `count` messages, waiting at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self._lock:
            raise AssertionError(f"{len(self.messages)} messages arrived, not {count}")


class SmtpServer:
    """Started and stopped at will, always on the same port (as a mail server that went away
    and came back)."""

    def __init__(
        self, mailbox: Mailbox | None = None, port: int | None = None, **smtp: Any
    ) -> None:
        """`smtp`: aiosmtpd's SMTP options, e.g. an `authenticator`."""
        self.mailbox = mailbox or Mailbox()
        self.port = port or free_port()
        self._smtp = smtp
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        self._controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, **self._smtp
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
