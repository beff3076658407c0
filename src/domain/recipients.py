"""Who is told: the one place that decides the recipients of a notification."""

from __future__ import annotations

from collections.abc import Iterable


def lead_created_recipients(registered_user_ids: Iterable[str], actor_id: str) -> list[str]:
    """Every registered user but the actor, each once, in a stable order."""
    return sorted(set(registered_user_ids) - {actor_id})
