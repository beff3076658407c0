"""The live inbox page at `/`: its HTML, CSS and JavaScript module, development sign-in, and
the unsubscribe pages that emails link to."""

from entrypoints.web.dev_sign_in import dev_sign_in_routes
from entrypoints.web.pages import inbox_page_routes
from entrypoints.web.unsubscribe import unsubscribe_routes

__all__ = ["dev_sign_in_routes", "inbox_page_routes", "unsubscribe_routes"]
