"""Notifying: one notification stored for its recipients, and the events that tell them."""

from __future__ import annotations

from application.email.schedule import EmailSchedule
from application.ports import UnitOfWork
from domain.errors import LeadNotFound, UserNotFound
from domain.events import NotificationCreated
from domain.ids import parse_id
from domain.leads import Lead
from domain.notifications import Notification
from domain.recipients import Situation, recipients
from domain.text import storable
from domain.users import User


async def notify(
    uow: UnitOfWork,
    notification: Notification,
    situation: Situation,
    emails: EmailSchedule | None = None,
) -> None:
    """Deliver the notification to its recipients in this unit of work, with the events that
    will tell their clients once it commits, and the emails due if they do not see it in time;
    nothing at all when nobody is told."""
    muted = await uow.preferences.muted_user_ids(notification.type)
    told = recipients(notification.type, situation, muted)
    if not told:
        return
    await uow.inbox.add(notification, told)
    # Emails do not depend on the order of events: scheduled before this unit of work takes
    # its turn (as it commits), they keep their round trip out of the time every writer waits
    # on it.
    if emails is not None:
        await emails.add(uow, notification)
    await uow.events.add([NotificationCreated(notification, tuple(told))])
    # Every recipient's new count goes with the notification, in the same transaction: the
    # Socket.IO delivery, which coalesces counts, relies on one following each creation. Read
    # as the unit of work commits, under its turn: the fewer round trips to the database the
    # turn is held over, the more `createLead`s commit a second (docs/benchmarks.md).
    await uow.events.add_counts(told)


# Lookups every action starts with; each raises the domain's not-found error.


async def registered_user(uow: UnitOfWork, user_id: str, field: str = "userId") -> User:
    user = await uow.users.get(storable(user_id, field))
    if user is None:
        raise UserNotFound(user_id)
    return user


async def existing_lead(
    uow: UnitOfWork, lead_id: str, field: str = "id", *, for_update: bool = False
) -> Lead:
    """The lead; with `for_update`, locked until the unit of work ends, to be changed."""
    parsed = parse_id(lead_id, field)
    lead = await (uow.leads.get_for_update(parsed) if for_update else uow.leads.get(parsed))
    if lead is None:
        raise LeadNotFound(parsed)
    return lead
