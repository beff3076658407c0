"""SetPreference and GetPreferences: each user turns types of notification off, and on again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pytest

from adapters.memory import RecordingPublisher
from application.commands import (
    AddCommentCommand,
    CompleteTaskCommand,
    CreateLeadCommand,
    CreateTaskCommand,
    GetPreferencesQuery,
    SetPreferenceCommand,
    UpdateLeadScoreCommand,
)
from application.comments.add_comment import AddComment
from application.leads.create_lead import CreateLead
from application.leads.update_lead_score import UpdateLeadScore
from application.preferences.get_preferences import GetPreferences
from application.preferences.set_preference import SetPreference
from application.tasks.complete_task import CompleteTask
from application.tasks.create_task import CreateTask
from domain.events import NotificationCreated
from domain.leads import Lead
from domain.notifications import NotificationType
from domain.preferences import NotificationPreference

if TYPE_CHECKING:
    from conftest import StoreReader

Users = Callable[..., Awaitable[None]]
NewLead = Callable[..., Awaitable[Lead]]
OneOfEach = Callable[[], Awaitable[set[NotificationType]]]

EVERY_TYPE = list(NotificationType)


async def test_every_type_is_enabled_by_default(get_preferences: GetPreferences) -> None:
    assert await get_preferences(GetPreferencesQuery("bob")) == [
        NotificationPreference(kind, enabled=True) for kind in NotificationType
    ]


@pytest.mark.parametrize("kind", EVERY_TYPE)
async def test_turning_a_type_off_is_stored_for_that_user_alone(
    kind: NotificationType,
    set_preference: SetPreference,
    get_preferences: GetPreferences,
    read: StoreReader,
) -> None:
    set_to = await set_preference(SetPreferenceCommand("bob", kind, enabled=False))

    assert set_to == NotificationPreference(kind, enabled=False)
    assert await read.disabled("bob") == {kind}
    assert await get_preferences(GetPreferencesQuery("bob")) == [
        NotificationPreference(each, enabled=each is not kind) for each in NotificationType
    ]
    assert all(p.enabled for p in await get_preferences(GetPreferencesQuery("carol")))


async def test_turning_a_type_on_again_enables_it(
    set_preference: SetPreference, get_preferences: GetPreferences, read: StoreReader
) -> None:
    for kind in (NotificationType.SCORE_UPDATED, NotificationType.COMMENT_ADDED):
        await set_preference(SetPreferenceCommand("bob", kind, enabled=False))

    set_to = await set_preference(
        SetPreferenceCommand("bob", NotificationType.SCORE_UPDATED, enabled=True)
    )

    assert set_to == NotificationPreference(NotificationType.SCORE_UPDATED, enabled=True)
    assert await read.disabled("bob") == {NotificationType.COMMENT_ADDED}
    listed = await get_preferences(GetPreferencesQuery("bob"))
    assert [p.type for p in listed if not p.enabled] == [NotificationType.COMMENT_ADDED]


@pytest.mark.parametrize("enabled", [True, False])
async def test_setting_a_preference_twice_is_harmless(
    enabled: bool, set_preference: SetPreference, get_preferences: GetPreferences
) -> None:
    kind = NotificationType.TASK_COMPLETED
    for _ in range(2):
        await set_preference(SetPreferenceCommand("bob", kind, enabled))

    preferences = await get_preferences(GetPreferencesQuery("bob"))
    assert NotificationPreference(kind, enabled) in preferences


# Delivery: alice does one thing of each type that bob, owner of the lead and creator of the
# task, is in the audience of.


@pytest.fixture
async def one_of_each(
    given_users: Users,
    new_lead: NewLead,
    create_lead: CreateLead,
    create_task: CreateTask,
    complete_task: CompleteTask,
    update_lead_score: UpdateLeadScore,
    add_comment: AddComment,
    read: StoreReader,
) -> OneOfEach:
    """Acts once of each type; returns the types of the notifications that reached bob."""
    await given_users("alice", "bob", "carol")
    bobs_lead = await new_lead("bob")
    lead_id = str(bobs_lead.id)

    async def act() -> set[NotificationType]:
        before = {entry.notification.id for entry in await read.inbox("bob")}
        task = await create_task(CreateTaskCommand("bob", lead_id, "Call back"))
        lead = await read.lead(bobs_lead.id)
        assert lead is not None

        await create_lead(CreateLeadCommand("alice", "Globex"))
        await complete_task(CompleteTaskCommand("alice", str(task.id)))
        await update_lead_score(UpdateLeadScoreCommand("alice", lead_id, lead.score + 1))
        await add_comment(AddCommentCommand("alice", lead_id, "Any news?"))

        return {
            entry.notification.type
            for entry in await read.inbox("bob")
            if entry.notification.id not in before
        }

    return act


async def test_every_type_is_delivered_by_default(one_of_each: OneOfEach) -> None:
    assert await one_of_each() == set(NotificationType)


@pytest.mark.parametrize("kind", EVERY_TYPE)
async def test_a_muted_type_is_not_delivered_while_the_others_are(
    kind: NotificationType,
    one_of_each: OneOfEach,
    set_preference: SetPreference,
    publisher: RecordingPublisher,
) -> None:
    await set_preference(SetPreferenceCommand("bob", kind, enabled=False))

    assert await one_of_each() == set(NotificationType) - {kind}
    published_to_bob = {
        event.notification.type
        for event in publisher.published
        if isinstance(event, NotificationCreated) and "bob" in event.recipients
    }
    assert published_to_bob == set(NotificationType) - {kind}


@pytest.mark.parametrize("kind", EVERY_TYPE)
async def test_turning_a_type_on_again_restores_its_delivery(
    kind: NotificationType, one_of_each: OneOfEach, set_preference: SetPreference
) -> None:
    await set_preference(SetPreferenceCommand("bob", kind, enabled=False))
    assert kind not in await one_of_each()

    await set_preference(SetPreferenceCommand("bob", kind, enabled=True))

    assert await one_of_each() == set(NotificationType)
