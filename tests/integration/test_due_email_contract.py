"""The email channel's storage, one contract in memory, on SQLite and on PostgreSQL: emails
scheduled per notification and written per recipient; due emails claimed a user at a time,
settled or given back, purged with their notification; the users who can be emailed; and the
`email` switch of each preference."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from application.ports import UnitOfWork
from domain.notifications import Notification, NotificationType
from domain.users import User

NewUnitOfWork = Callable[[], UnitOfWork]

NOW = datetime(2025, 3, 14, 9, 30, 15, 123456, tzinfo=UTC)
DELAY = timedelta(minutes=10)
LEASE = timedelta(minutes=5)


async def given_notification(
    new_uow: NewUnitOfWork,
    recipients: list[str],
    at: datetime = NOW,
    due: bool = True,
    written: bool = True,
) -> UUID:
    """A notification told to `recipients`, each with an address; `due`: scheduled to be
    emailed after DELAY, and `written`: its rows written as the scheduler's round does."""
    notification = Notification(
        uuid4(), NotificationType.LEAD_CREATED, "New lead: Umbrella", "…", None, "alice", at
    )
    async with new_uow() as uow:
        for user_id in recipients:  # each with an address: one without gets no row
            await uow.users.add(User.register(user_id, None, f"{user_id}@example.com", at))
        await uow.inbox.add(notification, recipients)
        if due:
            await uow.emails.schedule(notification.id, at + DELAY)
        await uow.commit()
    if due and written:
        assert await write_scheduled(new_uow) == 1
    return notification.id


async def write_scheduled(new_uow: NewUnitOfWork, limit: int = 10) -> int:
    async with new_uow() as uow:
        written = await uow.emails.write_scheduled(limit)
        await uow.commit()
    return written


async def claim(new_uow: NewUnitOfWork, now: datetime, users: int = 10) -> dict[str, set[UUID]]:
    async with new_uow() as uow:
        claimed = await uow.emails.claim(now, now + LEASE, users)
        await uow.commit()
    return {user_id: set(ids) for user_id, ids in claimed.items()}


async def test_nothing_is_claimed_before_it_is_due(new_uow: NewUnitOfWork) -> None:
    await given_notification(new_uow, ["bob"])

    assert await claim(new_uow, NOW + DELAY - timedelta(microseconds=1)) == {}


async def test_a_due_user_is_claimed_with_every_row_of_theirs(new_uow: NewUnitOfWork) -> None:
    first = await given_notification(new_uow, ["bob", "carol"])
    later = await given_notification(new_uow, ["bob"], at=NOW + timedelta(minutes=3))

    claimed = await claim(new_uow, NOW + DELAY)

    # Bob's second is not due yet, and goes with his first all the same.
    assert claimed == {"bob": {first, later}, "carol": {first}}


async def test_claimed_rows_are_not_claimed_again_until_the_claim_lapses(
    new_uow: NewUnitOfWork,
) -> None:
    first = await given_notification(new_uow, ["bob"])
    assert await claim(new_uow, NOW + DELAY) == {"bob": {first}}
    # A newer row of a user under claim does not make a second email for them meanwhile.
    newer = await given_notification(new_uow, ["bob"], at=NOW + timedelta(seconds=1))

    assert await claim(new_uow, NOW + DELAY + timedelta(minutes=1)) == {}
    assert await claim(new_uow, NOW + DELAY + LEASE) == {"bob": {first, newer}}


async def test_released_rows_may_be_claimed_at_once(new_uow: NewUnitOfWork) -> None:
    first = await given_notification(new_uow, ["bob"])
    await claim(new_uow, NOW + DELAY)

    async with new_uow() as uow:
        await uow.emails.release("bob", [first])
        await uow.commit()

    assert await claim(new_uow, NOW + DELAY) == {"bob": {first}}


async def test_a_claim_is_renewed_only_while_it_is_still_ours(new_uow: NewUnitOfWork) -> None:
    first = await given_notification(new_uow, ["bob"])
    ours = NOW + DELAY + LEASE
    await claim(new_uow, NOW + DELAY)
    renewed = ours + LEASE

    async with new_uow() as uow:
        assert await uow.emails.renew("bob", ours, renewed) == {first: NOW + DELAY}
        assert await uow.emails.renew("carol", ours, renewed) == {}
        await uow.commit()
    assert await claim(new_uow, ours) == {}  # the renewed claim holds past the first
    # Lapsed and taken by another claim: no longer ours to renew.
    assert await claim(new_uow, renewed) == {"bob": {first}}
    async with new_uow() as uow:
        assert await uow.emails.renew("bob", renewed, renewed + LEASE) == {}


async def test_settled_rows_are_gone(new_uow: NewUnitOfWork) -> None:
    first = await given_notification(new_uow, ["bob"])
    second = await given_notification(new_uow, ["bob"], at=NOW + timedelta(seconds=1))
    await claim(new_uow, NOW + DELAY)

    async with new_uow() as uow:
        await uow.emails.settle("bob", [first])
        await uow.commit()

    assert await claim(new_uow, NOW + DELAY + LEASE) == {"bob": {second}}


async def test_a_round_claims_at_most_that_many_users_oldest_first(
    new_uow: NewUnitOfWork,
) -> None:
    for offset, user_id in enumerate(["dave", "bob", "carol"]):
        await given_notification(new_uow, [user_id], at=NOW + timedelta(seconds=offset))

    assert set(await claim(new_uow, NOW + DELAY + timedelta(minutes=1), users=2)) == {
        "dave",
        "bob",
    }


async def test_concurrent_claims_never_share_a_user(new_uow: NewUnitOfWork) -> None:
    """Only the PostgreSQL run tests concurrency (FOR UPDATE SKIP LOCKED): SQLite lets one
    writer in at a time and the memory store has no concurrency, so there these claims run one
    after another and the test shows no more than the sequential ones above."""
    users = [f"user-{n}" for n in range(8)]
    for user_id in users:
        await given_notification(new_uow, [user_id])
        await given_notification(new_uow, [user_id], at=NOW + timedelta(seconds=1))

    rounds = await asyncio.gather(*(claim(new_uow, NOW + DELAY, users=3) for _ in range(4)))

    claimed = [user_id for one in rounds for user_id in one]
    assert sorted(claimed) == sorted(set(claimed))  # nobody twice
    assert all(len(ids) == 2 for one in rounds for ids in one.values())  # each with both rows


async def test_the_purge_takes_due_emails_with_their_notification(
    new_uow: NewUnitOfWork,
) -> None:
    await given_notification(new_uow, ["bob"])
    await given_notification(new_uow, ["carol"], written=False)  # still scheduled

    async with new_uow() as uow:
        purged = await uow.inbox.purge_before(NOW + timedelta(seconds=1), 10, 100)
        assert purged.notifications == 2
        await uow.commit()

    assert await write_scheduled(new_uow) == 0
    assert await claim(new_uow, NOW + DELAY) == {}


async def test_a_purge_batch_takes_the_due_emails_of_its_own_notifications_only(
    new_uow: NewUnitOfWork,
) -> None:
    """A batch of `limit` notifications, the oldest: the next ones keep their due emails."""
    for user in ("amy", "bob"):
        await given_notification(new_uow, [user], at=NOW)
    newer = await given_notification(new_uow, ["cy"], at=NOW + timedelta(seconds=1))

    async with new_uow() as uow:
        purged = await uow.inbox.purge_before(NOW + timedelta(days=1), 2, 100)
        assert (purged.notifications, purged.entries) == (2, 2)
        await uow.commit()

    assert await claim(new_uow, NOW + DELAY + timedelta(seconds=1)) == {"cy": {newer}}


async def test_a_notification_cut_by_a_purge_batch_keeps_its_due_emails_until_it_goes(
    new_uow: NewUnitOfWork,
) -> None:
    """A batch bounded by entries may delete some of a notification's entries and keep the
    notification: its due emails go only with it, in the batch that takes its last entry."""
    first = await given_notification(new_uow, ["amy", "bob", "cy"])
    second = await given_notification(new_uow, ["amy", "bob", "cy"], at=NOW + timedelta(seconds=1))
    due = NOW + DELAY + timedelta(seconds=1)
    # A batch takes the entries in the key's order: the notification first, then the user.
    goes, stays = sorted([first, second])
    everyone = {user: {goes, stays} for user in ("amy", "bob", "cy")}

    async with new_uow() as uow:
        purged = await uow.inbox.purge_before(NOW + timedelta(days=1), 10, 2)
        assert (purged.notifications, purged.entries) == (0, 2)  # two of `goes`'s three
        await uow.commit()
    assert await claim(new_uow, due) == everyone

    async with new_uow() as uow:
        purged = await uow.inbox.purge_before(NOW + timedelta(days=1), 10, 2)
        assert (purged.notifications, purged.entries) == (1, 2)  # `goes`'s last, one of `stays`'s
        await uow.commit()

    lapsed = due + LEASE + timedelta(seconds=1)  # the first claim was never settled
    assert await claim(new_uow, lapsed) == {user: {stays} for user in everyone}


async def test_a_scheduled_notification_gets_rows_for_recipients_with_an_address_and_email_on(
    new_uow: NewUnitOfWork,
) -> None:
    kind = NotificationType.LEAD_CREATED
    notification = Notification(uuid4(), kind, "New lead: Umbrella", "…", None, "alice", NOW)
    async with new_uow() as uow:
        for user_id, address in [("bob", "bob@example.com"), ("carol", None)] + [
            (user_id, f"{user_id}@example.com") for user_id in ("dave", "erin", "fay")
        ]:
            await uow.users.add(User.register(user_id, None, address, NOW))
        await uow.preferences.save_email("dave", kind, False)
        await uow.preferences.save_email("bob", NotificationType.COMMENT_ADDED, False)
        await uow.inbox.add(notification, ["bob", "carol", "dave", "erin"])  # not fay
        await uow.emails.schedule(notification.id, NOW)
        await uow.commit()
    assert await claim(new_uow, NOW) == {}  # scheduled: no row written yet
    async with new_uow() as uow:  # erin's entry gone before the rows are written
        assert await uow.inbox.remove("erin", notification.id)
        await uow.commit()

    assert await write_scheduled(new_uow) == 1
    assert await write_scheduled(new_uow) == 0  # written once

    assert await claim(new_uow, NOW) == {"bob": {notification.id}}


async def test_a_write_takes_the_notifications_that_fall_due_first_and_at_most_that_many(
    new_uow: NewUnitOfWork,
) -> None:
    later = await given_notification(new_uow, ["bob"], at=NOW + timedelta(minutes=1), written=False)
    first = await given_notification(new_uow, ["carol"], written=False)
    both_due = NOW + DELAY + timedelta(minutes=1)

    assert await write_scheduled(new_uow, limit=1) == 1
    assert await claim(new_uow, both_due) == {"carol": {first}}
    assert await write_scheduled(new_uow, limit=1) == 1
    assert await claim(new_uow, both_due) == {"bob": {later}}


async def test_concurrent_writes_never_take_the_same_notification(new_uow: NewUnitOfWork) -> None:
    """Only the PostgreSQL run tests concurrency (FOR UPDATE SKIP LOCKED), as for claims."""
    users = [f"user-{n}" for n in range(8)]
    for user_id in users:
        await given_notification(new_uow, [user_id], written=False)

    written = await asyncio.gather(*(write_scheduled(new_uow, limit=3) for _ in range(4)))

    assert sum(written) == len(users)
    assert await write_scheduled(new_uow) == 0
    claimed = await claim(new_uow, NOW + DELAY, users=len(users))
    assert sorted(claimed) == users  # each user's row once (a second would fail its key)


async def test_email_is_on_for_every_type_until_turned_off_and_apart_from_enabled(
    new_uow: NewUnitOfWork,
) -> None:
    kind = NotificationType.COMMENT_ADDED
    async with new_uow() as uow:
        assert await uow.preferences.email_off_types("bob") == set()
        await uow.preferences.save("bob", kind, False)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.preferences.email_off_types("bob") == set()  # a row with email on
        await uow.preferences.save_email("bob", kind, False)
        await uow.preferences.save_email("carol", NotificationType.LEAD_CREATED, False)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.preferences.email_off_types("bob") == {kind}
        assert await uow.preferences.disabled_types("bob") == {kind}  # left as it was
        assert await uow.preferences.disabled_types("carol") == set()
        await uow.preferences.save("bob", kind, True)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.preferences.email_off_types("bob") == {kind}  # enabled left email
        await uow.preferences.save_email("bob", kind, True)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.preferences.email_off_types("bob") == set()
