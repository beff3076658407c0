"""ConfirmDelivery: the user's clients received every new notification up to an event id."""

from __future__ import annotations

from application.commands import ConfirmDeliveryCommand
from application.ports import Clock, UnitOfWork
from application.retries import retried
from domain.errors import InvalidInput


class ConfirmDelivery:
    """Cumulative, as TCP's acknowledgements: what was delivered stays delivered at its first
    time, so confirming again, or out of order, changes nothing. It sends no event."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    @retried
    async def __call__(self, command: ConfirmDeliveryCommand) -> int:
        if command.through_event_id < 0:
            raise InvalidInput("upToEventId", "must be 0 or more")
        async with self._uow as uow:
            count = await uow.inbox.confirm_delivered(
                command.user_id, command.through_event_id, self._clock.now()
            )
            await uow.commit()
        return count
