"""RegisterUser: a verified token's user joins Herald, or refreshes their name and email."""

from __future__ import annotations

from application.commands import RegisterUserCommand
from application.ports import Clock, UnitOfWork
from application.retries import retried
from domain.users import User


class RegisterUser:
    """The first registration is an upsert: several first requests of a new user at once (a
    page's parallel queries, several tabs) all succeed, and the user is registered once."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    @retried
    async def __call__(self, command: RegisterUserCommand) -> User:
        now = self._clock.now()
        async with self._uow as uow:
            user = await uow.users.get(command.user_id)
            if user is None:
                user = User.register(command.user_id, command.name, command.email, now)
                await uow.users.add(user)
            elif user.update_profile(command.name, command.email, now):
                await uow.users.save(user)
            else:
                return user
            await uow.commit()
        return user
