"""Cross-site form posts refused in one place: a strict origin check in front of every page form.

Every state-changing request to a page route (anything outside the JSON API, the webhooks and the
mounted sandboxes) must say where it came from: its `Origin` header, or its `Referer` when a
browser sends no Origin, must name this host. Browsers send Origin on every form POST, so a page
of ours always passes, a page of another site never does, and a request that hides both is
refused too (a token-less check that cannot be forgotten on a new form). The API is authenticated
by bearer tokens, which a browser never adds on its own, so it needs no such check; the session
cookie is also SameSite=Lax as a second line.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.responses import HTMLResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST"})  # what an HTML form can send; pages route nothing else that writes
EXEMPT_PREFIXES = ("/api/", "/webhooks/", "/sandbox/", "/healthz", "/readyz", "/metrics")
REFUSAL = ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Refused · the hub</title></head>"
           "<body><main><h1>This form was refused</h1><p>It was not sent from a page of this hub "
           "(its Origin or Referer names another site, or neither was sent). Go back to the page, "
           "reload it and send the form again.</p><p><a href=\"/\">Back to the hub</a></p></main></body></html>")


def _host_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts.netloc.lower() if parts.scheme in ("http", "https") and parts.netloc else None


def same_site_post(headers: dict[str, str]) -> bool:
    """True when the request's Origin (or, without one, its Referer) names the Host it was sent to."""
    host = headers.get("host", "").lower()
    origin = headers.get("origin")
    if origin is not None and origin != "null":
        return _host_of(origin) == host
    referer = headers.get("referer")
    return referer is not None and _host_of(referer) == host


def _routed(scope: Scope) -> bool:
    """True when a route takes this method at this path (else the app answers 404/405 as it would)."""
    app = scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", [])
    return any(route.matches(scope)[0] is Match.FULL for route in routes)


class OriginCheck:
    """ASGI middleware: a page form posted from anywhere but this hub is answered 403."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS
                or scope["path"].startswith(EXEMPT_PREFIXES) or not _routed(scope)):
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        if same_site_post(headers):
            await self.app(scope, receive, send)
            return
        logger.warning("cross-site form post refused", extra={"path": scope["path"][:200],
                                                              "origin": headers.get("origin", "")[:200]})
        await HTMLResponse(REFUSAL, status_code=403)(scope, receive, send)
