"""UpdateLeadScore: a teammate scores a lead anew, and its owner is told."""

from __future__ import annotations

from application.commands import UpdateLeadScoreCommand
from application.email.schedule import EmailSchedule
from application.notify import existing_lead, notify, registered_user
from application.ports import Clock, IdFactory, UnitOfWork
from application.retries import retried
from domain import notifications
from domain.leads import Lead
from domain.recipients import Situation


class UpdateLeadScore:
    """The lead is read locked: of several requests setting the same new score at once, one
    changes it and notifies; the others then find the score set and answer "unchanged"."""

    def __init__(
        self, uow: UnitOfWork, clock: Clock, ids: IdFactory, emails: EmailSchedule | None = None
    ) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids
        self._emails = emails

    @retried
    async def __call__(self, command: UpdateLeadScoreCommand) -> Lead:
        now = self._clock.now()
        async with self._uow as uow:
            lead = await existing_lead(uow, command.lead_id, for_update=True)
            previous = lead.score
            if not lead.change_score(command.score, now):
                return lead
            actor = await registered_user(uow, command.actor_id)
            await uow.leads.save(lead)
            notification = notifications.score_updated(
                self._ids.new_id(), lead, previous, actor, now
            )
            await notify(
                uow, notification, Situation(actor.id, lead_owner_id=lead.owner_id), self._emails
            )
            await uow.commit()
        return lead
