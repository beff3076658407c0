"""ConfirmDelivery: the user's clients received every new notification up to an event id."""

from __future__ import annotations

from collections.abc import Sequence

from application.commands import ConfirmDeliveryCommand
from application.ports import Clock, UnitOfWork
from application.retries import retried
from domain.errors import InvalidInput


class ConfirmDelivery:
    """Cumulative, as TCP's acknowledgements: what was delivered stays delivered at its first
    time, so confirming again, or out of order, changes nothing. It sends no event."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, command: ConfirmDeliveryCommand) -> int:
        return await self.all((command,))

    @retried
    async def all(self, commands: Sequence[ConfirmDeliveryCommand]) -> int:
        """Many users' confirmations in one unit of work (a user's highest counts), as the
        Socket.IO side gathers them each second; returns how many entries became delivered."""
        through: dict[str, int] = {}
        for command in commands:
            if command.through_event_id < 0:
                raise InvalidInput("upToEventId", "must be 0 or more")
            through[command.user_id] = max(
                command.through_event_id, through.get(command.user_id, 0)
            )
        if not through:
            return 0
        async with self._uow as uow:
            count = await uow.inbox.confirm_delivered(through, self._clock.now())
            await uow.commit()
        return count
