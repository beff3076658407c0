"""Identifiers of leads, notifications and the rest: canonical lowercase UUIDs."""

from __future__ import annotations

from uuid import UUID

from domain.errors import InvalidInput


def parse_id(value: str, field: str = "id") -> UUID:
    """The UUID that `value` spells in canonical lowercase form, else `InvalidInput`."""
    try:
        parsed = UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput(field, "must be a UUID") from None
    if str(parsed) != value:
        raise InvalidInput(field, "must be a UUID in canonical lowercase form")
    return parsed
