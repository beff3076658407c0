"""AddComment: a teammate comments on a lead; its owner and earlier commenters are told."""

from __future__ import annotations

from application.commands import AddCommentCommand
from application.email.schedule import EmailSchedule
from application.notify import existing_lead, notify, registered_user
from application.ports import Clock, IdFactory, UnitOfWork
from application.retries import retried
from domain import notifications
from domain.comments import Comment
from domain.recipients import Situation


class AddComment:
    def __init__(
        self, uow: UnitOfWork, clock: Clock, ids: IdFactory, emails: EmailSchedule | None = None
    ) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids
        self._emails = emails

    @retried
    async def __call__(self, command: AddCommentCommand) -> Comment:
        now = self._clock.now()
        async with self._uow as uow:
            lead = await existing_lead(uow, command.lead_id, "leadId")
            comment = Comment.write(
                self._ids.new_id(),
                lead_id=lead.id,
                author_id=command.actor_id,
                body=command.body,
                now=now,
            )
            actor = await registered_user(uow, command.actor_id)
            earlier = await uow.comments.author_ids(lead.id)
            await uow.comments.add(comment)
            notification = notifications.comment_added(
                self._ids.new_id(), comment, lead, actor, now
            )
            situation = Situation(
                actor.id, lead_owner_id=lead.owner_id, earlier_commenter_ids=earlier
            )
            await notify(uow, notification, situation, self._emails)
            await uow.commit()
        return comment
