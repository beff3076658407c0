"""CreateLead: a user adds a lead, and the rest of the team is told."""

from __future__ import annotations

from application.commands import CreateLeadCommand
from application.email.schedule import EmailSchedule
from application.notify import notify, registered_user
from application.ports import Clock, IdFactory, UnitOfWork
from application.retries import retried
from domain import notifications
from domain.leads import Lead
from domain.recipients import Situation


class CreateLead:
    def __init__(
        self, uow: UnitOfWork, clock: Clock, ids: IdFactory, emails: EmailSchedule | None = None
    ) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids
        self._emails = emails

    @retried
    async def __call__(self, command: CreateLeadCommand) -> Lead:
        now = self._clock.now()
        lead = Lead.create(
            self._ids.new_id(),
            name=command.name,
            email=command.email,
            company=command.company,
            score=command.score,
            owner_id=command.actor_id,
            now=now,
        )
        async with self._uow as uow:
            actor = await registered_user(uow, command.actor_id)
            await uow.leads.add(lead)
            notification = notifications.lead_created(self._ids.new_id(), lead, actor, now)
            situation = Situation(actor.id, registered_user_ids=await uow.users.all_ids())
            await notify(uow, notification, situation, self._emails)
            await uow.commit()
        return lead
