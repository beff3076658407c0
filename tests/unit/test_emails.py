"""Who may be emailed, what still waits, and what one email gathers: the rules alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.emails import Digest, digest, due_at, is_waiting
from domain.notifications import InboxEntry, Notification, NotificationType
from domain.users import User

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
BOB = User.register("bob", "Bob", "bob@example.com", NOW)


def entry(
    title: str, minutes: int = 0, kind: NotificationType = NotificationType.LEAD_CREATED
) -> InboxEntry:
    at = NOW + timedelta(minutes=minutes)
    notification = Notification(uuid4(), kind, title, f"About {title}", None, "alice", at)
    return InboxEntry.deliver(notification, "bob")


def test_an_unread_entry_waits_a_read_or_deleted_one_does_not() -> None:
    unread, read = entry("A"), entry("B")
    read.mark_read(NOW)

    assert is_waiting(unread)
    assert not is_waiting(read)
    assert not is_waiting(None)  # deleted from the inbox


def test_a_seen_or_archived_entry_waits_no_more_even_unread() -> None:
    seen, archived, unread_again = entry("A"), entry("B"), entry("C")
    seen.mark_seen(NOW)
    archived.archive(NOW)
    unread_again.mark_read(NOW)
    unread_again.mark_unread(NOW)

    assert not seen.is_read
    assert not is_waiting(seen)
    assert not archived.is_read
    assert not is_waiting(archived)
    assert not unread_again.is_read
    assert not is_waiting(unread_again)


def test_a_notification_falls_due_the_delay_after_it_was_created() -> None:
    notification = entry("A", minutes=3).notification

    assert due_at(notification, timedelta(minutes=10)) == NOW + timedelta(minutes=13)


def test_one_waiting_notification_is_the_subject() -> None:
    found = digest(BOB, [entry("New lead: Umbrella")], set())

    assert found is not None
    assert found.subject == "New lead: Umbrella"
    assert (found.user_id, found.name, found.address) == ("bob", "Bob", "bob@example.com")


def test_several_go_newest_first_under_their_count() -> None:
    old, new, read = entry("Old", 0), entry("New", 2), entry("Read", 1)
    read.mark_read(NOW)

    found = digest(BOB, [old, read, new, None], set())

    assert isinstance(found, Digest)
    assert [n.title for n in found.notifications] == ["New", "Old"]
    assert found.subject == "2 new notifications"


def test_nothing_for_types_with_email_off_nothing_left_or_no_address() -> None:
    comment = entry("Comment", kind=NotificationType.COMMENT_ADDED)
    no_address = User.register("carol", "Carol", None, NOW)

    assert digest(BOB, [comment], {NotificationType.COMMENT_ADDED}) is None
    assert digest(BOB, [None], set()) is None
    assert digest(no_address, [entry("A")], set()) is None
    assert digest(None, [entry("A")], set()) is None
