"""Notifications: each recipient's read state, and what the notification of each action says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.comments import Comment
from domain.events import UnreadCountsChanged
from domain.leads import Lead
from domain.notifications import (
    EXCERPT_LENGTH,
    Badge,
    Badges,
    InboxEntry,
    Notification,
    NotificationType,
    comment_added,
    lead_created,
    score_updated,
    task_completed,
)
from domain.tasks import Task
from domain.users import User

CREATED = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
READ = CREATED + timedelta(minutes=5)
LATER = CREATED + timedelta(hours=1)


def a_notification() -> Notification:
    return Notification(
        id=UUID(int=1),
        type=NotificationType.LEAD_CREATED,
        title="New lead: Acme deal",
        message="Alice created the lead “Acme deal”",
        related_lead_id=UUID(int=2),
        actor_id="alice",
        created_at=CREATED,
    )


def a_lead(company: str | None = None, name: str = "Acme deal", score: int = 0) -> Lead:
    return Lead.create(
        UUID(int=2),
        name=name,
        email=None,
        company=company,
        score=score,
        owner_id="alice",
        now=CREATED,
    )


def test_a_delivered_entry_is_unread_and_dated_with_the_notification() -> None:
    entry = InboxEntry.deliver(a_notification(), "bob")

    assert entry == InboxEntry(a_notification(), "bob", read_at=None, updated_at=CREATED)
    assert entry.is_read is False


def test_mark_read_reads_it_now_and_says_so() -> None:
    entry = InboxEntry.deliver(a_notification(), "bob")

    assert entry.mark_read(READ) is True
    assert (entry.is_read, entry.read_at, entry.updated_at) == (True, READ, READ)


def test_mark_read_twice_changes_nothing_the_second_time() -> None:
    entry = InboxEntry.deliver(a_notification(), "bob")
    entry.mark_read(READ)

    assert entry.mark_read(LATER) is False
    assert (entry.read_at, entry.updated_at) == (READ, READ)


def test_one_recipient_reading_leaves_another_unread() -> None:
    notification = a_notification()
    bobs, carols = (
        InboxEntry.deliver(notification, "bob"),
        InboxEntry.deliver(notification, "carol"),
    )

    bobs.mark_read(READ)

    assert (bobs.is_read, carols.is_read) == (True, False)


@pytest.mark.parametrize(
    ("name", "named_as"),
    [("Alice Liddell", "Alice Liddell"), (None, "u-42")],
    ids=["by name", "by id when nameless"],
)
def test_lead_created_names_the_actor_and_the_lead(name: str | None, named_as: str) -> None:
    actor = User.register("u-42", name, None, CREATED)

    notification = lead_created(UUID(int=9), a_lead(), actor, LATER)

    assert "Acme deal" in notification.title
    assert named_as in notification.message
    assert "Acme deal" in notification.message


def test_lead_created_names_the_company_when_there_is_one() -> None:
    actor = User.register("alice", "Alice", None, CREATED)

    with_company = lead_created(UUID(int=9), a_lead(company="Umbrella Corp"), actor, LATER)
    without = lead_created(UUID(int=9), a_lead(company=None), actor, LATER)

    assert with_company.message == "Alice created the lead “Acme deal” at Umbrella Corp"
    assert without.message == "Alice created the lead “Acme deal”"


# Every action's notification, built the way its use case builds it: Dana acts on Acme Corp.

ACTED = LATER + timedelta(hours=1)
BODY = "Call me back\n  tomorrow, please"


def built(kind: NotificationType, actor: User) -> Notification:
    lead = a_lead(name="Acme Corp", company="Umbrella Corp", score=40)
    if kind is NotificationType.LEAD_CREATED:
        return lead_created(UUID(int=9), lead, actor, ACTED)
    if kind is NotificationType.TASK_COMPLETED:
        task = Task.create(
            UUID(int=3),
            lead_id=lead.id,
            title="Call back",
            assignee_id=None,
            created_by_id="alice",
            now=READ,
        )
        task.complete(ACTED)
        return task_completed(UUID(int=9), task, lead, actor, ACTED)
    if kind is NotificationType.SCORE_UPDATED:
        lead.change_score(75, ACTED)
        return score_updated(UUID(int=9), lead, 40, actor, ACTED)
    comment = Comment.write(UUID(int=4), lead_id=lead.id, author_id=actor.id, body=BODY, now=ACTED)
    return comment_added(UUID(int=9), comment, lead, actor, ACTED)


@pytest.mark.parametrize("kind", list(NotificationType))
def test_each_notification_points_at_the_lead_and_the_actor_and_is_dated_now(
    kind: NotificationType,
) -> None:
    notification = built(kind, User.register("u-7", "Dana", None, CREATED))

    assert notification.id == UUID(int=9)
    assert notification.type is kind
    assert (notification.related_lead_id, notification.actor_id) == (UUID(int=2), "u-7")
    assert notification.created_at == ACTED


@pytest.mark.parametrize(
    ("kind", "title", "message"),
    [
        (
            NotificationType.LEAD_CREATED,
            "New lead: Acme Corp",
            "Dana created the lead “Acme Corp” at Umbrella Corp",
        ),
        (
            NotificationType.TASK_COMPLETED,
            "Task completed: Call back",
            "Dana completed “Call back” on Acme Corp",
        ),
        (
            NotificationType.SCORE_UPDATED,
            "Score of Acme Corp: 75",
            "Dana changed the score of Acme Corp from 40 to 75",
        ),
        (
            NotificationType.COMMENT_ADDED,
            "New comment on Acme Corp",
            "Dana commented on Acme Corp: “Call me back tomorrow, please”",
        ),
    ],
    ids=[kind.value for kind in NotificationType],
)
def test_each_notification_names_the_actor_and_the_object(
    kind: NotificationType, title: str, message: str
) -> None:
    notification = built(kind, User.register("u-7", "Dana", None, CREATED))

    assert (notification.title, notification.message) == (title, message)


@pytest.mark.parametrize("kind", list(NotificationType))
def test_a_nameless_actor_is_named_by_their_id(kind: NotificationType) -> None:
    notification = built(kind, User.register("u-7", None, None, CREATED))

    assert notification.message.startswith("u-7 ")


def comment_saying(body: str) -> Notification:
    lead = a_lead(name="Acme Corp")
    comment = Comment.write(UUID(int=4), lead_id=lead.id, author_id="u-7", body=body, now=ACTED)
    return comment_added(
        UUID(int=9), comment, lead, User.register("u-7", "Dana", None, CREATED), ACTED
    )


@pytest.mark.parametrize(
    ("body", "excerpt"),
    [
        ("x" * EXCERPT_LENGTH, "x" * EXCERPT_LENGTH),
        ("x" * (EXCERPT_LENGTH + 1), "x" * (EXCERPT_LENGTH - 1) + "…"),
        ("x" * 5_000, "x" * (EXCERPT_LENGTH - 1) + "…"),
        ("x" * (EXCERPT_LENGTH - 2) + " yz", "x" * (EXCERPT_LENGTH - 2) + "…"),
        ("  hello\n\n  world\t ", "hello world"),
        ("x " * EXCERPT_LENGTH, "x " * (EXCERPT_LENGTH // 2 - 1) + "x…"),
    ],
    ids=[
        "at the limit, whole",
        "one past, cut",
        "the longest body, cut",
        "no space before the ellipsis",
        "whitespace collapsed",
        "collapsed, then cut",
    ],
)
def test_a_comments_excerpt_is_shortened_to_the_limit(body: str, excerpt: str) -> None:
    notification = comment_saying(body)

    assert notification.message == f"Dana commented on Acme Corp: “{excerpt}”"
    assert len(excerpt) <= EXCERPT_LENGTH


# Many users' badges at once -----------------------------------------------------------------


def test_badges_read_as_each_users_badge() -> None:
    badges = Badges({"bob": 3, "carol": 0}, {"bob": 1, "carol": 0})

    assert badges["bob"] == Badge(3, 1)
    assert list(badges) == ["bob", "carol"]
    assert len(badges) == 2
    assert badges == {"bob": Badge(3, 1), "carol": Badge(0, 0)}
    assert "dave" not in badges


def test_badges_need_both_counts_of_every_user() -> None:
    with pytest.raises(ValueError, match="both counts"):
        Badges({"bob": 3, "carol": 0}, {"bob": 1})


def test_the_counts_event_takes_the_badges_as_they_are() -> None:
    badges = Badges({"bob": 3, "carol": 0}, {"bob": 1, "carol": 0})

    changed = UnreadCountsChanged.of(badges)

    assert changed.counts == {"bob": 3, "carol": 0}
    assert changed.unseen == {"bob": 1, "carol": 0}
    assert changed.audience == ("bob", "carol")
