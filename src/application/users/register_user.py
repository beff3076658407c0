"""RegisterUser: a verified token's user joins Herald, or refreshes their name and email."""

from __future__ import annotations

from application.commands import RegisterUserCommand
from application.ports import Clock, UnitOfWork
from domain.users import User


class RegisterUser:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

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
