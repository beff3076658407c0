"""CompleteTask: a teammate completes a task; the lead's owner and the task's creator are told."""

from __future__ import annotations

from application.commands import CompleteTaskCommand
from application.email.schedule import EmailSchedule
from application.notify import existing_lead, notify, registered_user
from application.ports import Clock, IdFactory, UnitOfWork
from application.retries import retried
from domain import notifications
from domain.errors import TaskNotFound
from domain.ids import parse_id
from domain.recipients import Situation
from domain.tasks import Task


class CompleteTask:
    """The task is read locked: of several requests completing it at once, one completes it
    and notifies; the others then find it completed and answer it unchanged."""

    def __init__(
        self, uow: UnitOfWork, clock: Clock, ids: IdFactory, emails: EmailSchedule | None = None
    ) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids
        self._emails = emails

    @retried
    async def __call__(self, command: CompleteTaskCommand) -> Task:
        task_id = parse_id(command.task_id)
        now = self._clock.now()
        async with self._uow as uow:
            task = await uow.tasks.get_for_update(task_id)
            if task is None:
                raise TaskNotFound(task_id)
            if not task.complete(now):
                return task
            actor = await registered_user(uow, command.actor_id)
            lead = await existing_lead(uow, str(task.lead_id))
            await uow.tasks.save(task)
            notification = notifications.task_completed(self._ids.new_id(), task, lead, actor, now)
            situation = Situation(
                actor.id, lead_owner_id=lead.owner_id, task_creator_id=task.created_by_id
            )
            await notify(uow, notification, situation, self._emails)
            await uow.commit()
        return task
