"""Steps of features/delivery.feature: what a teammate's screen is told, live and on coming back.

A screen is what a Socket.IO client is to the server: it connects with the id of the last event
it was told (or none), is first told what it missed (`Missed`, as the server replays it), then
what is published live, less what it already has. The recording publisher stands in for the
live side: each batch it is given reaches the open screens as the server's emits would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from feature_support import Herald, Run, WitnessPublisher, phrase
from pytest_bdd import given, scenarios, then, when

from adapters.memory import InMemoryStore, InMemoryUnitOfWork
from adapters.socketio.publisher import (
    BULK_UPDATED,
    CREATED,
    DELETED,
    RESYNC,
    UNREAD_COUNT,
    UPDATED,
    messages_for,
)
from adapters.sqlalchemy.tables import outbox_state
from domain.events import StoredEvent
from entrypoints.catch_up import Missed
from entrypoints.container import Container

scenarios("delivery.feature")

Message = tuple[str, dict[str, Any]]


@dataclass
class Screen:
    """One open screen of a teammate, and what it was told since it connected."""

    user_id: str
    missed: Missed
    told: list[Message] = field(default_factory=list)

    def receive(self, event: str, data: dict[str, Any]) -> None:
        """A live message: sent unless the screen already has it (as the server does)."""
        if self.missed.is_new(data):
            self.told.append((event, data))
            self.missed.through = data["eventId"]

    @property
    def last_event_id(self) -> int | None:
        return max((data["eventId"] for _, data in self.told if "eventId" in data), default=None)


class ScreensPublisher(WitnessPublisher):
    """The witness publisher, whose batches also reach every open screen."""

    def __init__(self) -> None:
        super().__init__()
        self.screens: dict[str, Screen] = {}  # by person: the open ones

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        await super().publish(events)
        for stored in events:
            for message in messages_for(stored):
                for screen in self.screens.values():
                    if screen.user_id in message.user_ids:
                        screen.receive(message.event, message.payload)


@pytest.fixture
def publisher() -> ScreensPublisher:
    return ScreensPublisher()


@pytest.fixture
def last_seen() -> dict[str, int | None]:
    """The last event id each teammate's screen was told, kept across going offline."""
    return {}


async def replay(missed: Missed) -> list[Message]:
    return [message async for message in missed.messages()]


def connect(herald: Herald, person: str, after: int | None) -> Screen:
    """A screen connecting now, told first what it missed after `after`."""
    user_id = herald.user_id(person)
    screen = Screen(user_id, Missed(herald.container.events_since(), user_id, after))
    screen.told.extend(herald.run(replay(screen.missed)))
    publisher = herald.publisher
    assert isinstance(publisher, ScreensPublisher)
    publisher.screens[person] = screen
    return screen


def screen_of(herald: Herald, person: str) -> Screen:
    publisher = herald.publisher
    assert isinstance(publisher, ScreensPublisher)
    assert person in publisher.screens, f"{person} is not online"
    return publisher.screens[person]


# --- What a retention purge records ------------------------------------------------------------


def let_history_go(container: Container, run: Run) -> None:
    """Move the "purged" position up to the newest event, as a retention purge would."""
    through = run(container.events_since().last_id())
    if isinstance(container.uow(), InMemoryUnitOfWork):
        store = container.memory_store()
        assert isinstance(store, InMemoryStore)
        store.state.purged_through = through
    else:
        run(_purge_on_database(container, through))


async def _purge_on_database(container: Container, through: int) -> None:
    async with container.engine().begin() as connection:
        await connection.execute(
            sa.update(outbox_state).where(outbox_state.c.name == "purged").values(position=through)
        )


# --- How a screen's messages read in the feature's words ----------------------------------------


def in_words(message: Message, titles: dict[UUID, str]) -> list[str]:
    event, data = message
    words: dict[str, Callable[[], list[str]]] = {
        CREATED: lambda: ["new notification", data["title"]],
        UPDATED: lambda: ["marked read" if data["isRead"] else "marked unread", data["title"]],
        BULK_UPDATED: lambda: ["all marked read", str(data["count"])],
        DELETED: lambda: ["deleted", titles[UUID(data["id"])]],
        UNREAD_COUNT: lambda: ["unread count", str(data["count"])],
        RESYNC: lambda: ["refresh the inbox", data["reason"].replace("-", " ")],
    }
    return words[event]()


# --- Steps -------------------------------------------------------------------------------------


@given(phrase("{person:Person} is online"))
@when(phrase("{person:Person} comes online"))
def _comes_online(herald: Herald, person: str) -> None:
    screen = connect(herald, person, None)
    assert screen.told == [], "a screen connecting afresh is told nothing of the past"


@given(phrase("{person:Person} has gone offline"))
def _goes_offline(herald: Herald, last_seen: dict[str, int | None], person: str) -> None:
    publisher = herald.publisher
    assert isinstance(publisher, ScreensPublisher)
    screen = publisher.screens.pop(person)
    last_seen[person] = screen.last_event_id or last_seen.get(person)
    assert last_seen[person] is not None, f"{person} was told nothing before going offline"


@when(phrase("{person:Person} comes back online"))
def _comes_back(herald: Herald, last_seen: dict[str, int | None], person: str) -> None:
    connect(herald, person, last_seen[person])


@given("Herald has since let go of the history of all that, as it does after the retention period")
def _history_let_go(container: Container, run: Run) -> None:
    let_history_go(container, run)


@then(phrase("{person:Person} is told, in this order:"))
def _told_in_order(herald: Herald, person: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert header == ["news", "about"], header
    told = screen_of(herald, person).told
    assert [in_words(message, herald.story.titles) for message in told] == rows
    ids = [data["eventId"] for _, data in told if "eventId" in data]
    assert ids == sorted(set(ids)), f"told out of order, or twice: {ids}"


@then(phrase("{person:Person} is told nothing since coming back"))
def _told_nothing_since(herald: Herald, person: str) -> None:
    assert screen_of(herald, person).told == []


@then(phrase("had {person:Person} been offline, {_} would be told the same when coming back"))
def _same_on_coming_back(herald: Herald, person: str) -> None:
    # The last action's events: what the screen was told live of them ...
    action = set(herald.publisher.event_ids)
    live = [(e, data) for e, data in screen_of(herald, person).told if data["eventId"] in action]
    assert live, f"{person} was told nothing live"
    # ... is what a screen coming back from just before them is told.
    user_id = herald.user_id(person)
    missed = Missed(herald.container.events_since(), user_id, min(action) - 1)
    assert herald.run(replay(missed)) == live
