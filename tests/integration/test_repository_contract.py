"""One contract for the repositories and the unit of work: in memory, on SQLite, on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.sqlalchemy import repositories
from adapters.sqlalchemy.repositories import BROADCAST_FLOOR
from application.ports import UnitOfWork
from builders import a_notification
from domain.comments import Comment
from domain.events import NotificationCreated, NotificationsBulkUpdated
from domain.leads import Lead
from domain.notifications import Badge, Badges, InboxEntry, Notification, NotificationType
from domain.tasks import Task
from domain.users import User

NewUnitOfWork = Callable[[], UnitOfWork]


# Microseconds on purpose: every backend must keep them.
NOW = datetime(2025, 3, 14, 9, 30, 15, 123456, tzinfo=UTC)


def a_user(user_id: str, at: datetime = NOW) -> User:
    return User.register(user_id, user_id.capitalize(), f"{user_id}@example.com", at)


def a_lead(name: str = "Umbrella", at: datetime = NOW) -> Lead:
    return Lead.create(
        uuid4(),
        name=name,
        email="buyer@umbrella.example",
        company="Umbrella Corp",
        score=40,
        owner_id="alice",
        now=at,
    )


def a_task(lead: Lead, title: str = "Call back", assignee_id: str | None = "bob") -> Task:
    return Task.create(
        uuid4(),
        lead_id=lead.id,
        title=title,
        assignee_id=assignee_id,
        created_by_id="alice",
        now=NOW,
    )


def a_comment(lead: Lead, author_id: str, at: datetime = NOW) -> Comment:
    return Comment.write(uuid4(), lead_id=lead.id, author_id=author_id, body="Hot lead!", now=at)


async def given_lead(new_uow: NewUnitOfWork, at: datetime = NOW) -> Lead:
    lead = a_lead(at=at)
    async with new_uow() as uow:
        await uow.leads.add(lead)
        await uow.commit()
    return lead


async def given_task(new_uow: NewUnitOfWork, lead: Lead) -> Task:
    task = a_task(lead)
    async with new_uow() as uow:
        await uow.tasks.add(task)
        await uow.commit()
    return task


async def read_lead(new_uow: NewUnitOfWork, lead_id: UUID) -> Lead | None:
    async with new_uow() as uow:
        return await uow.leads.get(lead_id)


async def read_task(new_uow: NewUnitOfWork, task_id: UUID) -> Task | None:
    async with new_uow() as uow:
        return await uow.tasks.get(task_id)


async def set_preference(
    new_uow: NewUnitOfWork, user_id: str, kind: NotificationType, enabled: bool
) -> None:
    async with new_uow() as uow:
        await uow.preferences.save(user_id, kind, enabled)
        await uow.commit()


async def disabled(new_uow: NewUnitOfWork, user_id: str) -> set[NotificationType]:
    async with new_uow() as uow:
        return await uow.preferences.disabled_types(user_id)


async def muted(new_uow: NewUnitOfWork, kind: NotificationType) -> set[str]:
    async with new_uow() as uow:
        return await uow.preferences.muted_user_ids(kind)


async def given_notification(
    new_uow: NewUnitOfWork, recipients: list[str], at: datetime = NOW
) -> Notification:
    notification = a_notification(at)
    async with new_uow() as uow:
        await uow.inbox.add(notification, recipients)
        await uow.commit()
    return notification


async def read_entry(
    new_uow: NewUnitOfWork, user_id: str, notification_id: UUID
) -> InboxEntry | None:
    async with new_uow() as uow:
        return await uow.inbox.get(user_id, notification_id)


async def unread(new_uow: NewUnitOfWork, user_id: str) -> int:
    async with new_uow() as uow:
        return await uow.inbox.unread_count(user_id)


def assert_utc(moment: datetime | None) -> None:
    assert moment is not None
    assert moment.utcoffset() == timedelta(0)


# Users


async def test_a_user_is_added_and_read_back(new_uow: NewUnitOfWork) -> None:
    alice = a_user("alice")
    async with new_uow() as uow:
        await uow.users.add(alice)
        await uow.commit()

    async with new_uow() as uow:
        stored = await uow.users.get("alice")

    assert stored == alice
    assert stored is not None
    assert_utc(stored.created_at)
    assert_utc(stored.updated_at)


async def test_an_unknown_user_is_none(new_uow: NewUnitOfWork) -> None:
    async with new_uow() as uow:
        assert await uow.users.get("nobody") is None


async def test_a_saved_user_keeps_the_new_profile(new_uow: NewUnitOfWork) -> None:
    async with new_uow() as uow:
        await uow.users.add(a_user("alice"))
        await uow.commit()

    async with new_uow() as uow:
        alice = await uow.users.get("alice")
        assert alice is not None
        alice.update_profile("Alice Liddell", None, NOW + timedelta(hours=1))
        await uow.users.save(alice)
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.users.get("alice") == alice


async def test_all_ids_lists_every_registered_user(new_uow: NewUnitOfWork) -> None:
    async with new_uow() as uow:
        assert await uow.users.all_ids() == []
        for user_id in ("carol", "alice", "bob"):
            await uow.users.add(a_user(user_id))
        await uow.commit()

    async with new_uow() as uow:
        assert sorted(await uow.users.all_ids()) == ["alice", "bob", "carol"]


# Leads


async def test_a_lead_is_added_and_read_back(new_uow: NewUnitOfWork) -> None:
    umbrella = a_lead()
    bare = Lead.create(
        uuid4(), name="Bare", email=None, company=None, score=0, owner_id="bob", now=NOW
    )
    async with new_uow() as uow:
        await uow.leads.add(umbrella)
        await uow.leads.add(bare)
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.leads.get(umbrella.id) == umbrella
        assert await uow.leads.get(bare.id) == bare
        assert await uow.leads.get(uuid4()) is None


async def test_a_saved_lead_keeps_its_new_owner_and_score(new_uow: NewUnitOfWork) -> None:
    lead = await given_lead(new_uow)
    other = await given_lead(new_uow)
    later = NOW + timedelta(minutes=5, microseconds=3)

    async with new_uow() as uow:
        stored = await uow.leads.get(lead.id)
        assert stored is not None
        assert stored.assign("bob", later)
        assert stored.change_score(75, later)
        await uow.leads.save(stored)
        await uow.commit()

    saved = await read_lead(new_uow, lead.id)
    assert saved == stored
    assert saved is not None
    assert (saved.owner_id, saved.score) == ("bob", 75)
    assert_utc(saved.updated_at)
    assert await read_lead(new_uow, other.id) == other


async def test_saving_a_lead_never_added_adds_nothing(new_uow: NewUnitOfWork) -> None:
    stray = a_lead()
    async with new_uow() as uow:
        await uow.leads.save(stray)
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.leads.get(stray.id) is None
        assert await uow.leads.newest(10) == []


async def test_newest_lists_leads_newest_first_up_to_the_limit(new_uow: NewUnitOfWork) -> None:
    async with new_uow() as uow:
        assert await uow.leads.newest(10) == []

    oldest = await given_lead(new_uow, NOW)
    newest = await given_lead(new_uow, NOW + timedelta(minutes=2))
    middle = await given_lead(new_uow, NOW + timedelta(minutes=1))
    # Two at the same instant: the larger id comes first, so that the order is total.
    tied = [await given_lead(new_uow, NOW + timedelta(minutes=3)) for _ in "ab"]
    tied.sort(key=lambda lead: lead.id, reverse=True)

    async with new_uow() as uow:
        every = await uow.leads.newest(10)
        first_three = await uow.leads.newest(3)
        none = await uow.leads.newest(0)

    expected = [*tied, newest, middle, oldest]
    assert every == expected
    assert first_three == expected[:3]
    assert none == []


# Tasks


async def test_a_task_is_added_and_read_back(new_uow: NewUnitOfWork) -> None:
    lead = await given_lead(new_uow)
    assigned = a_task(lead)
    unassigned = a_task(lead, "Send the quote", assignee_id=None)
    async with new_uow() as uow:
        await uow.tasks.add(assigned)
        await uow.tasks.add(unassigned)
        await uow.commit()

    stored = await read_task(new_uow, assigned.id)
    assert stored == assigned
    assert stored is not None
    assert not stored.is_completed
    assert_utc(stored.created_at)
    assert await read_task(new_uow, unassigned.id) == unassigned
    assert await read_task(new_uow, uuid4()) is None


async def test_a_saved_task_keeps_its_completion(new_uow: NewUnitOfWork) -> None:
    lead = await given_lead(new_uow)
    task, other = a_task(lead), a_task(lead, "Send the quote")
    async with new_uow() as uow:
        await uow.tasks.add(task)
        await uow.tasks.add(other)
        await uow.commit()
    later = NOW + timedelta(hours=2, microseconds=9)

    async with new_uow() as uow:
        stored = await uow.tasks.get(task.id)
        assert stored is not None
        assert stored.complete(later)
        await uow.tasks.save(stored)
        await uow.commit()

    completed = await read_task(new_uow, task.id)
    assert completed == stored
    assert completed is not None
    assert completed.completed_at == later
    assert_utc(completed.completed_at)
    assert await read_task(new_uow, other.id) == other


async def test_saving_a_task_never_added_adds_nothing(new_uow: NewUnitOfWork) -> None:
    stray = a_task(await given_lead(new_uow))
    stray.complete(NOW)
    async with new_uow() as uow:
        await uow.tasks.save(stray)
        await uow.commit()

    assert await read_task(new_uow, stray.id) is None


# Comments


async def test_author_ids_name_each_commenter_of_that_lead_once(new_uow: NewUnitOfWork) -> None:
    umbrella, acme = await given_lead(new_uow), await given_lead(new_uow)
    async with new_uow() as uow:
        assert await uow.comments.author_ids(umbrella.id) == set()
        await uow.comments.add(a_comment(umbrella, "bob"))
        await uow.comments.add(a_comment(umbrella, "carol"))
        await uow.comments.add(a_comment(umbrella, "bob", NOW + timedelta(minutes=1)))
        await uow.comments.add(a_comment(acme, "dave"))
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.comments.author_ids(umbrella.id) == {"bob", "carol"}
        assert await uow.comments.author_ids(acme.id) == {"dave"}
        assert await uow.comments.author_ids(uuid4()) == set()


# Preferences


async def test_every_type_is_enabled_until_turned_off(new_uow: NewUnitOfWork) -> None:
    assert await disabled(new_uow, "bob") == set()
    for kind in NotificationType:
        assert await muted(new_uow, kind) == set()


async def test_a_type_turned_off_stays_off_until_turned_on_again(new_uow: NewUnitOfWork) -> None:
    await set_preference(new_uow, "bob", NotificationType.COMMENT_ADDED, False)

    assert await disabled(new_uow, "bob") == {NotificationType.COMMENT_ADDED}
    assert await muted(new_uow, NotificationType.COMMENT_ADDED) == {"bob"}

    await set_preference(new_uow, "bob", NotificationType.COMMENT_ADDED, True)

    assert await disabled(new_uow, "bob") == set()
    assert await muted(new_uow, NotificationType.COMMENT_ADDED) == set()


async def test_setting_the_same_preference_again_keeps_the_last_answer(
    new_uow: NewUnitOfWork,
) -> None:
    kind = NotificationType.SCORE_UPDATED
    async with new_uow() as uow:
        await uow.preferences.save("bob", kind, False)
        await uow.preferences.save("bob", kind, False)
        assert await uow.preferences.disabled_types("bob") == {kind}
        await uow.commit()
    await set_preference(new_uow, "bob", kind, False)
    assert await disabled(new_uow, "bob") == {kind}

    await set_preference(new_uow, "bob", kind, True)
    await set_preference(new_uow, "bob", kind, True)
    assert await disabled(new_uow, "bob") == set()

    async with new_uow() as uow:
        await uow.preferences.save("bob", kind, True)
        await uow.preferences.save("bob", kind, False)
        await uow.commit()
    assert await disabled(new_uow, "bob") == {kind}
    assert await muted(new_uow, kind) == {"bob"}


async def test_muted_user_ids_answer_for_that_type_only(new_uow: NewUnitOfWork) -> None:
    await set_preference(new_uow, "bob", NotificationType.COMMENT_ADDED, False)
    await set_preference(new_uow, "bob", NotificationType.SCORE_UPDATED, False)
    await set_preference(new_uow, "carol", NotificationType.SCORE_UPDATED, False)
    # Turned on explicitly: stored, yet not muted.
    await set_preference(new_uow, "dave", NotificationType.LEAD_CREATED, True)

    assert await muted(new_uow, NotificationType.SCORE_UPDATED) == {"bob", "carol"}
    assert await muted(new_uow, NotificationType.COMMENT_ADDED) == {"bob"}
    assert await muted(new_uow, NotificationType.LEAD_CREATED) == set()
    assert await muted(new_uow, NotificationType.TASK_COMPLETED) == set()
    assert await disabled(new_uow, "bob") == {
        NotificationType.COMMENT_ADDED,
        NotificationType.SCORE_UPDATED,
    }
    assert await disabled(new_uow, "carol") == {NotificationType.SCORE_UPDATED}
    assert await disabled(new_uow, "dave") == set()


async def test_concurrent_first_settings_of_one_preference_all_succeed(
    new_uow: NewUnitOfWork,
) -> None:
    # The hard case for an upsert: every one of them finds no row, and all insert at once.
    async def turn_off() -> None:
        async with new_uow() as uow:
            await uow.preferences.disabled_types("bob")
            await asyncio.sleep(0)
            await uow.preferences.save("bob", NotificationType.TASK_COMPLETED, False)
            await uow.commit()

    await asyncio.gather(*(turn_off() for _ in range(5)))

    assert await disabled(new_uow, "bob") == {NotificationType.TASK_COMPLETED}


# Inbox


async def test_a_notification_reaches_each_recipient_unread(new_uow: NewUnitOfWork) -> None:
    lead = a_lead()
    notification = a_notification(NOW, lead.id)
    async with new_uow() as uow:
        await uow.leads.add(lead)
        await uow.inbox.add(notification, ["bob", "carol", "dave"])
        await uow.commit()

    for user_id in ("bob", "carol", "dave"):
        entry = await read_entry(new_uow, user_id, notification.id)
        assert entry == InboxEntry(notification, user_id, read_at=None, updated_at=NOW)
    assert await read_entry(new_uow, "alice", notification.id) is None


async def test_a_notification_for_no_one_is_in_no_inbox(new_uow: NewUnitOfWork) -> None:
    notification = await given_notification(new_uow, [])

    async with new_uow() as uow:
        assert await uow.inbox.get("bob", notification.id) is None
        assert await uow.inbox.badges([]) == {}


async def test_newest_lists_an_inbox_newest_first_up_to_the_limit(
    new_uow: NewUnitOfWork,
) -> None:
    oldest = await given_notification(new_uow, ["bob"], NOW)
    newest = await given_notification(new_uow, ["bob", "carol"], NOW + timedelta(minutes=2))
    middle = await given_notification(new_uow, ["bob"], NOW + timedelta(minutes=1))
    # Two at the same instant: the larger id comes first, so that the order is total.
    tied = [await given_notification(new_uow, ["bob"], NOW + timedelta(minutes=3)) for _ in "ab"]
    tied.sort(key=lambda notification: notification.id, reverse=True)

    async with new_uow() as uow:
        inbox = await uow.inbox.newest("bob", 10)
        first_two = await uow.inbox.newest("bob", 2)
        carols = await uow.inbox.newest("carol", 10)

    expected = [*tied, newest, middle, oldest]
    assert [entry.notification for entry in inbox] == expected
    assert [entry.notification for entry in first_two] == expected[:2]
    assert [entry.notification for entry in carols] == [newest]
    assert {entry.user_id for entry in inbox} == {"bob"}


async def test_badges_give_every_asked_user_their_counts(new_uow: NewUnitOfWork) -> None:
    await given_notification(new_uow, ["bob", "carol"])
    await given_notification(new_uow, ["bob"], NOW + timedelta(minutes=1))

    async with new_uow() as uow:
        assert await uow.inbox.unread_count("bob") == 2
        assert await uow.inbox.unread_count("carol") == 1
        assert await uow.inbox.unread_count("nobody") == 0
        badges = await uow.inbox.badges(["bob", "carol", "dave"])

    assert badges == {"bob": Badge(2, 2), "carol": Badge(1, 1), "dave": Badge(0, 0)}


async def test_mark_all_read_reads_each_unread_entry_once(new_uow: NewUnitOfWork) -> None:
    first = await given_notification(new_uow, ["bob", "carol"])
    await given_notification(new_uow, ["bob"], NOW + timedelta(minutes=1))
    later = NOW + timedelta(hours=1)

    async with new_uow() as uow:
        assert await uow.inbox.mark_all_read("bob", later) == 2
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.inbox.mark_all_read("bob", later + timedelta(hours=1)) == 0
        await uow.commit()

    async with new_uow() as uow:
        assert [entry.read_at for entry in await uow.inbox.newest("bob", 10)] == [later, later]
    entry = await read_entry(new_uow, "bob", first.id)
    assert entry is not None
    assert entry.is_read
    assert entry.updated_at == later
    assert await unread(new_uow, "bob") == 0
    assert await unread(new_uow, "carol") == 1


async def test_a_saved_entry_keeps_its_read_state(new_uow: NewUnitOfWork) -> None:
    notification = await given_notification(new_uow, ["bob", "carol"])
    later = NOW + timedelta(minutes=5, microseconds=7)

    async with new_uow() as uow:
        entry = await uow.inbox.get("bob", notification.id)
        assert entry is not None
        assert entry.mark_read(later)
        await uow.inbox.save(entry)
        await uow.commit()

    assert await read_entry(new_uow, "bob", notification.id) == entry
    assert await unread(new_uow, "bob") == 0
    carols = await read_entry(new_uow, "carol", notification.id)
    assert carols is not None
    assert not carols.is_read
    assert await unread(new_uow, "carol") == 1


async def test_remove_takes_the_entry_out_of_one_inbox_only(new_uow: NewUnitOfWork) -> None:
    notification = await given_notification(new_uow, ["bob", "carol"])

    async with new_uow() as uow:
        assert await uow.inbox.remove("bob", notification.id)
        await uow.commit()
    async with new_uow() as uow:
        assert not await uow.inbox.remove("bob", notification.id)

    assert await read_entry(new_uow, "bob", notification.id) is None
    assert await unread(new_uow, "bob") == 0
    async with new_uow() as uow:
        assert await uow.inbox.newest("bob", 10) == []
    assert await read_entry(new_uow, "carol", notification.id) is not None
    assert await unread(new_uow, "carol") == 1


async def test_another_users_notification_is_out_of_reach(new_uow: NewUnitOfWork) -> None:
    bobs = await given_notification(new_uow, ["bob"])
    forged = InboxEntry(bobs, "carol", read_at=NOW, updated_at=NOW)

    async with new_uow() as uow:
        assert await uow.inbox.get("carol", bobs.id) is None
        assert not await uow.inbox.remove("carol", bobs.id)
        await uow.inbox.save(forged)
        assert await uow.inbox.mark_all_read("carol", NOW) == 0
        await uow.commit()

    assert await read_entry(new_uow, "carol", bobs.id) is None
    assert await read_entry(new_uow, "bob", bobs.id) == InboxEntry(bobs, "bob", None, NOW)


async def test_a_broadcast_reaches_ten_thousand_recipients(new_uow: NewUnitOfWork) -> None:
    everyone = [f"user-{number:05d}" for number in range(10_000)]
    notification = await given_notification(new_uow, everyone)

    async with new_uow() as uow:
        badges = await uow.inbox.badges(everyone)
        last = await uow.inbox.get(everyone[-1], notification.id)

    assert badges == dict.fromkeys(everyone, Badge(1, 1))
    assert last == InboxEntry.deliver(notification, everyone[-1])


# User ids with what is special in an array's text form (PostgreSQL gets the recipients as one).
AWKWARD_IDS = ['say "hi"', "back\\slash", '\\"', "a,b", "{x}", " two words ", "NULL", "zoë"]


async def notified(new_uow: NewUnitOfWork, recipients: list[str], at: datetime) -> Notification:
    """Told as `notify` tells: the entries, then the event that gives the notification its id."""
    notification = a_notification(at)
    async with new_uow() as uow:
        await uow.inbox.add(notification, recipients)
        await uow.events.take_turn()
        await uow.events.add([NotificationCreated(notification, tuple(recipients))])
        await uow.commit()
    return notification


async def test_recipients_with_awkward_ids_are_told_and_counted_exactly(
    new_uow: NewUnitOfWork,
) -> None:
    plain = [f"user-{number:03d}" for number in range(BROADCAST_FLOOR)]
    async with new_uow() as uow:
        for user_id in AWKWARD_IDS[:3]:
            await uow.users.add(User(user_id, None, "someone@example.com", NOW, NOW))
        await uow.commit()
    first = await notified(new_uow, AWKWARD_IDS, NOW)  # counted in each user's row
    # Told to most users with counts: counted once, as a broadcast.
    second = await notified(new_uow, [*AWKWARD_IDS, *plain], NOW + timedelta(seconds=1))

    assert await badges_of(new_uow, [*AWKWARD_IDS, "a", "b"]) == {
        **dict.fromkeys(AWKWARD_IDS, Badge(2, 2)),
        "a": Badge(0, 0),
        "b": Badge(0, 0),
    }
    async with new_uow() as uow:
        # Due emails for those with an address only, their ids as written.
        await uow.emails.schedule(first.id, NOW)
        assert await uow.emails.write_scheduled(10) == 1
        claimed = await uow.emails.claim(NOW, NOW + timedelta(minutes=5), len(AWKWARD_IDS))
        assert claimed == {user_id: [first.id] for user_id in AWKWARD_IDS[:3]}
        assert await uow.inbox.mark_all_read('say "hi"', NOW) == 2
        # Through the first notification's event: one entry each.
        through = {**dict.fromkeys(AWKWARD_IDS, 1), "a": 2}
        assert await uow.inbox.confirm_delivered(through, NOW) == len(AWKWARD_IDS)
        await uow.commit()
    assert await badges_of(new_uow, ['say "hi"', "{x}"]) == {
        'say "hi"': Badge(0, 0),
        "{x}": Badge(2, 2),
    }
    async with new_uow() as uow:
        entries = {user_id: await uow.inbox.get(user_id, first.id) for user_id in AWKWARD_IDS}
        later = {user_id: await uow.inbox.get(user_id, second.id) for user_id in AWKWARD_IDS}
        assert await uow.inbox.get("a", second.id) is None
    assert {user_id: entry and entry.delivered_at for user_id, entry in entries.items()} == (
        dict.fromkeys(AWKWARD_IDS, NOW)
    )
    read = later.pop('say "hi"')
    assert later == {user_id: InboxEntry.deliver(second, user_id) for user_id in AWKWARD_IDS[1:]}
    assert read is not None
    assert read.is_read


async def badges_of(new_uow: NewUnitOfWork, user_ids: list[str]) -> Badges:
    async with new_uow() as uow:
        return await uow.inbox.badges(user_ids)


async def test_notifications_to_most_users_count_for_their_recipients_alone(
    new_uow: NewUnitOfWork,
) -> None:
    # Fan-outs to most users (SQL: counted once, as broadcasts, not in each recipient's row)
    # among users with counts of their own, users with none yet, and users told nothing.
    users = [f"user-{number:03d}" for number in range(100)]
    await given_notification(new_uow, users[:3])
    first = await given_notification(new_uow, users[1:90], NOW + timedelta(seconds=1))
    assert await badges_of(new_uow, users) == {
        **dict.fromkeys(users, Badge(1, 1)),
        **dict.fromkeys(users[1:3], Badge(2, 2)),
        **dict.fromkeys(users[90:], Badge(0, 0)),
    }

    # A user's first counts after a broadcast that missed them, and a read-state change of a
    # broadcast entry.
    await given_notification(new_uow, ["user-095"], NOW + timedelta(seconds=2))
    async with new_uow() as uow:
        assert await uow.inbox.mark_all_read("user-002", NOW) == 2
        assert await uow.inbox.mark_all_seen("user-050", NOW) == 1
        await uow.commit()
    # The counts the notification's own events carry: read in its unit of work.
    async with new_uow() as uow:
        await uow.inbox.add(a_notification(NOW + timedelta(seconds=3)), users[10:])
        told = await uow.inbox.badges(["user-050", "user-095", "user-099"])
        await uow.commit()

    assert told == {
        "user-050": Badge(2, 1),
        "user-095": Badge(2, 2),
        "user-099": Badge(1, 1),  # no counts before it
    }
    assert await badges_of(new_uow, ["user-000", "user-002", "user-050", "user-095"]) == {
        "user-000": Badge(1, 1),
        "user-002": Badge(0, 0),
        "user-050": Badge(2, 1),
        "user-095": Badge(2, 2),
    }
    async with new_uow() as uow:
        cutoff = first.created_at + timedelta(microseconds=1)
        assert (await uow.inbox.purge_before(cutoff, 10, 100)).notifications == 2
        await uow.commit()
    assert await badges_of(new_uow, ["user-000", "user-001", "user-050", "user-099"]) == {
        "user-000": Badge(0, 0),  # their one entry was the oldest notification's
        "user-001": Badge(0, 0),
        "user-050": Badge(1, 1),
        "user-099": Badge(1, 1),
    }
    assert await unread(new_uow, "user-050") == 1


async def test_timestamps_come_back_timezone_aware_and_equal(new_uow: NewUnitOfWork) -> None:
    notification = await given_notification(new_uow, ["bob"])
    read_at = NOW + timedelta(seconds=1, microseconds=1)
    async with new_uow() as uow:
        assert await uow.inbox.mark_all_read("bob", read_at) == 1
        await uow.commit()

    entry = await read_entry(new_uow, "bob", notification.id)

    assert entry is not None
    assert entry.notification.created_at == NOW
    assert entry.read_at == entry.updated_at == read_at
    for moment in (entry.notification.created_at, entry.read_at, entry.updated_at):
        assert_utc(moment)


# Inbox pages: the keyset feed


async def deliver(
    new_uow: NewUnitOfWork,
    recipients: list[str],
    at: datetime = NOW,
    kind: NotificationType = NotificationType.LEAD_CREATED,
    lead_id: UUID | None = None,
) -> UUID:
    notification = Notification(
        id=uuid4(),
        type=kind,
        title="Something happened",
        message="Alice did something",
        related_lead_id=lead_id,
        actor_id="alice",
        created_at=at,
    )
    async with new_uow() as uow:
        await uow.inbox.add(notification, recipients)
        await uow.commit()
    return notification.id


async def page_of(
    new_uow: NewUnitOfWork, user_id: str, limit: int = 100, **options: Any
) -> list[InboxEntry]:
    async with new_uow() as uow:
        return await uow.inbox.page(user_id, limit=limit, **options)


async def walk(
    new_uow: NewUnitOfWork,
    user_id: str,
    limit: int,
    between_pages: Callable[[], Awaitable[None]] | None = None,
    **filters: Any,
) -> list[UUID]:
    """Every entry, a page at a time, each page after the last entry of the one before."""
    seen: list[UUID] = []
    before = None
    while True:
        entries = await page_of(new_uow, user_id, limit, before=before, **filters)
        seen += [entry.notification.id for entry in entries]
        if len(entries) < limit:
            return seen
        before = (entries[-1].notification.created_at, entries[-1].notification.id)
        if between_pages is not None:
            await between_pages()


def minutes(count: int) -> datetime:
    return NOW + timedelta(minutes=count)


async def test_pages_walk_an_inbox_in_the_order_of_newest(new_uow: NewUnitOfWork) -> None:
    # Ties at one instant, several of them across page breaks, and another user's entries.
    for at in (1, 3, 3, 3, 2, 0, 3, 2, 4):
        await deliver(new_uow, ["bob"], minutes(at))
        await deliver(new_uow, ["carol"], minutes(at))
    async with new_uow() as uow:
        newest = [entry.notification.id for entry in await uow.inbox.newest("bob", 100)]
        everything = await uow.inbox.page("bob", limit=100)

    assert len(newest) == 9
    assert [entry.notification.id for entry in everything] == newest
    assert {entry.user_id for entry in everything} == {"bob"}
    positions = [(entry.notification.created_at, entry.notification.id) for entry in everything]
    assert positions == sorted(positions, reverse=True)
    for limit in (1, 2, 3, 4, 9, 10):
        assert await walk(new_uow, "bob", limit) == newest


async def test_a_page_before_a_tied_entry_keeps_the_smaller_ids_of_that_instant(
    new_uow: NewUnitOfWork,
) -> None:
    older = await deliver(new_uow, ["bob"], minutes(0))
    tied = sorted([await deliver(new_uow, ["bob"], minutes(1)) for _ in range(4)], reverse=True)
    await deliver(new_uow, ["bob"], minutes(2))

    entries = await page_of(new_uow, "bob", before=(minutes(1), tied[1]))
    between = await page_of(new_uow, "bob", before=(minutes(1), UUID(int=(tied[2].int + 1))))
    nothing = await page_of(new_uow, "bob", before=(minutes(0), older))

    assert [entry.notification.id for entry in entries] == [*tied[2:], older]
    assert [entry.notification.id for entry in between] == [*tied[2:], older]
    assert nothing == []


async def test_a_page_keeps_the_whole_entry_and_its_microseconds(new_uow: NewUnitOfWork) -> None:
    lead = await given_lead(new_uow)
    at = NOW + timedelta(microseconds=1)
    notification_id = await deliver(
        new_uow, ["bob"], at, NotificationType.COMMENT_ADDED, lead_id=lead.id
    )
    await deliver(new_uow, ["bob"], NOW)

    [entry] = await page_of(
        new_uow, "bob", before=(at + timedelta(microseconds=1), uuid4()), limit=1
    )
    [only] = await page_of(new_uow, "bob", before=(at, notification_id))

    assert entry == await read_entry(new_uow, "bob", notification_id)
    assert_utc(entry.notification.created_at)
    assert only.notification.created_at == NOW


async def test_unread_only_keeps_the_unread_entries(new_uow: NewUnitOfWork) -> None:
    ids = [await deliver(new_uow, ["bob", "carol"], minutes(at)) for at in range(6)]
    async with new_uow() as uow:
        for notification_id in (ids[5], ids[3], ids[2]):
            entry = await uow.inbox.get("bob", notification_id)
            assert entry is not None
            entry.mark_read(minutes(10))
            await uow.inbox.save(entry)
        await uow.commit()

    assert await walk(new_uow, "bob", 2, unread_only=True) == [ids[4], ids[1], ids[0]]
    assert await walk(new_uow, "carol", 2, unread_only=True) == ids[::-1]
    assert await walk(new_uow, "bob", 2, unread_only=False) == ids[::-1]
    async with new_uow() as uow:
        assert await uow.inbox.mark_all_read("bob", minutes(11)) == 3
        await uow.commit()
    assert await page_of(new_uow, "bob", unread_only=True) == []


async def test_types_keep_the_entries_of_those_types(new_uow: NewUnitOfWork) -> None:
    kinds = list(NotificationType) * 2
    ids = [await deliver(new_uow, ["bob"], minutes(at), kind) for at, kind in enumerate(kinds)]
    scores = [
        i for i, kind in zip(ids, kinds, strict=True) if kind is NotificationType.SCORE_UPDATED
    ]
    leads_and_comments = [
        i
        for i, kind in zip(ids, kinds, strict=True)
        if kind in (NotificationType.LEAD_CREATED, NotificationType.COMMENT_ADDED)
    ]

    score_only = [NotificationType.SCORE_UPDATED]
    two_types = [NotificationType.COMMENT_ADDED, NotificationType.LEAD_CREATED]
    assert await walk(new_uow, "bob", 1, types=score_only) == scores[::-1]
    assert await walk(new_uow, "bob", 3, types=two_types) == leads_and_comments[::-1]
    assert await walk(new_uow, "bob", 3, types=list(NotificationType)) == ids[::-1]
    assert await page_of(new_uow, "bob", types=[]) == []


async def test_related_lead_keeps_that_leads_entries(new_uow: NewUnitOfWork) -> None:
    umbrella, acme = await given_lead(new_uow), await given_lead(new_uow)
    ids = [
        await deliver(new_uow, ["bob"], minutes(at), lead_id=lead_id)
        for at, lead_id in enumerate([umbrella.id, acme.id, None, umbrella.id, umbrella.id])
    ]

    assert await walk(new_uow, "bob", 2, related_lead_id=umbrella.id) == [ids[4], ids[3], ids[0]]
    assert await walk(new_uow, "bob", 2, related_lead_id=acme.id) == [ids[1]]
    assert await page_of(new_uow, "bob", related_lead_id=uuid4()) == []


async def test_filters_combine(new_uow: NewUnitOfWork) -> None:
    umbrella = await given_lead(new_uow)
    comment = NotificationType.COMMENT_ADDED
    wanted = await deliver(new_uow, ["bob"], minutes(1), comment, umbrella.id)
    read = await deliver(new_uow, ["bob"], minutes(2), comment, umbrella.id)
    await deliver(new_uow, ["bob"], minutes(3), NotificationType.SCORE_UPDATED, umbrella.id)
    await deliver(new_uow, ["bob"], minutes(4), comment)
    await deliver(new_uow, ["carol"], minutes(5), comment, umbrella.id)
    async with new_uow() as uow:
        entry = await uow.inbox.get("bob", read)
        assert entry is not None
        entry.mark_read(minutes(6))
        await uow.inbox.save(entry)
        await uow.commit()

    entries = await page_of(
        new_uow, "bob", unread_only=True, types=[comment], related_lead_id=umbrella.id
    )

    assert [entry.notification.id for entry in entries] == [wanted]


async def test_newer_entries_arriving_between_pages_cause_no_repeats_and_no_gaps(
    new_uow: NewUnitOfWork,
) -> None:
    ids = [await deliver(new_uow, ["bob"], minutes(at)) for at in (0, 1, 1, 2, 3, 3, 3, 4)]
    expected = [entry.notification.id for entry in await page_of(new_uow, "bob")]
    arrivals = iter(range(100, 200))

    async def others_arrive() -> None:
        # Newer notifications, and reads of entries already seen, as a busy inbox would have.
        at = next(arrivals)
        await deliver(new_uow, ["bob"], minutes(at))
        await deliver(new_uow, ["bob"], minutes(at))
        async with new_uow() as uow:
            assert await uow.inbox.mark_all_read("bob", minutes(at)) > 0
            await uow.commit()

    seen = await walk(new_uow, "bob", 3, between_pages=others_arrive)

    assert seen == expected
    assert sorted(seen) == sorted(ids)
    assert len(await page_of(new_uow, "bob")) == len(ids) + 2 * (next(arrivals) - 100)


# Unit of work


async def test_commit_keeps_the_work(new_uow: NewUnitOfWork) -> None:
    async with new_uow() as uow:
        await uow.users.add(a_user("alice"))
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.users.all_ids() == ["alice"]


async def test_an_exception_rolls_the_work_back(new_uow: NewUnitOfWork) -> None:
    async def fail_halfway() -> None:
        async with new_uow() as uow:
            await uow.users.add(a_user("alice"))
            await uow.inbox.add(a_notification(NOW), ["bob"])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_halfway()

    async with new_uow() as uow:
        assert await uow.users.all_ids() == []
        assert await uow.inbox.unread_count("bob") == 0


async def test_an_exception_rolls_back_leads_tasks_comments_and_preferences(
    new_uow: NewUnitOfWork,
) -> None:
    lead = await given_lead(new_uow)
    task = await given_task(new_uow, lead)
    later = NOW + timedelta(hours=1)
    new_task = a_task(lead, "Send the quote")

    async def fail_halfway() -> None:
        async with new_uow() as uow:
            changed = await uow.leads.get(lead.id)
            assert changed is not None
            changed.change_score(90, later)
            await uow.leads.save(changed)
            completed = await uow.tasks.get(task.id)
            assert completed is not None
            completed.complete(later)
            await uow.tasks.save(completed)
            await uow.tasks.add(new_task)
            await uow.comments.add(a_comment(lead, "bob"))
            await uow.preferences.save("bob", NotificationType.COMMENT_ADDED, False)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_halfway()

    assert await read_lead(new_uow, lead.id) == lead
    assert await read_task(new_uow, task.id) == task
    assert await read_task(new_uow, new_task.id) is None
    async with new_uow() as uow:
        assert await uow.comments.author_ids(lead.id) == set()
    assert await disabled(new_uow, "bob") == set()
    assert await muted(new_uow, NotificationType.COMMENT_ADDED) == set()


async def test_leaving_without_commit_rolls_the_work_back(new_uow: NewUnitOfWork) -> None:
    async with new_uow() as uow:
        await uow.users.add(a_user("alice"))

    async with new_uow() as uow:
        assert await uow.users.get("alice") is None


async def test_work_after_a_commit_needs_its_own_commit(new_uow: NewUnitOfWork) -> None:
    async with new_uow() as uow:
        await uow.users.add(a_user("alice"))
        await uow.commit()
        await uow.users.add(a_user("bob"))

    async with new_uow() as uow:
        assert await uow.users.all_ids() == ["alice"]


async def test_concurrent_units_of_work_all_commit(new_uow: NewUnitOfWork) -> None:
    async def register(user_id: str) -> None:
        # Read, then write: the shape of every use case, and the hard case for SQLite's locks.
        async with new_uow() as uow:
            await uow.users.all_ids()
            await asyncio.sleep(0)
            await uow.users.add(a_user(user_id))
            await uow.commit()

    names = [f"user-{number}" for number in range(5)]
    await asyncio.gather(*(register(name) for name in names))

    async with new_uow() as uow:
        assert sorted(await uow.users.all_ids()) == names


# Engagement: seen, delivered and archived, each entry's own.


async def change_entry(
    new_uow: NewUnitOfWork, user_id: str, notification_id: UUID, change: Callable[[InboxEntry], Any]
) -> InboxEntry:
    """Reads the entry, changes it and saves it, in one unit of work; returns it changed."""
    async with new_uow() as uow:
        entry = await uow.inbox.get_for_update(user_id, notification_id)
        assert entry is not None
        change(entry)
        await uow.inbox.save(entry)
        await uow.commit()
    return entry


async def badge(new_uow: NewUnitOfWork, user_id: str) -> Badge:
    async with new_uow() as uow:
        return (await uow.inbox.badges([user_id]))[user_id]


async def test_a_new_entry_is_unseen_undelivered_and_not_archived(new_uow: NewUnitOfWork) -> None:
    notification = await given_notification(new_uow, ["bob"])

    entry = await read_entry(new_uow, "bob", notification.id)

    assert entry is not None
    assert (entry.seen_at, entry.delivered_at, entry.archived_at) == (None, None, None)
    assert await badge(new_uow, "bob") == Badge(unread=1, unseen=1)


async def test_a_saved_entry_keeps_every_state(new_uow: NewUnitOfWork) -> None:
    notification = await given_notification(new_uow, ["bob", "carol"])
    seen, delivered, archived = (NOW + timedelta(minutes=n, microseconds=n) for n in (1, 2, 3))

    def engage(entry: InboxEntry) -> None:
        entry.mark_seen(seen)
        entry.confirm_delivered(delivered)
        entry.archive(archived)

    saved = await change_entry(new_uow, "bob", notification.id, engage)

    stored = await read_entry(new_uow, "bob", notification.id)
    assert stored == saved
    assert stored is not None
    assert (stored.seen_at, stored.delivered_at, stored.archived_at) == (seen, delivered, archived)
    assert stored.updated_at == archived
    for moment in (stored.seen_at, stored.delivered_at, stored.archived_at):
        assert_utc(moment)
    carols = await read_entry(new_uow, "carol", notification.id)
    assert carols == InboxEntry.deliver(notification, "carol")


async def test_read_implies_seen_and_unread_keeps_it_seen(new_uow: NewUnitOfWork) -> None:
    notification = await given_notification(new_uow, ["bob"])
    read_at, unread_at = NOW + timedelta(minutes=1), NOW + timedelta(minutes=2)

    await change_entry(new_uow, "bob", notification.id, lambda entry: entry.mark_read(read_at))
    assert await badge(new_uow, "bob") == Badge(unread=0, unseen=0)
    entry = await change_entry(
        new_uow, "bob", notification.id, lambda entry: entry.mark_unread(unread_at)
    )

    assert (entry.read_at, entry.seen_at) == (None, read_at)
    assert await read_entry(new_uow, "bob", notification.id) == entry
    assert await badge(new_uow, "bob") == Badge(unread=1, unseen=0)


async def test_archived_entries_leave_counts_lists_and_marks(new_uow: NewUnitOfWork) -> None:
    kept = await given_notification(new_uow, ["bob"])
    put_away = await given_notification(new_uow, ["bob"], NOW + timedelta(minutes=1))
    archived_at = NOW + timedelta(minutes=2)
    later = NOW + timedelta(hours=1)
    await change_entry(new_uow, "bob", put_away.id, lambda entry: entry.archive(archived_at))

    assert await unread(new_uow, "bob") == 1
    assert await badge(new_uow, "bob") == Badge(unread=1, unseen=1)
    assert [e.notification for e in await page_of(new_uow, "bob")] == [kept]
    assert [e.notification for e in await page_of(new_uow, "bob", archived=True)] == [put_away]
    assert await page_of(new_uow, "bob", archived=True, unread_only=True, limit=1) != []
    async with new_uow() as uow:
        assert await uow.inbox.newest("bob", 10) == await uow.inbox.page("bob", limit=10)
        assert await uow.inbox.mark_all_seen("bob", later) == 1
        assert await uow.inbox.mark_all_read("bob", later) == 1
        assert await uow.inbox.mark_group_read("bob", put_away.group_key, later) == 0
        await uow.commit()

    # The group has a member outside the archive (kept); the archived one stays as it was.
    archived = await read_entry(new_uow, "bob", put_away.id)
    assert archived is not None
    assert (archived.read_at, archived.seen_at, archived.archived_at) == (None, None, archived_at)
    # Unarchived, it comes back as it was: unread, unseen, and counted again.
    await change_entry(new_uow, "bob", put_away.id, lambda entry: entry.unarchive(later))
    assert await badge(new_uow, "bob") == Badge(unread=1, unseen=1)
    assert [e.notification for e in await page_of(new_uow, "bob")] == [put_away, kept]
    assert await page_of(new_uow, "bob", archived=True) == []


async def test_archiving_keeps_read_and_seen(new_uow: NewUnitOfWork) -> None:
    notification = await given_notification(new_uow, ["bob"])
    read_at, archived_at = NOW + timedelta(minutes=1), NOW + timedelta(minutes=2)
    await change_entry(new_uow, "bob", notification.id, lambda entry: entry.mark_read(read_at))

    archived = await change_entry(
        new_uow, "bob", notification.id, lambda entry: entry.archive(archived_at)
    )
    back = await change_entry(
        new_uow, "bob", notification.id, lambda entry: entry.unarchive(NOW + timedelta(hours=1))
    )

    assert (archived.read_at, archived.seen_at) == (read_at, read_at)
    assert (back.read_at, back.seen_at, back.archived_at) == (read_at, read_at, None)
    assert await read_entry(new_uow, "bob", notification.id) == back


async def test_mark_all_read_sees_what_it_reads_and_keeps_earlier_sightings(
    new_uow: NewUnitOfWork,
) -> None:
    seen_before = await given_notification(new_uow, ["bob"])
    unseen = await given_notification(new_uow, ["bob"], NOW + timedelta(minutes=1))
    seen_at, later = NOW + timedelta(minutes=2), NOW + timedelta(hours=1)
    await change_entry(new_uow, "bob", seen_before.id, lambda entry: entry.mark_seen(seen_at))

    async with new_uow() as uow:
        assert await uow.inbox.mark_all_read("bob", later) == 2
        await uow.commit()

    first = await read_entry(new_uow, "bob", seen_before.id)
    second = await read_entry(new_uow, "bob", unseen.id)
    assert first is not None
    assert second is not None
    assert (first.read_at, first.seen_at, first.is_read) == (later, seen_at, True)
    assert (second.read_at, second.seen_at, second.is_read) == (later, later, True)
    assert await badge(new_uow, "bob") == Badge(0, 0)


async def test_mark_all_seen_sees_each_entry_once(new_uow: NewUnitOfWork) -> None:
    first = await given_notification(new_uow, ["bob", "carol"])
    read = await given_notification(new_uow, ["bob"], NOW + timedelta(minutes=1))
    third = await given_notification(new_uow, ["bob"], NOW + timedelta(minutes=2))
    read_at, later = NOW + timedelta(minutes=3), NOW + timedelta(hours=1)
    await change_entry(new_uow, "bob", read.id, lambda entry: entry.mark_read(read_at))

    async with new_uow() as uow:
        assert await uow.inbox.mark_all_seen("bob", later) == 2
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.inbox.mark_all_seen("bob", later + timedelta(hours=1)) == 0
        await uow.commit()

    async with new_uow() as uow:
        seen = {e.notification.id: e.seen_at for e in await uow.inbox.newest("bob", 10)}
    assert seen == {first.id: later, read.id: read_at, third.id: later}
    assert await badge(new_uow, "bob") == Badge(unread=2, unseen=0)
    assert await badge(new_uow, "carol") == Badge(unread=1, unseen=1)
    carols = await read_entry(new_uow, "carol", first.id)
    assert carols is not None
    assert carols.seen_at is None


async def test_mark_group_read_reads_that_group_only(new_uow: NewUnitOfWork) -> None:
    umbrella, acme = await given_lead(new_uow), await given_lead(new_uow)
    comments = [
        await deliver(new_uow, ["bob", "carol"], minutes(at), NotificationType.COMMENT_ADDED, lead)
        for at, lead in ((0, umbrella.id), (1, acme.id), (2, umbrella.id), (3, umbrella.id))
    ]
    seen_at, later = minutes(10), minutes(60)
    async with new_uow() as uow:
        member = await uow.inbox.get("bob", comments[0])
        assert member is not None
        key = member.notification.group_key
        entry = await uow.inbox.get("bob", comments[2])
        assert entry is not None
        entry.mark_seen(seen_at)
        await uow.inbox.save(entry)
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.inbox.mark_group_read("bob", key, later) == 3
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.inbox.mark_group_read("bob", key, later + timedelta(hours=1)) == 0
        assert await uow.inbox.mark_group_read("bob", "comment_added:nothing", later) is None
        assert await uow.inbox.mark_group_read("dave", key, later) is None
        await uow.commit()

    read = {e.notification.id: (e.read_at, e.seen_at) for e in await page_of(new_uow, "bob")}
    assert read == {
        comments[0]: (later, later),
        comments[1]: (None, None),
        comments[2]: (later, seen_at),
        comments[3]: (later, later),
    }
    assert await badge(new_uow, "bob") == Badge(unread=1, unseen=1)
    assert await badge(new_uow, "carol") == Badge(unread=4, unseen=4)


async def test_mark_group_read_finds_no_group_in_the_archive(new_uow: NewUnitOfWork) -> None:
    notification = await given_notification(new_uow, ["bob"])
    await change_entry(new_uow, "bob", notification.id, lambda entry: entry.archive(minutes(1)))

    async with new_uow() as uow:
        assert await uow.inbox.mark_group_read("bob", notification.group_key, minutes(2)) is None
        await uow.commit()

    entry = await read_entry(new_uow, "bob", notification.id)
    assert entry is not None
    assert not entry.is_read


async def committed_with_events(new_uow: NewUnitOfWork, recipients: list[str]) -> Notification:
    """A notification added with its `notification:created` event, as use cases add them."""
    notification = a_notification(NOW)
    async with new_uow() as uow:
        await uow.inbox.add(notification, recipients)
        await uow.events.add([NotificationCreated(notification, tuple(recipients))])
        await uow.commit()
    return notification


async def event_id_of(
    new_uow: NewUnitOfWork, notification: Notification, user_id: str = "bob"
) -> int:
    async with new_uow() as uow:
        stored = await uow.events.history(user_id, 0, 1000)
    [event_id] = [
        e.id
        for e in stored
        if isinstance(e.event, NotificationCreated) and e.event.notification.id == notification.id
    ]
    return event_id


async def test_confirm_delivered_goes_by_the_notifications_event_ids(
    new_uow: NewUnitOfWork,
) -> None:
    first = await committed_with_events(new_uow, ["bob", "carol"])
    async with new_uow() as uow:  # events of other kinds take ids in between
        await uow.events.add([NotificationsBulkUpdated("bob", 0)])
        await uow.commit()
    second = await committed_with_events(new_uow, ["bob"])
    third = await committed_with_events(new_uow, ["bob"])
    without_event = await given_notification(new_uow, ["bob"])
    through = await event_id_of(new_uow, second)
    assert await event_id_of(new_uow, first) < through < await event_id_of(new_uow, third)
    delivered_at, later = minutes(5), minutes(60)

    async with new_uow() as uow:
        assert await uow.inbox.confirm_delivered({"bob": through}, delivered_at) == 2
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.inbox.confirm_delivered({"bob": through}, later) == 0
        assert await uow.inbox.confirm_delivered({"dave": through + 10}, later) == 0
        await uow.commit()

    delivered = {e.notification.id: e.delivered_at for e in await page_of(new_uow, "bob")}
    assert delivered == {
        first.id: delivered_at,
        second.id: delivered_at,
        third.id: None,
        without_event.id: None,
    }
    carols = await read_entry(new_uow, "carol", first.id)
    assert carols is not None
    assert carols.delivered_at is None
    # Set once: a later confirmation delivers the newer one and moves none of the others.
    async with new_uow() as uow:
        assert await uow.inbox.confirm_delivered({"bob": through + 100}, later) == 1
        await uow.commit()
    delivered = {e.notification.id: e.delivered_at for e in await page_of(new_uow, "bob")}
    assert delivered[first.id] == delivered_at
    assert delivered[third.id] == later
    assert delivered[without_event.id] is None
    # Delivery is no read nor sight.
    assert await badge(new_uow, "bob") == Badge(unread=4, unseen=4)


async def test_a_confirmation_past_every_event_delivers_no_later_notification(
    new_uow: NewUnitOfWork,
) -> None:
    first = await committed_with_events(new_uow, ["bob"])
    far = await event_id_of(new_uow, first) + 1_000
    async with new_uow() as uow:
        assert await uow.inbox.confirm_delivered({"bob": far}, minutes(5)) == 1
        await uow.commit()
    later = await committed_with_events(new_uow, ["bob"])
    assert await event_id_of(new_uow, later) < far

    delivered = {e.notification.id: e.delivered_at for e in await page_of(new_uow, "bob")}
    assert delivered == {first.id: minutes(5), later.id: None}
    # Its client confirms it when it has it.
    async with new_uow() as uow:
        assert await uow.inbox.confirm_delivered({"bob": far}, minutes(6)) == 1
        await uow.commit()
    delivered = {e.notification.id: e.delivered_at for e in await page_of(new_uow, "bob")}
    assert delivered == {first.id: minutes(5), later.id: minutes(6)}


async def test_an_uncounted_confirmation_delivers_as_a_counted_one(
    new_uow: NewUnitOfWork,
) -> None:
    first = await committed_with_events(new_uow, ["bob", "carol"])
    second = await committed_with_events(new_uow, ["bob", "carol"])
    first_id, second_id = await event_id_of(new_uow, first), await event_id_of(new_uow, second)

    async with new_uow() as uow:
        await uow.inbox.confirm_delivered_uncounted({"bob": first_id, "carol": 10**9}, minutes(5))
        await uow.commit()
    # Counted after it: only what it left.
    async with new_uow() as uow:
        assert (
            await uow.inbox.confirm_delivered({"bob": second_id, "carol": 10**9}, minutes(6)) == 1
        )
        await uow.commit()

    for user, expected in {
        "bob": {first.id: minutes(5), second.id: minutes(6)},
        "carol": {first.id: minutes(5), second.id: minutes(5)},
    }.items():
        assert {e.notification.id: e.delivered_at for e in await page_of(new_uow, user)} == (
            expected
        )


@pytest.mark.parametrize("by_events_up_to", [0, 1_000])
async def test_a_count_of_what_became_delivered_leaves_out_those_delivered_before(
    new_uow: NewUnitOfWork, monkeypatch: pytest.MonkeyPatch, by_events_up_to: int
) -> None:
    # Read off the events since bob's previous mark, or off his own entries (a long gap):
    # either way an entry delivered by its own column is not counted again.
    monkeypatch.setattr(repositories, "COUNT_BY_EVENTS_UP_TO", by_events_up_to)
    told = [await committed_with_events(new_uow, ["bob"]) for _ in range(4)]
    event_ids = [await event_id_of(new_uow, notification) for notification in told]
    async with new_uow() as uow:
        assert await uow.inbox.confirm_delivered({"bob": event_ids[0]}, minutes(5)) == 1
        entry = await uow.inbox.get_for_update("bob", told[2].id)
        assert entry is not None
        assert entry.confirm_delivered(minutes(6))  # as an entry saved delivered
        await uow.inbox.save(entry)
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.inbox.confirm_delivered({"bob": event_ids[3]}, minutes(7)) == 2
        await uow.commit()

    delivered = {e.notification.id: e.delivered_at for e in await page_of(new_uow, "bob")}
    assert [delivered[notification.id] for notification in told] == [
        minutes(5),
        minutes(7),
        minutes(6),
        minutes(7),
    ]


async def test_a_count_after_the_purge_took_every_mark_of_a_user(new_uow: NewUnitOfWork) -> None:
    older, newer = a_notification(minutes(0)), a_notification(minutes(2))
    for notification in (older, newer):
        async with new_uow() as uow:
            await uow.inbox.add(notification, ["bob"])
            await uow.events.add([NotificationCreated(notification, ("bob",))])
            await uow.commit()
    older_id, newer_id = await event_id_of(new_uow, older), await event_id_of(new_uow, newer)
    async with new_uow() as uow:
        assert await uow.inbox.confirm_delivered({"bob": older_id}, minutes(5)) == 1
        purged = await uow.inbox.purge_before(minutes(1), 10, 100)
        assert purged.notifications == 1  # and bob's only mark
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.inbox.confirm_delivered({"bob": newer_id}, minutes(6)) == 1
        await uow.commit()

    delivered = {e.notification.id: e.delivered_at for e in await page_of(new_uow, "bob")}
    assert delivered == {newer.id: minutes(6)}


async def test_a_purge_keeps_each_remaining_entrys_delivery_time(new_uow: NewUnitOfWork) -> None:
    told = []
    for at in range(3):
        notification = a_notification(minutes(at))
        async with new_uow() as uow:
            await uow.inbox.add(notification, ["bob"])
            await uow.events.add([NotificationCreated(notification, ("bob",))])
            await uow.commit()
        told.append(notification)
    for notification, at in zip(told, (10, 11, 12), strict=True):
        event_id = await event_id_of(new_uow, notification)
        async with new_uow() as uow:
            assert await uow.inbox.confirm_delivered({"bob": event_id}, minutes(at)) == 1
            await uow.commit()

    async with new_uow() as uow:
        assert (await uow.inbox.purge_before(minutes(1), 10, 100)).notifications == 1  # the oldest
        await uow.commit()

    delivered = {e.notification.id: e.delivered_at for e in await page_of(new_uow, "bob")}
    assert delivered == {told[1].id: minutes(11), told[2].id: minutes(12)}


async def test_each_notification_of_a_commit_gets_its_own_event_id(
    new_uow: NewUnitOfWork,
) -> None:
    first, second = a_notification(NOW), a_notification(minutes(1))
    async with new_uow() as uow:
        for notification in (first, second):
            await uow.inbox.add(notification, ["bob"])
        await uow.events.add(
            [
                NotificationsBulkUpdated("bob", 0),
                NotificationCreated(first, ("bob",)),
                NotificationCreated(second, ("bob",)),
            ]
        )
        await uow.commit()
    through = await event_id_of(new_uow, first)
    assert await event_id_of(new_uow, second) == through + 1

    async with new_uow() as uow:
        assert await uow.inbox.confirm_delivered({"bob": through}, minutes(5)) == 1
        await uow.commit()

    delivered = {e.notification.id: e.delivered_at for e in await page_of(new_uow, "bob")}
    assert delivered == {first.id: minutes(5), second.id: None}


async def test_confirm_delivered_applies_each_users_own_event_id_in_one_call(
    new_uow: NewUnitOfWork,
) -> None:
    first = await committed_with_events(new_uow, ["bob", "carol", "erin"])
    second = await committed_with_events(new_uow, ["bob", "carol", "erin"])
    first_id, second_id = await event_id_of(new_uow, first), await event_id_of(new_uow, second)
    at = minutes(5)

    async with new_uow() as uow:
        # bob confirmed the first only, carol both, dave (no entries) anything; erin nothing.
        # Not in the users' order: each user goes with their own event id whatever the order.
        through = {"dave": second_id + 10, "carol": second_id, "bob": first_id}
        assert await uow.inbox.confirm_delivered(through, at) == 3
        await uow.commit()

    for user, expected in {
        "bob": {first.id: at, second.id: None},
        "carol": {first.id: at, second.id: at},
        "erin": {first.id: None, second.id: None},
    }.items():
        assert {e.notification.id: e.delivered_at for e in await page_of(new_uow, user)} == (
            expected
        )
    # Again, each user counting their own entries alone: the third is carol's.
    third = await committed_with_events(new_uow, ["carol"])
    third_id, later = await event_id_of(new_uow, third, "carol"), minutes(6)
    async with new_uow() as uow:
        assert await uow.inbox.confirm_delivered({"bob": third_id, "carol": third_id}, later) == 2
        await uow.commit()
    assert {e.notification.id: e.delivered_at for e in await page_of(new_uow, "bob")} == {
        first.id: at,
        second.id: later,
    }


async def test_a_notification_is_in_its_group_in_every_inbox(new_uow: NewUnitOfWork) -> None:
    lead = await given_lead(new_uow)
    notification_id = await deliver(
        new_uow, ["bob", "carol"], NOW, NotificationType.TASK_COMPLETED, lead.id
    )
    entry = await read_entry(new_uow, "bob", notification_id)
    assert entry is not None

    async with new_uow() as uow:
        key = entry.notification.group_key
        assert key == f"task_completed:{lead.id}"
        assert await uow.inbox.mark_group_read("bob", key, minutes(1)) == 1
        assert await uow.inbox.mark_group_read("carol", key, minutes(1)) == 1
        await uow.commit()


async def test_every_write_after_mark_all_read_finds_its_entries_read(
    new_uow: NewUnitOfWork,
) -> None:
    # On PostgreSQL markAllAsRead answers with a mark, written to the entries later: each
    # write of the user's entries meanwhile sees them read, and keeps the counts exact.
    told = [
        await given_notification(new_uow, ["bob"], NOW + timedelta(minutes=m)) for m in range(5)
    ]
    read_at = NOW + timedelta(hours=1)
    later = read_at + timedelta(minutes=1)
    async with new_uow() as uow:
        assert await uow.inbox.mark_all_read("bob", read_at) == 5
        await uow.commit()

    entry = await change_entry(new_uow, "bob", told[0].id, lambda entry: entry.mark_unread(later))
    assert (entry.read_at, entry.seen_at) == (None, read_at)
    assert await badge(new_uow, "bob") == Badge(unread=1, unseen=0)
    archived = await change_entry(new_uow, "bob", told[1].id, lambda e: e.archive(later))
    assert (archived.read_at, archived.archived_at) == (read_at, later)
    async with new_uow() as uow:
        assert await uow.inbox.remove("bob", told[2].id)
        assert await uow.inbox.mark_group_read("bob", told[3].group_key, later) == 1  # told[0]
        assert await uow.inbox.mark_all_seen("bob", later) == 0
        assert await uow.inbox.mark_all_read("bob", later) == 0
        await uow.commit()
    assert await badge(new_uow, "bob") == Badge(unread=0, unseen=0)
    assert await read_entry(new_uow, "bob", told[4].id) == InboxEntry(
        told[4], "bob", read_at=read_at, updated_at=read_at, seen_at=read_at
    )
    assert [e.notification.id for e in await page_of(new_uow, "bob")] == [
        told[4].id,
        told[3].id,
        told[0].id,
    ]
