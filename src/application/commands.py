"""Commands and queries: what each use case takes in, as plain msgspec structs."""

from __future__ import annotations

import msgspec

from domain.notifications import NotificationType


class RegisterUserCommand(msgspec.Struct, frozen=True):
    user_id: str
    name: str | None = None
    email: str | None = None


class CreateLeadCommand(msgspec.Struct, frozen=True):
    actor_id: str
    name: str
    email: str | None = None
    company: str | None = None
    score: int = 0


class GetLeadQuery(msgspec.Struct, frozen=True):
    lead_id: str


class ListNotificationsQuery(msgspec.Struct, frozen=True):
    user_id: str
    limit: int = 50


class NotificationFeedQuery(msgspec.Struct, frozen=True):
    """A page of the caller's inbox: `first` entries after the cursor `after`, filtered."""

    user_id: str
    first: int = 20
    after: str | None = None
    unread_only: bool = False
    types: tuple[NotificationType, ...] | None = None
    related_lead_id: str | None = None
    archived: bool = False


class NotificationGroupsQuery(msgspec.Struct, frozen=True):
    """A page of the caller's groups: `first` groups after the cursor `after`, made of the
    notifications the filter selects."""

    user_id: str
    first: int = 20
    after: str | None = None
    unread_only: bool = False
    types: tuple[NotificationType, ...] | None = None
    related_lead_id: str | None = None
    archived: bool = False


class InboxCountsQuery(msgspec.Struct, frozen=True):
    user_id: str


class LeadNotificationsQuery(msgspec.Struct, frozen=True):
    """What the team was told about a lead (any registered user may look)."""

    lead_id: str
    limit: int = 20


class ReceiptsQuery(msgspec.Struct, frozen=True):
    notification_id: str
    limit: int = 50


class GetUnreadCountQuery(msgspec.Struct, frozen=True):
    user_id: str


class MarkAsReadCommand(msgspec.Struct, frozen=True):
    user_id: str
    notification_id: str


class MarkAllAsReadCommand(msgspec.Struct, frozen=True):
    user_id: str


class MarkAsUnreadCommand(msgspec.Struct, frozen=True):
    user_id: str
    notification_id: str


class MarkAllAsSeenCommand(msgspec.Struct, frozen=True):
    user_id: str


class MarkGroupAsReadCommand(msgspec.Struct, frozen=True):
    user_id: str
    group_key: str


class ArchiveNotificationCommand(msgspec.Struct, frozen=True):
    user_id: str
    notification_id: str


class UnarchiveNotificationCommand(msgspec.Struct, frozen=True):
    user_id: str
    notification_id: str


class ConfirmDeliveryCommand(msgspec.Struct, frozen=True):
    """The user's clients received every `notification:created` up to this event id."""

    user_id: str
    through_event_id: int


class DeleteNotificationCommand(msgspec.Struct, frozen=True):
    user_id: str
    notification_id: str


class ListLeadsQuery(msgspec.Struct, frozen=True):
    limit: int = 50


class AssignLeadCommand(msgspec.Struct, frozen=True):
    actor_id: str
    lead_id: str
    owner_id: str


class UpdateLeadScoreCommand(msgspec.Struct, frozen=True):
    actor_id: str
    lead_id: str
    score: int


class CreateTaskCommand(msgspec.Struct, frozen=True):
    actor_id: str
    lead_id: str
    title: str
    assignee_id: str | None = None


class CompleteTaskCommand(msgspec.Struct, frozen=True):
    actor_id: str
    task_id: str


class AddCommentCommand(msgspec.Struct, frozen=True):
    actor_id: str
    lead_id: str
    body: str


class GetPreferencesQuery(msgspec.Struct, frozen=True):
    user_id: str


class SetPreferenceCommand(msgspec.Struct, frozen=True):
    user_id: str
    type: NotificationType
    enabled: bool
    email: bool | None = None  # None: leave it as it was


class UnsubscribeCommand(msgspec.Struct, frozen=True):
    """Email off, for every type (the user id comes from a verified unsubscribe link)."""

    user_id: str


class EventsSinceQuery(msgspec.Struct, frozen=True):
    user_id: str
    last_event_id: int


class PurgeOlderThanCommand(msgspec.Struct, frozen=True):
    """Delete what is more than `days` days old."""

    days: int
