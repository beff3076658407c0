"""CreateTask: a teammate adds a task to a lead, perhaps for someone else."""

from __future__ import annotations

from application.commands import CreateTaskCommand
from application.notify import existing_lead, registered_user
from application.ports import Clock, IdFactory, UnitOfWork
from application.retries import retried
from domain.tasks import Task


class CreateTask:
    def __init__(self, uow: UnitOfWork, clock: Clock, ids: IdFactory) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    @retried
    async def __call__(self, command: CreateTaskCommand) -> Task:
        async with self._uow as uow:
            lead = await existing_lead(uow, command.lead_id, "leadId")
            await registered_user(uow, command.actor_id)
            if command.assignee_id is not None:
                await registered_user(uow, command.assignee_id, "assigneeId")
            task = Task.create(
                self._ids.new_id(),
                lead_id=lead.id,
                title=command.title,
                assignee_id=command.assignee_id,
                created_by_id=command.actor_id,
                now=self._clock.now(),
            )
            await uow.tasks.add(task)
            await uow.commit()
        return task
