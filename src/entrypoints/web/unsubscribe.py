"""One-click unsubscribe (RFC 8058): `POST /unsubscribe/TOKEN` turns email off for every type;
`GET` of the same URL only shows a page with a button that posts (link scanners follow GETs).
A token that this server did not sign is 400, and nothing changes; a database too busy to take
the change is a page with 503 and Retry-After."""

from __future__ import annotations

import html
from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST, HTTP_503_SERVICE_UNAVAILABLE

from application.commands import UnsubscribeCommand
from application.ports import ConcurrentUpdate, DatabaseBusy
from entrypoints.container import Container

RETRY_AFTER_SECONDS = 5
# The pages are self-contained: inline style only, and a form that posts back here.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none';"
    " frame-ancestors 'none'"
)
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} · Herald</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;
color:#1f2933;line-height:1.5}}button{{font:inherit;padding:.6rem 1.2rem;border:0;
border-radius:6px;background:#2457c5;color:#fff;cursor:pointer}}</style>
</head><body><h1>{title}</h1>{body}</body></html>
"""


def unsubscribe_routes() -> list[HTTPRouteHandler]:
    return [unsubscribe_page, unsubscribe]


def _page(title: str, body: str, status_code: int = HTTP_200_OK) -> Response[str]:
    return Response(
        _PAGE.format(title=html.escape(title), body=body),
        status_code=status_code,
        media_type=MediaType.HTML,
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _refused() -> Response[str]:
    body = "<p>This unsubscribe link is not valid. Nothing was changed.</p>"
    return _page("Link not valid", body, HTTP_400_BAD_REQUEST)


def _try_again() -> Response[str]:
    body = "<p>Herald is busy and could not unsubscribe you just now. Please try again.</p>"
    response = _page("Please try again", body, HTTP_503_SERVICE_UNAVAILABLE)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@get("/unsubscribe/{token:str}", include_in_schema=False)
async def unsubscribe_page(request: Request[Any, Any, Any], token: str) -> Response[str]:
    container: Container = request.app.state.container
    if container.unsubscribe_tokens().verify(token) is None:
        return _refused()
    body = (
        "<p>Stop the emails Herald sends about notifications you have not seen?"
        " Your inbox in Herald stays as it is.</p>"
        '<form method="post"><button type="submit">Unsubscribe from all emails</button></form>'
    )
    return _page("Unsubscribe from Herald's emails", body)


@post("/unsubscribe/{token:str}", include_in_schema=False, status_code=HTTP_200_OK)
async def unsubscribe(request: Request[Any, Any, Any], token: str) -> Response[str]:
    container: Container = request.app.state.container
    user_id = container.unsubscribe_tokens().verify(token)
    if user_id is None:
        return _refused()
    try:
        await container.unsubscribe()(UnsubscribeCommand(user_id))
    except (ConcurrentUpdate, DatabaseBusy):
        # Still contended after the use case's own retries: a page, never a GraphQL error.
        return _try_again()
    body = (
        "<p>Herald will send you no more emails. You can turn them on again, kind by kind,"
        " in the preferences of your inbox.</p>"
    )
    return _page("You are unsubscribed", body)
