"""The baseline: Herald's inbox SQL, word for word, through asyncpg in a bare Litestar app.

Same server (uvicorn, one process), same token check (PyJWT, HS256) and the same feed cursors
as Herald; no GraphQL, no SQLAlchemy, no container. Run as
`python -m bench.bare` with BENCH_DSN, JWT_SECRET and BENCH_PORT set.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import jwt
import uvicorn
from litestar import Litestar, Request, get
from litestar.exceptions import NotAuthorizedException, ValidationException

from adapters.asyncpg.queries import compiled_names, compiled_sql
from adapters.cursors import HmacCursorCodec
from adapters.sqlalchemy.queries import (
    COUNTS,
    group_parameters,
    group_shape,
    groups_of_rows,
    groups_statement,
    page_statement,
)
from adapters.sqlalchemy.queries import UNREAD_COUNT as UNREAD_COUNT_STATEMENT
from application.ports import GroupSlice
from domain.notifications import NotificationGroup

# Herald's own statements, compiled for asyncpg as its read adapter compiles them.
UNREAD_COUNT = compiled_sql(UNREAD_COUNT_STATEMENT)
COUNTS_SQL = compiled_sql(COUNTS)
_PAGE_SHAPE = {"unread_only": False, "types": False, "related_lead": False, "on_postgresql": True}
PAGE = compiled_sql(page_statement(after=False, **_PAGE_SHAPE))
PAGE_AFTER = compiled_sql(page_statement(after=True, **_PAGE_SHAPE))
_GROUPS = groups_statement(group_shape(GroupSlice("", 1), on_postgresql=True), after=False)
GROUPS, GROUP_NAMES = compiled_sql(_GROUPS), compiled_names(_GROUPS)

SECRET = os.environ.get("JWT_SECRET", "")
cursors = HmacCursorCodec(SECRET)


def caller(request: Request[Any, Any, Any]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise NotAuthorizedException()
    try:
        claims = jwt.decode(
            token, SECRET, algorithms=["HS256"], options={"require": ["sub", "exp"]}
        )
    except jwt.PyJWTError:
        raise NotAuthorizedException() from None
    return str(claims["sub"])


def pool(request: Request[Any, Any, Any]) -> asyncpg.Pool:
    return request.app.state.pool


def node(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "type": row["type"].upper(),
        "title": row["title"],
        "message": row["message"],
        "isRead": row["readAt"] is not None,
        "readAt": row["readAt"] and row["readAt"].isoformat(),
        "relatedLeadId": str(row["relatedLeadId"]) if row["relatedLeadId"] else None,
        "actorId": row["actorId"],
        "createdAt": row["createdAt"].isoformat(),  # as GraphQL's DateTime, not msgspec's "Z"
        "updatedAt": row["updatedAt"].isoformat(),
    }


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/unread-count")
async def unread_count(request: Request[Any, Any, Any]) -> dict[str, Any]:
    count = await pool(request).fetchval(UNREAD_COUNT, caller(request))
    return {"data": {"getUnreadCount": count}}


@get("/notifications")
async def notifications(request: Request[Any, Any, Any], limit: int = 50) -> dict[str, Any]:
    rows = await pool(request).fetch(PAGE, caller(request), limit)
    return {"data": {"getNotifications": [node(row) for row in rows]}}


@get("/feed")
async def feed(
    request: Request[Any, Any, Any], first: int = 20, after: str | None = None
) -> dict[str, Any]:
    user = caller(request)
    if after is None:
        rows = await pool(request).fetch(PAGE, user, first + 1)
    else:
        position = cursors.decode(user, after)
        if position is None:
            raise ValidationException("after is not a cursor of this feed")
        rows = await pool(request).fetch(PAGE_AFTER, user, *position, first + 1)
    edges = [
        {"cursor": cursors.encode(user, (row["createdAt"], row["id"])), "node": node(row)}
        for row in rows[:first]
    ]
    page_info = {
        "hasNextPage": len(rows) > first,
        "endCursor": edges[-1]["cursor"] if edges else None,
    }
    return {"data": {"notificationFeed": {"edges": edges, "pageInfo": page_info}}}


@get("/inbox-counts")
async def inbox_counts(request: Request[Any, Any, Any]) -> dict[str, Any]:
    row = await pool(request).fetchrow(COUNTS_SQL, caller(request)) or (0, 0, 0)
    return {"data": {"inboxCounts": {"unread": row[0], "unseen": row[1], "total": row[2]}}}


@get("/groups")
async def groups(request: Request[Any, Any, Any], first: int = 20) -> dict[str, Any]:
    """Herald's statement for a page of groups (`groups_of_rows` puts its rows together); the
    JSON built by hand."""
    user = caller(request)
    wanted = GroupSlice(user, first + 1)
    # As Herald's unfiltered pages: on the reads' pool, where the generic plan is kept.
    rows = await pool(request).fetch(
        GROUPS, *(group_parameters(wanted)[name] for name in GROUP_NAMES)
    )
    found = groups_of_rows(rows)
    edges = [
        {
            "cursor": cursors.encode_group(user, (group.last_at, group.key)),
            "node": group_node(group),
        }
        for group in found[:first]
    ]
    page_info = {
        "hasNextPage": len(found) > first,
        "endCursor": edges[-1]["cursor"] if edges else None,
    }
    return {"data": {"notificationGroups": {"edges": edges, "pageInfo": page_info}}}


def group_node(group: NotificationGroup) -> dict[str, Any]:
    latest = group.latest
    return {
        "key": group.key,
        "type": group.type.value.upper(),
        "title": group.title,
        "count": group.count,
        "unreadCount": group.unread_count,
        "actorIds": list(group.actor_ids),
        "actorCount": group.actor_count,
        "relatedLeadId": str(group.related_lead_id) if group.related_lead_id else None,
        "lastAt": group.last_at.isoformat(),
        "latest": {
            "id": str(latest.notification.id),
            "title": latest.notification.title,
            "isRead": latest.is_read,
        },
    }


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    # Herald's SQLAlchemy pool: 10 kept, 20 more on demand.
    app.state.pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=10, max_size=30)
    try:
        yield
    finally:
        await app.state.pool.close()


app = Litestar(
    route_handlers=[health, unread_count, notifications, feed, inbox_counts, groups],
    lifespan=[lifespan],
    logging_config=None,
)

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["BENCH_PORT"]),
        log_config=None,
        log_level="warning",
        access_log=False,
    )
