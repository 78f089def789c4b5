"""The supplier portal's session: a signed, expiring, HttpOnly, SameSite=Lax cookie of its own.

It is apart from the admin cookie (`hub_session`, hub.api.session): a portal cookie never opens
an admin page, an admin cookie never opens the portal. The cookie carries the supplier id, the
key id and an expiry, with an HMAC keyed by the admin token (domain-separated from the admin
cookie's), so nothing secret is in the browser and changing the admin token signs everybody out.
Every request checks the signature and the expiry, then re-reads the key: revoking the key ends
its sessions at once, and the key's scopes decide what the session may do.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import Request
from fastapi.responses import Response

from hub.bootstrap import Hub
from hub.services.portal import PortalOwner, session_owner

COOKIE = "hub_supplier_session"
LIFETIME_SECONDS = 8 * 3600
PATH = "/supplier"


def _signature(hub: Hub, supplier_id: int, key_id: int, expires: int) -> str:
    key = hub.settings.admin_token_value().encode()
    return hmac.new(key, f"supplier-portal:{supplier_id}:{key_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def issue(hub: Hub, owner: PortalOwner, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + LIFETIME_SECONDS)
    return f"{owner.supplier_id}.{owner.key_id}.{expires}.{_signature(hub, owner.supplier_id, owner.key_id, expires)}"


def parse(hub: Hub, cookie: str | None, now: float | None = None) -> tuple[int, int] | None:
    """(supplier id, key id) of a well-signed cookie that has not expired, else None."""
    parts = (cookie or "").split(".")
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() and len(p) <= 19 for p in parts[:3]):
        return None
    supplier_id, key_id, expires = (int(p) for p in parts[:3])
    if expires < (time.time() if now is None else now):
        return None
    if not hmac.compare_digest(parts[3], _signature(hub, supplier_id, key_id, expires)):
        return None
    return supplier_id, key_id


def owner(request: Request) -> PortalOwner | None:
    """Who this request's portal session belongs to, when it is valid and its key is not revoked."""
    hub: Hub = request.app.state.hub
    ids = parse(hub, request.cookies.get(COOKIE))
    return session_owner(hub.db, *ids) if ids is not None else None


def set_cookie(response: Response, request: Request, value: str) -> None:
    response.set_cookie(COOKIE, value, max_age=LIFETIME_SECONDS, path=PATH, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH)
