"""CreateLead: a user adds a lead, and the rest of the team is told."""

from __future__ import annotations

from application.commands import CreateLeadCommand
from application.ports import Clock, IdFactory, NotificationPublisher, UnitOfWork
from domain import notifications
from domain.errors import UserNotFound
from domain.events import NotificationCreated, UnreadCountsChanged
from domain.leads import Lead
from domain.recipients import lead_created_recipients


class CreateLead:
    def __init__(
        self, uow: UnitOfWork, publisher: NotificationPublisher, clock: Clock, ids: IdFactory
    ) -> None:
        self._uow, self._publisher, self._clock, self._ids = uow, publisher, clock, ids

    async def __call__(self, command: CreateLeadCommand) -> Lead:
        lead = Lead.create(
            self._ids.new_id(),
            name=command.name,
            email=command.email,
            company=command.company,
            score=command.score,
            owner_id=command.actor_id,
            now=self._clock.now(),
        )
        async with self._uow as uow:
            actor = await uow.users.get(command.actor_id)
            if actor is None:
                raise UserNotFound(command.actor_id)
            notification = notifications.lead_created(self._ids.new_id(), lead, actor)
            recipients = lead_created_recipients(await uow.users.all_ids(), actor.id)
            await uow.leads.add(lead)
            if recipients:
                await uow.inbox.add(notification, recipients)
            counts = await uow.inbox.unread_counts(recipients)
            await uow.commit()
        if recipients:
            await self._publisher.publish(
                [NotificationCreated(notification, tuple(recipients)), UnreadCountsChanged(counts)]
            )
        return lead
