"""An email sender that keeps what it was asked to send, and can be told to fail."""

from __future__ import annotations

from application.ports import EmailDeferred, EmailRefused, EmailUnavailable
from domain.emails import Digest


class RecordingEmailSender:
    def __init__(self) -> None:
        self.sent: list[Digest] = []
        self.unavailable = False  # True: every send fails as if the server were down
        self.refused: set[str] = set()  # addresses the server refuses for good
        self.deferred: set[str] = set()  # addresses the server puts off for now

    async def send(self, digest: Digest) -> None:
        if self.unavailable:
            raise EmailUnavailable("the mail server does not answer")
        if digest.address in self.refused:
            raise EmailRefused(f"550 no such mailbox: {digest.address}")
        if digest.address in self.deferred:
            raise EmailDeferred(f"452 mailbox full: {digest.address}")
        self.sent.append(digest)
