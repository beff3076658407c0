"""AddComment: a teammate comments on a lead; its owner and earlier commenters are told."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pytest

from adapters.memory import RecordingPublisher
from application.commands import AddCommentCommand
from application.comments.add_comment import AddComment
from domain.comments import Comment
from domain.errors import DomainError, InvalidInput, LeadNotFound, UserNotFound
from domain.events import NotificationCreated, UnreadCountsChanged
from domain.leads import Lead
from domain.notifications import InboxEntry, NotificationType

if TYPE_CHECKING:
    from conftest import FixedClock, SequentialIds, StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[Lead]]
Comments = Callable[..., Awaitable[list[Comment]]]

TEAM = ("alice", "bob", "carol", "dave")


async def test_the_comment_is_stored_and_the_owner_told(
    given_users: Users,
    new_lead: NewLead,
    add_comment: AddComment,
    publisher: RecordingPublisher,
    clock: FixedClock,
    ids: SequentialIds,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob", "carol")
    lead = await new_lead("alice")  # bob and carol each have one unread already
    carols = await read.inbox("carol")
    now = clock.advance(minutes=5)

    comment = await add_comment(AddCommentCommand("bob", str(lead.id), "Call me back\ntomorrow"))

    assert comment == Comment(comment.id, lead.id, "bob", "Call me back\ntomorrow", now)
    assert comment.id in ids.issued
    assert await read.commenters(lead.id) == {"bob"}
    [entry] = await read.inbox("alice")
    notification = entry.notification
    assert entry == InboxEntry.deliver(notification, "alice")
    assert notification.id in ids.issued
    assert notification.id != comment.id
    assert notification.type is NotificationType.COMMENT_ADDED
    assert (notification.related_lead_id, notification.actor_id) == (lead.id, "bob")
    assert notification.created_at == now
    assert notification.message == "Bob commented on Acme Corp: “Call me back tomorrow”"
    assert await read.inbox("carol") == carols
    assert publisher.published == [
        NotificationCreated(notification, ("alice",)),
        UnreadCountsChanged({"alice": 1}, {"alice": 1}),
    ]


@pytest.mark.parametrize(
    ("earlier", "author", "told"),
    [
        ((), "bob", ("alice",)),
        (("bob",), "carol", ("alice", "bob")),
        (("dave", "bob", "dave"), "carol", ("alice", "bob", "dave")),
        (("alice",), "bob", ("alice",)),
        (("bob",), "bob", ("alice",)),
        (("bob", "carol"), "alice", ("bob", "carol")),
        (("alice",), "alice", ()),
    ],
    ids=[
        "the owner",
        "owner and an earlier commenter",
        "a commenter who commented twice, once",
        "an owner who commented before, once",
        "not the commenter who comments again",
        "not the owner who comments",
        "the owner commenting alone",
    ],
)
async def test_who_is_told(
    earlier: tuple[str, ...],
    author: str,
    told: tuple[str, ...],
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    add_comment: AddComment,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users(*TEAM)
    lead = await new_lead("alice")
    await given_comments(lead, *earlier)

    await add_comment(AddCommentCommand(author, str(lead.id), "Any news?"))

    reached = [
        user_id
        for user_id in TEAM
        for entry in await read.inbox(user_id)
        if entry.notification.message.endswith("“Any news?”")
    ]
    assert tuple(reached) == told
    created = [event for event in publisher.published if isinstance(event, NotificationCreated)]
    assert [event.recipients for event in created] == ([told] if told else [])


async def test_commenters_on_another_lead_are_not_told(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    add_comment: AddComment,
    publisher: RecordingPublisher,
) -> None:
    await given_users(*TEAM)
    lead, other = await new_lead("alice", "Acme Corp"), await new_lead("alice", "Globex")
    await given_comments(other, "carol", "dave")

    await add_comment(AddCommentCommand("bob", str(lead.id), "Any news?"))

    created = publisher.published[0]
    assert isinstance(created, NotificationCreated)
    assert created.recipients == ("alice",)


@pytest.mark.parametrize("body", ["b", "b" * 5_000], ids=["1 character", "5,000 characters"])
async def test_a_body_of_1_to_5000_characters_is_stored_as_written(
    body: str, given_users: Users, new_lead: NewLead, add_comment: AddComment, read: StoreReader
) -> None:
    await given_users("alice", "bob")
    lead = await new_lead("alice")

    comment = await add_comment(AddCommentCommand("bob", str(lead.id), body))

    assert comment.body == body
    assert await read.commenters(lead.id) == {"bob"}


@pytest.mark.parametrize(
    ("actor_id", "lead_id", "body", "error", "field"),
    [
        ("bob", None, "", InvalidInput, "body"),
        ("bob", None, "  \n\t ", InvalidInput, "body"),
        ("bob", None, "b" * 5_001, InvalidInput, "body"),
        ("bob", "lead-1", "Any news?", InvalidInput, "leadId"),
        ("bob", "6f1c2a7e-4b0d-4c8e-9a53-2d1f0e7b9c44", "Any news?", LeadNotFound, None),
        ("mallory", None, "Any news?", UserNotFound, None),
    ],
    ids=[
        "empty body",
        "blank body",
        "body 5,001",
        "malformed lead id",
        "unknown lead",
        "unregistered author",
    ],
)
async def test_a_bad_comment_stores_nothing_and_tells_no_one(
    actor_id: str,
    lead_id: str | None,
    body: str,
    error: type[DomainError],
    field: str | None,
    given_users: Users,
    new_lead: NewLead,
    add_comment: AddComment,
    publisher: RecordingPublisher,
    read: StoreReader,
) -> None:
    await given_users("alice", "bob")
    lead = await new_lead("alice")
    lead_id = str(lead.id) if lead_id is None else lead_id  # None: the real one
    before = read.snapshot()

    with pytest.raises(error) as caught:
        await add_comment(AddCommentCommand(actor_id, lead_id, body))

    assert getattr(caught.value, "field", None) == field
    assert read.snapshot() == before
    assert publisher.published == []
