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

    @retried
    async def __call__(self, command: ConfirmDeliveryCommand) -> int:
        """One user's confirmation (GraphQL's `confirmDelivery`); returns how many of their
        entries became delivered."""
        through = _highest((command,))
        async with self._uow as uow:
            count = await uow.inbox.confirm_delivered(through, self._clock.now())
            await uow.commit()
        return count

    @retried
    async def all(self, commands: Sequence[ConfirmDeliveryCommand]) -> None:
        """Many users' confirmations in one unit of work (a user's highest counts), as the
        Socket.IO side gathers them each second; uncounted, since nobody reads the count."""
        through = _highest(commands)
        if not through:
            return
        async with self._uow as uow:
            await uow.inbox.confirm_delivered_uncounted(through, self._clock.now())
            await uow.commit()


def _highest(commands: Sequence[ConfirmDeliveryCommand]) -> dict[str, int]:
    """Each user's highest event id; a negative one anywhere refuses them all."""
    through: dict[str, int] = {}
    for command in commands:
        if command.through_event_id < 0:
            raise InvalidInput("upToEventId", "must be 0 or more")
        through[command.user_id] = max(command.through_event_id, through.get(command.user_id, 0))
    return through
