"""ListNotifications: the caller's own inbox, newest first, at most `limit` of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

import pytest

from application.commands import ListNotificationsQuery
from application.notifications.list_notifications import ListNotifications
from domain.errors import InvalidInput
from domain.notifications import InboxEntry

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[UUID]]


def ids_of(entries: list[InboxEntry]) -> list[UUID]:
    return [entry.notification.id for entry in entries]


async def test_newest_first(
    given_users: Users, given_lead: NewLead, list_notifications: ListNotifications
) -> None:
    await given_users("alice", "bob")
    first, second, third = [await given_lead("alice", name) for name in ("A", "B", "C")]

    entries = await list_notifications(ListNotificationsQuery("bob"))

    assert ids_of(entries) == [third, second, first]
    assert [entry.user_id for entry in entries] == ["bob"] * 3


async def test_limit_keeps_the_newest(
    given_users: Users, given_lead: NewLead, list_notifications: ListNotifications
) -> None:
    await given_users("alice", "bob")
    _, second, third = [await given_lead("alice", name) for name in ("A", "B", "C")]

    entries = await list_notifications(ListNotificationsQuery("bob", limit=2))

    assert ids_of(entries) == [third, second]


async def test_only_the_callers_own_notifications_are_listed(
    given_users: Users, given_lead: NewLead, list_notifications: ListNotifications
) -> None:
    await given_users("alice", "bob")
    to_bob = await given_lead("alice")
    to_alice = await given_lead("bob")

    assert ids_of(await list_notifications(ListNotificationsQuery("alice"))) == [to_alice]
    assert ids_of(await list_notifications(ListNotificationsQuery("bob"))) == [to_bob]
    assert await list_notifications(ListNotificationsQuery("stranger")) == []


@pytest.mark.parametrize("limit", [1, 100])
async def test_limits_of_1_to_100_are_accepted(
    limit: int, given_users: Users, given_lead: NewLead, list_notifications: ListNotifications
) -> None:
    await given_users("alice", "bob")
    await given_lead("alice")

    assert len(await list_notifications(ListNotificationsQuery("bob", limit=limit))) == 1


@pytest.mark.parametrize("limit", [0, -1, 101])
async def test_a_limit_outside_1_to_100_is_invalid_input(
    limit: int, list_notifications: ListNotifications
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await list_notifications(ListNotificationsQuery("bob", limit=limit))

    assert caught.value.field == "limit"
