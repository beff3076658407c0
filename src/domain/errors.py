"""Domain errors: what can go wrong in business terms, never in HTTP or GraphQL terms."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the core raises on purpose."""


class InvalidInput(DomainError):
    """A value from outside breaks a rule of the domain; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(DomainError):
    """Something does not exist, or is not the caller's to see: the two look the same."""

    kind = "object"

    def __init__(self, object_id: object) -> None:
        super().__init__(f"{self.kind} not found")
        self.object_id = object_id


class NotificationNotFound(NotFound):
    kind = "notification"


class LeadNotFound(NotFound):
    kind = "lead"


class UserNotFound(NotFound):
    kind = "user"


class TaskNotFound(NotFound):
    kind = "task"


class GroupNotFound(NotFound):
    kind = "group"
