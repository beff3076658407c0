"""AssignLead: any teammate hands a lead to a registered owner."""

from __future__ import annotations

from application.commands import AssignLeadCommand
from application.notify import existing_lead, registered_user
from application.ports import Clock, UnitOfWork
from application.retries import retried
from domain.leads import Lead


class AssignLead:
    """The lead is read locked, so that concurrent assignments apply one after the other."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    @retried
    async def __call__(self, command: AssignLeadCommand) -> Lead:
        async with self._uow as uow:
            lead = await existing_lead(uow, command.lead_id, for_update=True)
            await registered_user(uow, command.actor_id)
            await registered_user(uow, command.owner_id, "ownerId")
            if lead.assign(command.owner_id, self._clock.now()):
                await uow.leads.save(lead)
                await uow.commit()
        return lead
