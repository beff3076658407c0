"""LeadNotifications and Receipts: what the team was told about a lead, and how each recipient
received it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from application.commands import (
    ArchiveNotificationCommand,
    ConfirmDeliveryCommand,
    DeleteNotificationCommand,
    LeadNotificationsQuery,
    MarkAllAsSeenCommand,
    MarkAsReadCommand,
    ReceiptsQuery,
)
from application.leads.lead_notifications import LeadNotifications, Receipts
from application.notifications.archive_notification import ArchiveNotification
from application.notifications.confirm_delivery import ConfirmDelivery
from application.notifications.delete_notification import DeleteNotification
from application.notifications.mark_all_as_seen import MarkAllAsSeen
from application.notifications.mark_as_read import MarkAsRead
from domain.comments import Comment
from domain.errors import InvalidInput
from domain.leads import Lead
from domain.notifications import NotificationType, Receipt, SentNotification

if TYPE_CHECKING:
    from conftest import FixedClock

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[Lead]]
Comments = Callable[..., Awaitable[list[Comment]]]

EVERY_EVENT = 1 << 40  # an event id past any the test makes


def tally(sent: list[SentNotification]) -> list[tuple[object, ...]]:
    return [
        (item.notification.type, item.recipients, item.delivered, item.seen, item.read)
        for item in sent
    ]


async def test_each_notification_about_the_lead_with_how_it_was_received(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    lead_notifications: LeadNotifications,
    mark_as_read: MarkAsRead,
    mark_all_as_seen: MarkAllAsSeen,
    confirm_delivery: ConfirmDelivery,
) -> None:
    await given_users("alice", "bob", "carol", "dave")
    umbrella = await new_lead("bob", "Umbrella Corp")  # to alice, carol and dave
    await new_lead("bob", "Globex")  # about another lead
    [comment] = await given_comments(umbrella, "alice")  # to bob, the owner
    [created, commented] = sorted(
        await lead_notifications(LeadNotificationsQuery(str(umbrella.id))),
        key=lambda item: item.notification.created_at,
    )
    await confirm_delivery(ConfirmDeliveryCommand("alice", EVERY_EVENT))
    await confirm_delivery(ConfirmDeliveryCommand("carol", EVERY_EVENT))
    await mark_all_as_seen(MarkAllAsSeenCommand("carol"))
    await mark_as_read(MarkAsReadCommand("dave", str(created.notification.id)))

    sent = await lead_notifications(LeadNotificationsQuery(str(umbrella.id)))

    assert [item.notification.id for item in sent] == [
        commented.notification.id,
        created.notification.id,
    ]
    assert commented.notification.created_at == comment.created_at
    assert tally(sent) == [
        (NotificationType.COMMENT_ADDED, 1, 0, 0, 0),
        (NotificationType.LEAD_CREATED, 3, 2, 2, 1),
    ]


async def test_receipts_by_user_id_with_names(
    given_users: Users,
    new_lead: NewLead,
    lead_notifications: LeadNotifications,
    receipts: Receipts,
    mark_as_read: MarkAsRead,
    mark_all_as_seen: MarkAllAsSeen,
    confirm_delivery: ConfirmDelivery,
    clock: FixedClock,
) -> None:
    await given_users("dave", "alice", "carol", "bob")
    umbrella = await new_lead("bob", "Umbrella Corp")
    [sent] = await lead_notifications(LeadNotificationsQuery(str(umbrella.id)))
    notification_id = sent.notification.id
    delivered = clock.advance(seconds=1)
    await confirm_delivery(ConfirmDeliveryCommand("carol", EVERY_EVENT))
    seen = clock.advance(seconds=1)
    await mark_all_as_seen(MarkAllAsSeenCommand("carol"))
    read_at = clock.advance(seconds=1)
    await mark_as_read(MarkAsReadCommand("dave", str(notification_id)))

    got = await receipts(ReceiptsQuery(str(notification_id)))

    assert got == [
        Receipt("alice", "Alice", None, None, None),
        Receipt("carol", "Carol", delivered, seen, None),
        Receipt("dave", "Dave", None, read_at, read_at),
    ]
    assert await receipts(ReceiptsQuery(str(notification_id), limit=2)) == got[:2]


async def test_deleting_takes_the_recipient_out_and_archiving_does_not(
    given_users: Users,
    new_lead: NewLead,
    lead_notifications: LeadNotifications,
    receipts: Receipts,
    mark_as_read: MarkAsRead,
    archive: ArchiveNotification,
    delete_notification: DeleteNotification,
) -> None:
    await given_users("alice", "bob", "carol", "dave")
    umbrella = await new_lead("bob", "Umbrella Corp")
    [sent] = await lead_notifications(LeadNotificationsQuery(str(umbrella.id)))
    notification_id = str(sent.notification.id)
    await mark_as_read(MarkAsReadCommand("alice", notification_id))
    await delete_notification(DeleteNotificationCommand("alice", notification_id))
    await mark_as_read(MarkAsReadCommand("carol", notification_id))
    await archive(ArchiveNotificationCommand("carol", notification_id))

    [after] = await lead_notifications(LeadNotificationsQuery(str(umbrella.id)))

    assert (after.recipients, after.delivered, after.seen, after.read) == (2, 0, 1, 1)
    got = await receipts(ReceiptsQuery(notification_id))
    assert [receipt.user_id for receipt in got] == ["carol", "dave"]


async def test_a_notification_nobody_holds_any_more_is_left_out(
    given_users: Users,
    new_lead: NewLead,
    lead_notifications: LeadNotifications,
    receipts: Receipts,
    delete_notification: DeleteNotification,
) -> None:
    await given_users("alice", "bob")
    umbrella = await new_lead("bob", "Umbrella Corp")
    [sent] = await lead_notifications(LeadNotificationsQuery(str(umbrella.id)))
    await delete_notification(DeleteNotificationCommand("alice", str(sent.notification.id)))

    assert await lead_notifications(LeadNotificationsQuery(str(umbrella.id))) == []
    assert await receipts(ReceiptsQuery(str(sent.notification.id))) == []


async def test_a_lead_that_told_nobody_has_no_notifications(
    given_users: Users, new_lead: NewLead, lead_notifications: LeadNotifications
) -> None:
    await given_users("bob")
    alone = await new_lead("bob", "Umbrella Corp")

    assert await lead_notifications(LeadNotificationsQuery(str(alone.id))) == []
    assert await lead_notifications(LeadNotificationsQuery(str(UUID(int=7)))) == []


async def test_the_newest_come_first_up_to_the_limit(
    given_users: Users,
    new_lead: NewLead,
    given_comments: Comments,
    lead_notifications: LeadNotifications,
) -> None:
    await given_users("alice", "bob", "carol")
    umbrella = await new_lead("bob", "Umbrella Corp")
    comments = await given_comments(umbrella, "alice", "carol", "alice")

    sent = await lead_notifications(LeadNotificationsQuery(str(umbrella.id), limit=2))

    assert [item.notification.created_at for item in sent] == [
        comments[2].created_at,
        comments[1].created_at,
    ]


@pytest.mark.parametrize("limit", [0, 101])
async def test_a_limit_out_of_bounds_is_refused(
    limit: int, lead_notifications: LeadNotifications, receipts: Receipts
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await lead_notifications(LeadNotificationsQuery(str(UUID(int=1)), limit=limit))
    assert caught.value.field == "limit"
    with pytest.raises(InvalidInput) as caught:
        await receipts(ReceiptsQuery(str(UUID(int=1)), limit=limit))
    assert caught.value.field == "limit"


async def test_malformed_ids_are_refused(
    lead_notifications: LeadNotifications, receipts: Receipts
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await lead_notifications(LeadNotificationsQuery("not-a-lead"))
    assert caught.value.field == "id"
    with pytest.raises(InvalidInput) as caught:
        await receipts(ReceiptsQuery(str(UUID(int=0xABC)).upper()))
    assert caught.value.field == "id"
