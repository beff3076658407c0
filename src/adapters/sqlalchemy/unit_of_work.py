"""The unit of work on SQLAlchemy: one session, one transaction, per use-case call."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sqlalchemy.engine import concurrency_errors
from adapters.sqlalchemy.repositories import (
    SqlAlchemyCommentRepository,
    SqlAlchemyDueEmailRepository,
    SqlAlchemyEventLog,
    SqlAlchemyInboxRepository,
    SqlAlchemyLeadRepository,
    SqlAlchemyPreferenceRepository,
    SqlAlchemyTaskRepository,
    SqlAlchemyUserRepository,
)
from adapters.urgency import Urgency
from application.ports import (
    Clock,
    CommentRepository,
    DeferredWork,
    DueEmailRepository,
    EventLog,
    EventRelay,
    InboxRepository,
    LeadRepository,
    PreferenceRepository,
    TaskRepository,
    UserRepository,
)
from domain.events import StoredEvent


class SqlAlchemyUnitOfWork:
    """Rolls back on exit whatever was not committed; build a new one for each use-case call."""

    # The ports' types: the UnitOfWork protocol's attributes are mutable, hence invariant.
    users: UserRepository
    leads: LeadRepository
    tasks: TaskRepository
    comments: CommentRepository
    preferences: PreferenceRepository
    inbox: InboxRepository
    events: EventLog
    emails: DueEmailRepository

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        relay: EventRelay | None = None,
        clock: Clock | None = None,
        urgency: Urgency | None = None,
        deferred: DeferredWork | None = None,
    ) -> None:
        """`clock` stamps the events written at commit (the system clock when None);
        `urgency` presses while this unit of work is open, and is told when it holds the
        outbox's turn; `deferred` is told when a commit left the inbox work to finish later (a
        read mark to apply)."""
        self._session_factory, self._relay, self._clock = session_factory, relay, clock
        self._urgency, self._deferred = urgency, deferred
        self._session: AsyncSession | None = None
        self._committed: list[StoredEvent] = []  # the events committed, for the relay
        self._left_work = False
        self._holding_turn = False
        self._turn_since: float | None = None  # when this unit of work took the turn it holds

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use")
        self._session = session = self._session_factory()
        self.users = SqlAlchemyUserRepository(session)
        self.leads = SqlAlchemyLeadRepository(session)
        self.tasks = SqlAlchemyTaskRepository(session)
        self.comments = SqlAlchemyCommentRepository(session)
        self.preferences = SqlAlchemyPreferenceRepository(session)
        self.events = self._event_log = SqlAlchemyEventLog(
            session, self._clock, on_turn=self._turn_taken
        )
        self.inbox = self._inbox = SqlAlchemyInboxRepository(session, self._event_log.take_turn)
        self.emails = SqlAlchemyDueEmailRepository(session)
        if self._urgency is not None:
            self._urgency.opened()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        try:
            if session is not None:
                await session.close()  # rolls back the transaction unless it was committed
        finally:
            self._turn_ended()
            if session is not None and self._urgency is not None:
                self._urgency.closed()
        committed, self._committed = self._committed, []
        if committed and self._relay is not None:
            await self._relay.committed(committed)
        left_work, self._left_work = self._left_work, False
        if left_work and self._deferred is not None:
            await self._deferred.committed()

    async def commit(self) -> None:
        if self._session is None:
            raise RuntimeError("commit() outside of the unit of work")
        # The counts and the outbox rows last, under the turn: its lock is then held for the
        # shortest time.
        written = await self._event_log.write_pending(self._inbox)
        left_work, self._inbox.marked = self._inbox.marked, False
        try:
            with concurrency_errors():
                await self._session.commit()
        finally:  # committed or not, the transaction has ended, and the turn with it
            self._turn_ended()
            self._inbox.forget()
            self._event_log.forget()
        self._committed.extend(written)
        self._left_work |= left_work

    def _turn_taken(self) -> None:
        if self._urgency is not None and not self._holding_turn:
            self._turn_since = self._urgency.begin()
            self._holding_turn = True

    def _turn_ended(self) -> None:
        if self._holding_turn:
            self._holding_turn = False
            if self._urgency is not None:
                self._urgency.end(self._turn_since)
