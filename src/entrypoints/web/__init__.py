"""The live inbox page at `/`: its HTML, CSS and JavaScript module, and development sign-in."""

from entrypoints.web.dev_sign_in import dev_sign_in_routes
from entrypoints.web.pages import inbox_page_routes

__all__ = ["dev_sign_in_routes", "inbox_page_routes"]
