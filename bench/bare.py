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

from adapters.cursors import HmacCursorCodec

# Printed from SQLAlchemy's compilation of SqlAlchemyInboxRepository's statements.
UNREAD_COUNT = """SELECT count(*) AS count_1
FROM notification_recipients
WHERE notification_recipients."userId" = $1::VARCHAR AND NOT notification_recipients."isRead\""""

_ENTRIES = """SELECT notifications.id, notifications.type, notifications.title,
notifications.message, notifications."relatedLeadId", notifications."actorId",
notifications."createdAt", notification_recipients."userId", notification_recipients."readAt",
notification_recipients."updatedAt"
FROM notification_recipients JOIN notifications
ON notifications.id = notification_recipients."notificationId"
WHERE notification_recipients."userId" = $1::VARCHAR"""
_NEWEST_FIRST = """ ORDER BY notification_recipients."createdAt" DESC,
notification_recipients."notificationId" DESC"""

PAGE = _ENTRIES + _NEWEST_FIRST + " LIMIT $2::INTEGER"
PAGE_AFTER = (
    _ENTRIES
    + """ AND (notification_recipients."createdAt", notification_recipients."notificationId")
< ($2::TIMESTAMP WITH TIME ZONE, $3::UUID)"""
    + _NEWEST_FIRST
    + " LIMIT $4::INTEGER"
)

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


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    # Herald's SQLAlchemy pool: 10 kept, 20 more on demand.
    app.state.pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=10, max_size=30)
    try:
        yield
    finally:
        await app.state.pool.close()


app = Litestar(
    route_handlers=[health, unread_count, notifications, feed],
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
