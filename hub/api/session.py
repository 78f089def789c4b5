"""Dashboard sign-in: the admin token, exchanged once for a signed, expiring, HttpOnly cookie.

The cookie holds an expiry and an HMAC of it keyed by the admin token, so changing the token signs
everybody out, and nothing secret is stored in the browser.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import Request

from hub.bootstrap import Hub

COOKIE = "hub_session"
LIFETIME_SECONDS = 12 * 3600


def _signature(hub: Hub, expires: int) -> str:
    key = hub.settings.admin_token_value().encode()
    return hmac.new(key, f"dashboard:{expires}".encode(), hashlib.sha256).hexdigest()


def issue(hub: Hub, now: float | None = None) -> str:
    expires = int((now or time.time()) + LIFETIME_SECONDS)
    return f"{expires}.{_signature(hub, expires)}"


def valid(hub: Hub, cookie: str | None, now: float | None = None) -> bool:
    if not cookie or "." not in cookie:
        return False
    expires_text, _, signature = cookie.partition(".")
    if not expires_text.isdigit() or int(expires_text) < (now or time.time()):
        return False
    return hmac.compare_digest(signature, _signature(hub, int(expires_text)))


def signed_in(request: Request) -> bool:
    hub: Hub = request.app.state.hub
    return valid(hub, request.cookies.get(COOKIE))

