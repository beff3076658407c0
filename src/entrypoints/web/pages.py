"""Serves the inbox page's three files from this package, with headers that keep it self-contained.

The files are read once, when the app is built, so a wheel serves exactly what it was built with.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from typing import Any

from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.status_codes import HTTP_304_NOT_MODIFIED

# Everything comes from this origin: the page, its script and style, GraphQL over HTTP and the
# Socket.IO websocket ('self' covers ws: and wss: of the same host).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_FILES = {
    "/": ("index.html", "text/html"),
    "/inbox.css": ("inbox.css", "text/css"),
    "/inbox.js": ("inbox.js", "text/javascript"),
}


def inbox_page_routes() -> list[HTTPRouteHandler]:
    """`GET /` (the page), `GET /inbox.css` and `GET /inbox.js`."""
    package = files(__package__ or "entrypoints.web")
    return [
        _file_handler(path, package.joinpath(name).read_bytes(), media_type)
        for path, (name, media_type) in _FILES.items()
    ]


def _file_handler(path: str, content: bytes, media_type: str) -> HTTPRouteHandler:
    etag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    headers = {
        "Cache-Control": "no-cache",  # revalidate each time: an upgrade shows at once
        "ETag": etag,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    async def serve(request: Request[Any, Any, Any]) -> Response[bytes]:
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(content, media_type=media_type, headers=headers)

    return get(path, name=f"inbox-page:{path}", include_in_schema=False)(serve)
