"""The email scheduler of `herald serve`: rounds of SendDueEmails in the background, with a
backoff while the mail server is away. GraphQL and Socket.IO never wait on it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from application.email.send_due_emails import EmailRound, EmailRoundCutShort, SendDueEmails
from application.ports import EmailUnavailable
from entrypoints.background import BackgroundLoop
from entrypoints.metrics import Metrics

log = logging.getLogger("herald.email")

POLL_SECONDS = 1.0
MAX_PAUSE_SECONDS = 30.0
STOP_GRACE_SECONDS = 8.0  # under the 10 s a container is commonly given to stop


class EmailScheduler(BackgroundLoop):
    """Runs a round every `poll_seconds` (at once again while rounds come back full).

    When the mail server cannot be reached, the round's claims are given back and the next
    try waits 1, 2, 4 … at most 30 seconds; the failure is logged once per streak, and when it
    ends. A failure of the database is treated the same way. Every process may run one: claims
    keep them from sending the same email. `stop()` lets the user in progress finish (within
    `stop_grace` seconds) before it cancels the loop.
    """

    task_name = "herald-email"
    # On shutdown, the user in progress is sent and settled first (a send cut in the middle
    # would go again after a restart); the rest of the round is given back.
    stop_grace = STOP_GRACE_SECONDS

    def __init__(
        self,
        send_due_emails: Callable[[], SendDueEmails],
        metrics: Metrics,
        poll_seconds: float = POLL_SECONDS,
        max_pause: float = MAX_PAUSE_SECONDS,
    ) -> None:
        self._send, self._metrics = send_due_emails, metrics
        self._poll_seconds, self._max_pause = poll_seconds, max_pause
        self._failures = 0

    async def _run(self) -> None:
        while not self.stopping:
            self._working = True
            try:
                pause = await self.run_once()
            finally:
                self._working = False
            if pause and not self.stopping:
                await asyncio.sleep(pause)

    async def run_once(self) -> float:
        """One round; returns how long to wait before the next (0: go on at once)."""
        try:
            result = await self._send()(keep_going=lambda: not self.stopping)
        except Exception as error:
            return self._failed(error)
        self._succeeded(result)
        return 0.0 if result.more else self._poll_seconds

    def _failed(self, error: Exception) -> float:
        if isinstance(error, EmailRoundCutShort):
            self._count(error.done)  # what went before the server went away
        self._failures += 1
        if isinstance(error, EmailUnavailable):
            self._metrics.emails_failed.labels(reason="unavailable").inc()
        pause: float = min(self._poll_seconds * 2.0 ** min(self._failures - 1, 16), self._max_pause)
        if self._failures == 1:
            what = "the mail server" if isinstance(error, EmailUnavailable) else "email delivery"
            log.warning(
                "%s failed (%s); retrying with a backoff of up to %.0f s, logged again once it"
                " works",
                what,
                error,
                self._max_pause,
                exc_info=None if isinstance(error, EmailUnavailable) else error,
            )
        return pause

    def _succeeded(self, result: EmailRound) -> None:
        if self._failures:
            log.info("email delivery works again after %d failed tries", self._failures)
            self._failures = 0
        self._count(result)

    def _count(self, result: EmailRound) -> None:
        if result.sent:
            self._metrics.emails_sent.inc(result.sent)
        for reason, refusals, level, what in (
            ("deferred", result.deferred, logging.INFO, "put the email to user %s off for now"),
            ("refused", result.refused, logging.WARNING, "refused the email to user %s for good"),
        ):
            for refusal in refusals:
                self._metrics.emails_failed.labels(reason=reason).inc()
                log.log(level, f"the mail server {what}: %s", refusal.user_id, refusal.reason)
