"""Concurrency in the repositories' contract: upserts, rows read for update, and the errors a
unit of work that loses to another one raises; in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from test_repository_contract import (
    NOW,
    NewUnitOfWork,
    a_user,
    given_lead,
    given_notification,
    given_task,
    read_entry,
)

from adapters.sqlalchemy import repositories
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.migrations import upgrade_async
from adapters.sqlalchemy.queries import COUNTED, counted
from adapters.sqlalchemy.tables import inbox_broadcasts, inbox_counts, notifications
from adapters.sqlalchemy.tables import notification_recipients as recipients
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.notifications.apply_deferred_changes import ApplyDeferredChanges
from application.ports import ConcurrentUpdate, DatabaseBusy, UnitOfWork
from builders import a_notification
from domain.events import NotificationCreated
from domain.notifications import Badge, InboxEntry

HELD_SECONDS = 0.3


async def test_adding_a_registered_user_updates_the_profile_and_keeps_the_first_time(
    new_uow: NewUnitOfWork,
) -> None:
    async with new_uow() as uow:
        await uow.users.add(a_user("alice"))
        await uow.commit()
    again = a_user("alice", at=NOW + timedelta(hours=1))
    again.name = "Alice Liddell"

    async with new_uow() as uow:
        await uow.users.add(again)
        await uow.commit()
    async with new_uow() as uow:
        stored = await uow.users.get("alice")

    assert stored is not None
    assert (stored.name, stored.created_at, stored.updated_at) == (
        "Alice Liddell",
        NOW,
        NOW + timedelta(hours=1),
    )


async def test_two_first_registrations_at_once_both_commit(new_uow: NewUnitOfWork) -> None:
    async def register() -> None:
        async with new_uow() as uow:
            await uow.users.add(a_user("alice"))
            await uow.commit()

    await asyncio.gather(register(), register())

    async with new_uow() as uow:
        assert await uow.users.all_ids() == ["alice"]


async def test_a_lead_read_for_update_waits_for_the_writer_before(
    new_uow: NewUnitOfWork,
) -> None:
    lead = await given_lead(new_uow)
    order: list[str] = []

    async def first() -> None:
        async with new_uow() as uow:
            locked = await uow.leads.get_for_update(lead.id)
            assert locked is not None
            await asyncio.sleep(HELD_SECONDS)
            locked.change_score(42, NOW + timedelta(minutes=1))
            await uow.leads.save(locked)
            order.append("first commits")
            await uow.commit()

    async def second() -> int:
        await asyncio.sleep(HELD_SECONDS / 3)  # the first one holds the lead by now
        async with new_uow() as uow:
            seen = await uow.leads.get_for_update(lead.id)
            order.append("second reads")
            assert seen is not None
            return seen.score

    _, score = await asyncio.gather(first(), second())

    assert order == ["first commits", "second reads"]
    assert score == 42


async def test_a_task_and_an_entry_read_for_update_are_the_ones_read(
    new_uow: NewUnitOfWork,
) -> None:
    task = await given_task(new_uow, await given_lead(new_uow))
    notification = await given_notification(new_uow, ["bob"])
    entry = await read_entry(new_uow, "bob", notification.id)

    async with new_uow() as uow:
        assert await uow.tasks.get_for_update(task.id) == task
        assert await uow.inbox.get_for_update("bob", notification.id) == entry
        assert await uow.inbox.get_for_update("carol", notification.id) is None
        assert await uow.leads.get_for_update(task.id) is None


@pytest.fixture
async def impatient_uow(database_url: str) -> AsyncIterator[NewUnitOfWork]:
    """Units of work on a migrated database that wait 100 ms at most for a lock."""
    await upgrade_async(database_url)
    engine = make_engine(database_url, lock_timeout_ms=100)
    session_factory = make_session_factory(engine)
    yield lambda: SqlAlchemyUnitOfWork(session_factory)
    await engine.dispose()


async def test_a_lock_held_past_the_timeout_is_database_busy(
    impatient_uow: NewUnitOfWork,
) -> None:
    lead = await given_lead(impatient_uow)
    held = asyncio.Event()
    done = asyncio.Event()

    async def holder() -> None:
        async with impatient_uow() as uow:
            await uow.leads.get_for_update(lead.id)
            held.set()
            await done.wait()

    holding = asyncio.create_task(holder())
    await held.wait()
    try:
        async with asyncio.timeout(5):
            with pytest.raises(DatabaseBusy):
                async with impatient_uow() as uow:
                    await uow.leads.get_for_update(lead.id)
    finally:
        done.set()
        await holding


@pytest.mark.postgres
async def test_a_deadlock_is_a_concurrent_update(migrated_postgres_url: str) -> None:
    engine = make_engine(migrated_postgres_url)
    new_uow: NewUnitOfWork = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    one, other = await given_lead(new_uow), await given_lead(new_uow)
    both_hold_one = asyncio.Barrier(2)

    async def lock(first_id: object, then_id: object) -> None:
        async with new_uow() as uow:
            await uow.leads.get_for_update(first_id)  # type: ignore[arg-type]
            await both_hold_one.wait()
            await uow.leads.get_for_update(then_id)  # type: ignore[arg-type]

    try:
        async with asyncio.timeout(10):
            outcomes = await asyncio.gather(
                lock(one.id, other.id), lock(other.id, one.id), return_exceptions=True
            )
    finally:
        await engine.dispose()

    # PostgreSQL gives up one of the two; the other then goes on.
    assert sorted((outcome is None, type(outcome)) for outcome in outcomes) == [
        (False, ConcurrentUpdate),
        (True, type(None)),
    ]


@pytest.mark.postgres
async def test_a_pool_with_no_connection_free_in_time_is_database_busy(
    migrated_postgres_url: str,
) -> None:
    # The writes of an overloaded process queue for connections: the one that waits too long
    # is told to try again, not answered with an internal error.
    engine = create_async_engine(
        migrated_postgres_url, pool_size=1, max_overflow=0, pool_timeout=0.2
    )
    new_uow: NewUnitOfWork = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    try:
        async with engine.connect() as the_only_connection:
            await the_only_connection.execute(sa.text("SELECT 1"))
            with pytest.raises(DatabaseBusy):
                async with new_uow() as uow:
                    await uow.users.get("alice")
        async with new_uow() as uow:  # free again
            assert await uow.users.get("alice") is None
    finally:
        await engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("mark", ["mark_all_seen", "mark_group_read", "mark_all_read"])
@pytest.mark.parametrize("added", ["before the mark", "after the mark"])
async def test_a_notification_committed_while_a_mark_runs_stays_unseen_and_unread(
    migrated_postgres_url: str, mark: str, added: str
) -> None:
    # The newcomer's transaction begins before the mark's commit and commits in the middle of
    # it: either before or after the mark's UPDATE, it is not marked.
    engine = make_engine(migrated_postgres_url)
    new_uow: NewUnitOfWork = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    old = await given_notification(new_uow, ["bob"])
    newcomer = a_notification(NOW + timedelta(minutes=1))
    assert newcomer.group_key == old.group_key
    later = NOW + timedelta(hours=1)

    async def marking(uow: UnitOfWork) -> int | None:
        if mark == "mark_all_seen":
            return await uow.inbox.mark_all_seen("bob", later)
        if mark == "mark_all_read":
            return await uow.inbox.mark_all_read("bob", later)
        return await uow.inbox.mark_group_read("bob", old.group_key, later)

    async def add_newcomer(uow: UnitOfWork) -> None:
        await uow.inbox.add(newcomer, ["bob"])
        await uow.events.add([NotificationCreated(newcomer, ("bob",))])  # as `notify` does

    try:
        async with asyncio.timeout(10), new_uow() as marker, new_uow() as adder:
            if added == "before the mark":
                await add_newcomer(adder)
                assert await marking(marker) == 1
            else:
                assert await marking(marker) == 1
                await add_newcomer(adder)
            # markAllAsRead holds the outbox's turn from its mark on: the newcomer's commit
            # then comes right after the mark's, not before it.
            adding = asyncio.create_task(adder.commit())
            await asyncio.wait({adding}, timeout=0.2)
            await marker.commit()
            await adding

        entry = await read_entry(new_uow, "bob", newcomer.id)
        marked = await read_entry(new_uow, "bob", old.id)
    finally:
        await engine.dispose()

    assert entry == InboxEntry.deliver(newcomer, "bob")
    assert marked is not None
    assert marked.seen_at == later


@pytest.mark.postgres
@pytest.mark.parametrize(
    "broadcast_floor",
    [repositories.BROADCAST_FLOOR, 1],
    ids=["each recipient counted", "fan-outs counted as broadcasts"],
)
async def test_counts_kept_through_racing_fan_outs_marks_deletes_and_purges_are_counted(
    migrated_postgres_url: str, broadcast_floor: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every kind of change at once, on overlapping users, in the application's order (the
    # inbox writes, then the turn, then the counts; a fan-out's read as it commits, with its
    # events, and counted there as a broadcast): none waits on another's counts in a
    # cycle, and what is kept equals what the entries count, whether a fan-out changes each
    # recipient's row or counts one broadcast (with a floor of 1: the 8 notifications made
    # first, and the racing fan-outs told to 6 of the 12 users).
    monkeypatch.setattr(repositories, "BROADCAST_FLOOR", broadcast_floor)
    engine = make_engine(migrated_postgres_url)
    new_uow: NewUnitOfWork = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    users = [f"user-{number:02}" for number in range(12)]
    old = [
        await given_notification(new_uow, users[number % 4 :], NOW + timedelta(seconds=number))
        for number in range(8)
    ]
    later = NOW + timedelta(days=1)

    async def fan_out(number: int) -> None:  # as `notify` does
        told = users[number % 3 :: 2]
        notification = a_notification(later + timedelta(seconds=number))
        async with new_uow() as uow:
            await uow.inbox.add(notification, told)
            await uow.events.add([NotificationCreated(notification, tuple(told))])
            await uow.events.add_counts(told)
            await uow.commit()

    async def mark(number: int) -> None:
        user_id = users[number % len(users)]
        async with new_uow() as uow:
            if number % 3 == 0:
                await uow.inbox.mark_all_read(user_id, later)
            elif number % 3 == 1:
                await uow.inbox.mark_all_seen(user_id, later)
            else:
                await uow.inbox.mark_group_read(user_id, old[number % 8].group_key, later)
            await uow.events.take_turn()
            await uow.inbox.unread_count(user_id)
            await uow.commit()

    async def change_one(number: int) -> None:
        user_id, notification = users[number % len(users)], old[number % 8]
        async with new_uow() as uow:
            entry = await uow.inbox.get_for_update(user_id, notification.id)
            if entry is None:
                return
            if number % 4 == 0:
                await uow.inbox.remove(user_id, notification.id)
            else:
                changed = (entry.archive, entry.mark_read, entry.mark_unread)[number % 4 - 1]
                if not changed(later):
                    return
                await uow.inbox.save(entry)
            await uow.commit()  # the counts written without a turn taken before

    async def purge(number: int) -> None:
        async with new_uow() as uow:
            # At most 5 entries: a notification of 8 to 12 goes in parts, across racing batches.
            await uow.inbox.purge_before(NOW + timedelta(seconds=number + 1), 1, 5)
            await uow.events.take_turn()
            await uow.inbox.badges(users)
            await uow.commit()

    async def apply_marks(number: int) -> None:  # as `herald serve` does in the background
        await ApplyDeferredChanges(new_uow)()

    work = [
        job(number)
        for number in range(40)
        for job in (fan_out, mark, change_one, purge, apply_marks)
        if job not in (purge, apply_marks) or number < (4 if job is purge else 12)
    ]
    try:
        async with asyncio.timeout(60):
            await asyncio.gather(*work)
            # What the entries count once the marks left are applied, as the counts have it.
            while await ApplyDeferredChanges(new_uow)():
                pass
        async with engine.connect() as connection:
            kept = await kept_counts(connection)
            truth = await counted_entries(connection)
            broadcasts = await connection.scalar(sa.select(inbox_broadcasts.c.sent))
            # No entry outlived its notification (the purge deletes one after its entries).
            orphans = await connection.scalar(
                sa.select(sa.func.count())
                .select_from(recipients)
                .where(~sa.exists().where(notifications.c.id == recipients.c.notification_id))
            )
    finally:
        await engine.dispose()

    assert orphans == 0
    assert {user_id: counts for user_id, counts in kept.items() if any(counts)} == {
        user_id: counts for user_id, counts in truth.items() if any(counts)
    }
    assert sum(total for _, _, total in truth.values()) > 0
    assert broadcasts == (8 + 27 if broadcast_floor == 1 else 0)


async def kept_counts(connection: AsyncConnection) -> dict[str, tuple[int, int, int]]:
    """Each user's counts as Herald keeps them (a row's own and the broadcasts it received)."""
    rows = await connection.execute(
        sa.select(inbox_counts.c.user_id, *map(counted, ("unread", "unseen", "total"))).select_from(
            COUNTED
        )
    )
    return {row.user_id: (row.unread, row.unseen, row.total) for row in rows}


async def counted_entries(connection: AsyncConnection) -> dict[str, tuple[int, int, int]]:
    """Each user's counts as their entries give them."""
    in_inbox = recipients.c.archived_at.is_(None)
    rows = await connection.execute(
        sa.select(
            recipients.c.user_id,
            sa.func.count().filter(sa.not_(recipients.c.is_read), in_inbox),
            sa.func.count().filter(recipients.c.seen_at.is_(None), in_inbox),
            sa.func.count().filter(in_inbox),
        ).group_by(recipients.c.user_id)
    )
    return {row[0]: tuple(row[1:]) for row in rows}


async def applied_read_mark(uow: UnitOfWork) -> int:
    """markAllAsRead's mark (written before) applied to alice's two entries."""
    return 2 if await uow.inbox.apply_deferred("alice") else 0


async def purged_entries(uow: UnitOfWork) -> int:
    return (await uow.inbox.purge_before(NOW + timedelta(seconds=1), 2, 100)).entries


MANY_ENTRY_WRITERS = {
    "markAllAsRead's mark applied": applied_read_mark,
    "mark_all_seen": lambda uow: uow.inbox.mark_all_seen("alice", NOW),
    "mark_group_read": lambda uow: uow.inbox.mark_group_read(
        "alice", a_notification(NOW).group_key, NOW
    ),
    "purge_before": purged_entries,
}


@pytest.mark.parametrize("writer", MANY_ENTRY_WRITERS)
async def test_a_writer_of_many_entries_locks_them_in_the_order_of_their_keys(
    migrated_postgres_url: str, writer: str
) -> None:
    # Two entries of one user (or alice's and bob's), the one with the greater key stored first.
    # The writer holds the lesser one while it waits for the greater one: two such writers that
    # share entries lock them in one order, and none waits for the other in a cycle.
    engine = make_engine(migrated_postgres_url)
    new_uow: NewUnitOfWork = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    lesser, greater = sorted((a_notification(NOW), a_notification(NOW)), key=lambda each: each.id)
    holding, release = asyncio.Event(), asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def hold_greater() -> None:
        # As a writer of many users' entries holds it (the purge): not under alice's lock,
        # which every writer of her entries alone takes first.
        async with engine.begin() as connection:
            locked = await connection.execute(
                sa.text(
                    'SELECT 1 FROM notification_recipients WHERE "notificationId" = :id'
                    " FOR NO KEY UPDATE"
                ),
                {"id": greater.id},
            )
            assert locked.all() == [(1,)]
            holding.set()
            await release.wait()

    async def write_many() -> None:
        async with new_uow() as uow:
            assert await MANY_ENTRY_WRITERS[writer](uow) == 2  # both entries
            await uow.commit()

    try:
        for notification in (greater, lesser):
            async with new_uow() as uow:
                await uow.inbox.add(notification, ["alice"])
                await uow.commit()
        async with engine.begin() as connection:
            await connection.execute(sa.text('UPDATE notifications SET "eventId" = 1'))
            await connection.execute(
                sa.text("UPDATE outbox_state SET position = 1 WHERE name = 'assigned'")
            )
        if writer == "markAllAsRead's mark applied":
            async with new_uow() as uow:
                assert await uow.inbox.mark_all_read("alice", NOW) == 2
                await uow.commit()
        holder = asyncio.create_task(hold_greater())
        await holding.wait()
        writing = asyncio.create_task(write_many())
        tasks += [holder, writing]
        async with engine.connect() as connection:
            for _ in range(200):
                waiting = await connection.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
                await connection.rollback()  # a new snapshot for the next look
                if waiting:
                    break
                await asyncio.sleep(0.01)
        assert waiting == 1
        locked_lesser = sa.text(
            'SELECT 1 FROM notification_recipients WHERE "notificationId" = :id FOR UPDATE NOWAIT'
        )
        with pytest.raises(sa.exc.DBAPIError, match="could not obtain lock"):
            async with engine.begin() as connection:
                await connection.execute(locked_lesser, {"id": lesser.id})
        release.set()
        await asyncio.wait_for(asyncio.gather(holder, writing), 10)
    finally:
        release.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await engine.dispose()


@pytest.mark.postgres
async def test_a_broadcast_rewrites_no_recipients_counts(migrated_postgres_url: str) -> None:
    # A lead told to most users under the outbox's turn changes the counts rows of those it is
    # not told to, and the one row of broadcasts: each changed row leaves a version behind
    # that the next lead's statements walk past while the turn is held.
    engine = make_engine(migrated_postgres_url)
    new_uow: NewUnitOfWork = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    users = [f"user-{number:03d}" for number in range(100)]

    async def versions() -> dict[str, str]:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text(
                    'SELECT "userId", xmin::text FROM inbox_counts'
                    " UNION ALL SELECT 'broadcasts', xmin::text FROM inbox_broadcasts"
                )
            )
            return {str(user_id): str(version) for user_id, version in rows}

    try:
        await given_notification(new_uow, users)
        before = await versions()
        await given_notification(new_uow, users[:90])
        after = await versions()
        async with engine.connect() as connection:
            kept = await kept_counts(connection)
    finally:
        await engine.dispose()

    assert before.keys() == after.keys() == {*users, "broadcasts"}
    changed = {key for key in after if after[key] != before[key]}
    assert changed == {*users[90:], "broadcasts"}
    assert kept == {**dict.fromkeys(users[:90], (2, 2, 2)), **dict.fromkeys(users[90:], (1, 1, 1))}


async def test_broadcasts_and_own_changes_in_one_unit_of_work(database_url: str) -> None:
    # Two notifications to most users, counted as broadcasts (on both SQL databases), and a
    # read-state change, all in one unit of work: the counts it reads back and those it keeps.
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    new_uow: NewUnitOfWork = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    users = [f"user-{number:03d}" for number in range(100)]
    try:
        old = await given_notification(new_uow, users[:10])
        async with new_uow() as uow:
            await uow.inbox.add(a_notification(NOW + timedelta(seconds=1)), users[5:])
            entry = await uow.inbox.get_for_update("user-005", old.id)
            assert entry is not None
            assert entry.mark_read(NOW)
            await uow.inbox.save(entry)
            await uow.inbox.add(a_notification(NOW + timedelta(seconds=2)), users[:90])
            read_back = await uow.inbox.badges(["user-000", "user-005", "user-050", "user-095"])
            await uow.commit()
        async with engine.connect() as connection:
            kept = await kept_counts(connection)
            broadcasts = await connection.scalar(sa.select(inbox_broadcasts.c.sent))
    finally:
        await engine.dispose()

    assert read_back == {
        "user-000": Badge(2, 2),
        "user-005": Badge(2, 2),
        "user-050": Badge(2, 2),
        "user-095": Badge(1, 1),
    }
    assert broadcasts == 2
    assert {user: kept[user] for user in read_back} == {
        "user-000": (2, 2, 2),
        "user-005": (2, 2, 3),
        "user-050": (2, 2, 2),
        "user-095": (1, 1, 1),
    }


@pytest.mark.postgres
@pytest.mark.parametrize("counted", [False, True])
async def test_every_users_confirmations_are_a_statement_or_two_that_write_no_entry(
    migrated_postgres_url: str, counted: bool
) -> None:
    # A second's confirmations of a thousand sockets are one round trip (uncounted, as the
    # Socket.IO flush sends them) or two (counted), not one per user, and a mark per user,
    # not an update of every entry delivered. Uncounted, no entry is read either.
    engine = make_engine(migrated_postgres_url)
    new_uow: NewUnitOfWork = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    sent: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(statement)

    try:
        async with new_uow() as uow:
            await uow.inbox.add(a_notification(NOW), ["alice", "bob", "carol"])
            await uow.commit()
        async with engine.begin() as connection:
            await connection.execute(sa.text('UPDATE notifications SET "eventId" = 1'))
        sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
        async with new_uow() as uow:
            through = {"carol": 1, "alice": 1, "bob": 0, "dave": 1}
            if counted:
                assert await uow.inbox.confirm_delivered(through, NOW) == 2
            else:
                await uow.inbox.confirm_delivered_uncounted(through, NOW)
            await uow.commit()
        confirming = [statement for statement in sent if "delivery_" in statement]
        assert len(confirming) == (2 if counted else 1)
        assert not [statement for statement in sent if "notification_recipients SET" in statement]
        if not counted:
            assert not [statement for statement in sent if "notification_recipients" in statement]
        async with engine.connect() as connection:
            marks = await connection.execute(
                sa.text('SELECT "userId", "throughEventId" FROM delivery_marks ORDER BY 1')
            )
            assert marks.all() == [("alice", 1), ("carol", 1), ("dave", 1)]
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_confirmation_waits_for_one_of_the_same_user_before_and_moves_no_time(
    migrated_postgres_url: str,
) -> None:
    # The later confirmation of a lesser event id, had it written its mark after the first
    # committed, would have come between the first entry and the first's mark: its time
    # would have become the entry's. It waits for the first, then finds bob past it.
    engine = make_engine(migrated_postgres_url)
    new_uow: NewUnitOfWork = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    first, second = a_notification(NOW), a_notification(NOW + timedelta(seconds=1))
    first_at, second_at = NOW + timedelta(minutes=1), NOW + timedelta(minutes=2)
    holding, release = asyncio.Event(), asyncio.Event()

    async def confirm_both_and_hold() -> int:
        async with new_uow() as uow:
            count = await uow.inbox.confirm_delivered({"bob": 2}, first_at)
            holding.set()
            await release.wait()
            await uow.commit()
            return count

    async def confirm_first_only() -> int:
        async with new_uow() as uow:
            count = await uow.inbox.confirm_delivered({"bob": 1}, second_at)
            await uow.commit()
            return count

    try:
        for notification in (first, second):
            async with new_uow() as uow:
                await uow.inbox.add(notification, ["bob"])
                await uow.commit()
        async with engine.begin() as connection:
            for event_id, notification in enumerate((first, second), start=1):
                await connection.execute(
                    sa.text('UPDATE notifications SET "eventId" = :event WHERE id = :id'),
                    {"event": event_id, "id": notification.id},
                )
        holder = asyncio.create_task(confirm_both_and_hold())
        await holding.wait()
        later = asyncio.create_task(confirm_first_only())
        await asyncio.sleep(HELD_SECONDS)
        assert not later.done()  # waiting for bob's position
        release.set()

        assert await asyncio.wait_for(asyncio.gather(holder, later), 10) == [2, 0]
        for notification in (first, second):
            entry = await read_entry(new_uow, "bob", notification.id)
            assert entry is not None
            assert entry.delivered_at == first_at
    finally:
        release.set()
        await engine.dispose()


# markAllAsRead's marks (PostgreSQL) beside the purge and the background writer.


async def pending_marks(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(sa.text("SELECT count(*) FROM read_marks")) or 0)


@pytest.mark.postgres
async def test_mark_all_read_during_a_purge_reads_the_entries_at_once(
    migrated_postgres_url: str,
) -> None:
    # A mark would count entries that a purge has deleted but not committed: while a purge
    # runs, markAllAsRead reads the entries itself, without waiting for the purge.
    engine = make_engine(migrated_postgres_url)
    new_uow: NewUnitOfWork = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    for minute in range(3):
        await given_notification(new_uow, ["bob"], NOW + timedelta(minutes=minute))
    try:
        async with asyncio.timeout(10), engine.connect() as purging:
            await purging.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key, 0)"),
                {"key": repositories._PURGE_LOCK[0]},
            )
            async with new_uow() as uow:
                assert await uow.inbox.mark_all_read("bob", NOW + timedelta(hours=1)) == 3
                await uow.commit()
            await purging.rollback()
        assert await pending_marks(engine) == 0
        async with engine.connect() as connection:
            assert await counted_entries(connection) == {"bob": (0, 0, 3)}
            assert await kept_counts(connection) == {"bob": (0, 0, 3)}
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_purge_holds_the_pending_marks_of_the_users_it_deletes_for(
    migrated_postgres_url: str,
) -> None:
    # Applied while the purge deletes, a mark would still be read by the purge's snapshot,
    # where its user's entry was changed since: it stays until the purge commits.
    engine = make_engine(migrated_postgres_url)
    new_uow: NewUnitOfWork = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    await given_notification(new_uow, ["bob", "carol"], NOW)
    await given_notification(new_uow, ["carol"], NOW + timedelta(days=1))
    later = NOW + timedelta(days=2)
    try:
        for user_id in ("bob", "carol"):
            async with new_uow() as uow:
                assert await uow.inbox.mark_all_read(user_id, later) > 0
                await uow.commit()
        async with asyncio.timeout(10), new_uow() as purge:
            purged = await purge.inbox.purge_before(NOW + timedelta(minutes=1), 10, 100)
            assert purged.notifications == 1
            for user_id in ("bob", "carol"):  # as `apply_deferred` would take it
                async with engine.connect() as applier:
                    await applier.execute(sa.text("SET LOCAL lock_timeout = '50ms'"))
                    with pytest.raises(sa.exc.DBAPIError, match="lock timeout"):
                        await applier.execute(
                            sa.text('DELETE FROM read_marks WHERE "userId" = :user'),
                            {"user": user_id},
                        )
                    await applier.rollback()
            async with new_uow() as uow:  # the background writer leaves them, at once
                assert not await uow.inbox.apply_deferred("carol")
                await uow.commit()
            await purge.commit()
        async with new_uow() as uow:
            assert await uow.inbox.apply_deferred("carol")
            await uow.commit()
        async with engine.connect() as connection:
            assert await counted_entries(connection) == {"carol": (0, 0, 1)}
            assert await kept_counts(connection) == {"bob": (0, 0, 0), "carol": (0, 0, 1)}
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_the_background_writer_leaves_a_user_another_transaction_holds(
    migrated_postgres_url: str,
) -> None:
    engine = make_engine(migrated_postgres_url)
    new_uow: NewUnitOfWork = lambda: SqlAlchemyUnitOfWork(make_session_factory(engine))  # noqa: E731
    await given_notification(new_uow, ["bob"], NOW)
    try:
        async with new_uow() as uow:
            assert await uow.inbox.mark_all_read("bob", NOW + timedelta(hours=1)) == 1
            await uow.commit()
        async with asyncio.timeout(10), engine.connect() as writer:
            await writer.execute(  # as a writer of bob's entries holds it
                sa.text("SELECT pg_advisory_xact_lock(:key, hashtext('bob'))"),
                {"key": repositories._USER_LOCKS},
            )
            async with new_uow() as uow:
                assert not await uow.inbox.apply_deferred("bob")
                await uow.commit()
            await writer.rollback()
        assert await pending_marks(engine) == 1
        async with new_uow() as uow:
            assert await uow.inbox.apply_deferred("bob")
            await uow.commit()
        assert await pending_marks(engine) == 0
    finally:
        await engine.dispose()
