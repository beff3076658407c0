"""Who is told: one policy for every type of notification, and the rules all types share."""

from __future__ import annotations

from collections.abc import Iterable, Set

import pytest

from domain.notifications import NotificationType
from domain.recipients import Situation, recipients

LEAD_CREATED = NotificationType.LEAD_CREATED
TASK_COMPLETED = NotificationType.TASK_COMPLETED
SCORE_UPDATED = NotificationType.SCORE_UPDATED
COMMENT_ADDED = NotificationType.COMMENT_ADDED

# Everyone is around every situation below, so that each row shows whom its type picks out.
TEAM = ("alice", "bob", "carol", "dave")


def around(
    actor: str,
    *,
    owner: str | None = "alice",
    creator: str | None = "bob",
    commenters: Iterable[str] = ("bob", "dave"),
    registered: tuple[str, ...] = TEAM,
) -> Situation:
    return Situation(
        actor,
        registered_user_ids=registered,
        lead_owner_id=owner,
        task_creator_id=creator,
        earlier_commenter_ids=commenters,
    )


@pytest.mark.parametrize(
    ("kind", "situation", "muted", "told"),
    [
        # lead_created: every registered user
        pytest.param(LEAD_CREATED, around("carol"), set(), ["alice", "bob", "dave"],
                     id="lead created: every registered user but the actor"),
        pytest.param(LEAD_CREATED, around("erin"), set(), list(TEAM),
                     id="lead created: an actor not yet registered"),
        pytest.param(LEAD_CREATED, around("alice", registered=("alice",)), set(), [],
                     id="lead created: the actor alone"),
        pytest.param(LEAD_CREATED, around("alice", registered=()), set(), [],
                     id="lead created: nobody registered"),
        pytest.param(LEAD_CREATED, around("alice", registered=("bob", "alice", "bob")), set(),
                     ["bob"], id="lead created: a user listed twice is told once"),
        pytest.param(LEAD_CREATED, around("alice"), {"bob", "dave"}, ["carol"],
                     id="lead created: not the muted"),
        # task_completed: the lead's owner and the task's creator
        pytest.param(TASK_COMPLETED, around("carol"), set(), ["alice", "bob"],
                     id="task completed: owner and creator"),
        pytest.param(TASK_COMPLETED, around("carol", creator="alice"), set(), ["alice"],
                     id="task completed: an owner who created the task is told once"),
        pytest.param(TASK_COMPLETED, around("alice"), set(), ["bob"],
                     id="task completed: not the owner who completes it"),
        pytest.param(TASK_COMPLETED, around("bob"), set(), ["alice"],
                     id="task completed: not the creator who completes it"),
        pytest.param(TASK_COMPLETED, around("alice", creator="alice"), set(), [],
                     id="task completed: the owner completing their own task"),
        pytest.param(TASK_COMPLETED, around("carol", owner=None), set(), ["bob"],
                     id="task completed: a lead with no owner"),
        pytest.param(TASK_COMPLETED, around("carol"), {"alice"}, ["bob"],
                     id="task completed: not a muted owner"),
        pytest.param(TASK_COMPLETED, around("carol"), {"bob"}, ["alice"],
                     id="task completed: not a muted creator"),
        # score_updated: the lead's owner
        pytest.param(SCORE_UPDATED, around("carol"), set(), ["alice"],
                     id="score updated: the owner"),
        pytest.param(SCORE_UPDATED, around("alice"), set(), [],
                     id="score updated: not the owner who scores it"),
        pytest.param(SCORE_UPDATED, around("carol", owner=None), set(), [],
                     id="score updated: a lead with no owner"),
        pytest.param(SCORE_UPDATED, around("carol"), {"alice"}, [],
                     id="score updated: not a muted owner"),
        # comment_added: the lead's owner and everyone who commented on it before
        pytest.param(COMMENT_ADDED, around("carol"), set(), ["alice", "bob", "dave"],
                     id="comment added: owner and earlier commenters"),
        pytest.param(COMMENT_ADDED, around("carol", commenters=("alice", "bob", "alice")), set(),
                     ["alice", "bob"], id="comment added: an owner who commented is told once"),
        pytest.param(COMMENT_ADDED, around("alice"), set(), ["bob", "dave"],
                     id="comment added: not the owner who comments"),
        pytest.param(COMMENT_ADDED, around("bob"), set(), ["alice", "dave"],
                     id="comment added: not an earlier commenter who comments again"),
        pytest.param(COMMENT_ADDED, around("alice", commenters=()), set(), [],
                     id="comment added: the owner's first comment"),
        pytest.param(COMMENT_ADDED, around("carol", owner=None), set(), ["bob", "dave"],
                     id="comment added: a lead with no owner"),
        pytest.param(COMMENT_ADDED, around("carol"), {"dave"}, ["alice", "bob"],
                     id="comment added: not a muted commenter"),
        # rules every type shares
        pytest.param(SCORE_UPDATED, around("carol"), {"bob", "carol"}, ["alice"],
                     id="muting users outside the audience changes nothing"),
        pytest.param(COMMENT_ADDED, around("carol"), set(TEAM), [],
                     id="everyone muted"),
        pytest.param(LEAD_CREATED, around("x", registered=("zoe", "bob", "mallory", "alice")),
                     set(), ["alice", "bob", "mallory", "zoe"], id="sorted, whatever the order in"),
        pytest.param(COMMENT_ADDED, around("x", owner="nina", commenters=("zoe", "bob")), set(),
                     ["bob", "nina", "zoe"], id="sorted across owner and commenters"),
        pytest.param(COMMENT_ADDED, around("x", commenters={"dave", "bob"}), set(),
                     ["alice", "bob", "dave"], id="commenters as a set, as a repository gives"),
    ],
)  # fmt: skip
def test_recipients(
    kind: NotificationType, situation: Situation, muted: Set[str], told: list[str]
) -> None:
    assert recipients(kind, situation, muted) == told
