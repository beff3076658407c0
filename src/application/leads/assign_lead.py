"""AssignLead: any teammate hands a lead to a registered owner."""

from __future__ import annotations

from application.commands import AssignLeadCommand
from application.notify import existing_lead, registered_user
from application.ports import Clock, UnitOfWork
from domain.leads import Lead


class AssignLead:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, command: AssignLeadCommand) -> Lead:
        async with self._uow as uow:
            lead = await existing_lead(uow, command.lead_id)
            await registered_user(uow, command.actor_id)
            await registered_user(uow, command.owner_id, "ownerId")
            if lead.assign(command.owner_id, self._clock.now()):
                await uow.leads.save(lead)
                await uow.commit()
        return lead
