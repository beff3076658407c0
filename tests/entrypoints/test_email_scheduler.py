"""The email scheduler's rounds: a backoff of at most 30 s while the mail server is away, one log
line per failure streak and one when it ends, and the emails counted in /metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from application.email.send_due_emails import EmailRound, EmailRoundCutShort, Refusal
from application.ports import EmailUnavailable
from entrypoints.emails import EmailScheduler
from entrypoints.metrics import Metrics


class Rounds:
    """Stands in for SendDueEmails: each call gives the next answer, or raises it."""

    def __init__(self, *answers: EmailRound | Exception) -> None:
        self._answers = list(answers)

    async def __call__(self, keep_going: Callable[[], bool] = lambda: True) -> EmailRound:
        answer = self._answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def scheduler(*answers: EmailRound | Exception) -> tuple[EmailScheduler, Metrics]:
    rounds, metrics = Rounds(*answers), Metrics()
    return EmailScheduler(lambda: rounds, metrics), metrics  # type: ignore[arg-type]


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


async def test_the_pause_doubles_up_to_30_seconds_and_resets_once_it_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = EmailUnavailable("Connection refused")
    emails, metrics = scheduler(*[down] * 7, EmailRound(sent=2), EmailRound(more=True))

    with caplog.at_level(logging.INFO, logger="herald.email"):
        pauses = [await emails.run_once() for _ in range(9)]

    assert pauses == [1, 2, 4, 8, 16, 30, 30, 1, 0]
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    assert "Connection refused" in caplog.records[0].getMessage()
    assert "after 7 failed tries" in caplog.records[1].getMessage()
    assert sample(metrics, "herald_emails_failed_total", reason="unavailable") == 7
    assert sample(metrics, "herald_emails_sent_total") == 2


@pytest.mark.parametrize(
    ("reason", "answer"),
    [
        ("refused", EmailRound(sent=1, refused=(Refusal("bob", "550 5.1.1 No such mailbox"),))),
        # One recipient put off for now is theirs alone: no backoff for everyone.
        ("deferred", EmailRound(sent=1, deferred=(Refusal("bob", "452 4.2.2 Mailbox full"),))),
    ],
)
async def test_a_refusal_is_logged_and_counted_without_a_pause(
    reason: str, answer: EmailRound, caplog: pytest.LogCaptureFixture
) -> None:
    emails, metrics = scheduler(answer)

    with caplog.at_level(logging.INFO, logger="herald.email"):
        assert await emails.run_once() == 1

    (refusal,) = answer.refused + answer.deferred
    assert [refusal.reason in r.getMessage() for r in caplog.records] == [True]
    assert sample(metrics, "herald_emails_failed_total", reason=reason) == 1
    assert sample(metrics, "herald_emails_failed_total", reason="unavailable") == 0
    assert sample(metrics, "herald_emails_sent_total") == 1


class OneUserAtATime:
    """Stands in for SendDueEmails: a round of two users, each send held until `go` is set."""

    def __init__(self) -> None:
        self.sending, self.go = asyncio.Event(), asyncio.Event()
        self.settled: list[str] = []

    async def __call__(self, keep_going: Callable[[], bool] = lambda: True) -> EmailRound:
        for user_id in ["bob", "carol"]:
            if not keep_going():
                break
            self.sending.set()
            await self.go.wait()
            self.settled.append(user_id)
        return EmailRound(sent=len(self.settled))


async def test_stop_lets_the_user_in_progress_finish_and_begins_no_other() -> None:
    rounds = OneUserAtATime()
    emails = EmailScheduler(lambda: rounds, Metrics())  # type: ignore[arg-type]
    emails.start()
    await asyncio.wait_for(rounds.sending.wait(), 5)

    stopping = asyncio.create_task(emails.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # not cancelled mid-send
    rounds.go.set()
    await asyncio.wait_for(stopping, 5)

    assert rounds.settled == ["bob"]


async def test_stop_cancels_a_send_that_outlasts_the_grace() -> None:
    rounds = OneUserAtATime()
    emails = EmailScheduler(lambda: rounds, Metrics())  # type: ignore[arg-type]
    emails.stop_grace = 0.05
    emails.start()
    await asyncio.wait_for(rounds.sending.wait(), 5)

    await asyncio.wait_for(emails.stop(), 5)

    assert rounds.settled == []


async def test_emails_sent_before_the_server_went_away_are_counted() -> None:
    gone = EmailRoundCutShort(EmailUnavailable("Connection refused"), EmailRound(sent=1))
    emails, metrics = scheduler(gone)

    assert await emails.run_once() == 1

    assert sample(metrics, "herald_emails_sent_total") == 1
    assert sample(metrics, "herald_emails_failed_total", reason="unavailable") == 1
