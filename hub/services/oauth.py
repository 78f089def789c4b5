"""Installing the hub as a public Shopify app: permission URL out, verified callback in, token stored.

The state nonce travels in a short-lived cookie signed with the app secret, so a callback is only
accepted from the browser that started the install, for the shop it started it for.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from connectors.http import ConnectorError
from hub.db.models import Store
from hub.errors import BadRequest, UserError
from hub.services import stores

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

STATE_TTL_SECONDS = 600
STATE_COOKIE = "hub_shopify_oauth"


def _app_credentials(hub: Hub) -> tuple[str, str]:
    client_id, secret = hub.settings.shopify_client_id, hub.settings.shopify_client_secret
    if not client_id or secret is None:
        raise BadRequest("Shopify OAuth is not configured: set HUB_SHOPIFY_CLIENT_ID and HUB_SHOPIFY_CLIENT_SECRET")
    return client_id, secret.get_secret_value()


def _sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def _domain(shop: str) -> str:
    try:
        return stores.validate_shop_domain(shop)
    except UserError as exc:
        raise BadRequest(str(exc)) from exc


def start_install(hub: Hub, shop: str, now: float | None = None) -> tuple[str, str]:
    """(permission URL to redirect to, state cookie value)."""
    domain = _domain(shop)
    client_id, secret = _app_credentials(hub)
    nonce = secrets.token_urlsafe(24)
    expires = int((now or time.time()) + STATE_TTL_SECONDS)
    payload = f"{nonce}:{domain}:{expires}"
    url = hub.connectors.oauth_permission_url(
        domain, client_id, secret, [s.strip() for s in hub.settings.shopify_scopes.split(",") if s.strip()],
        f"{hub.settings.public_url.rstrip('/')}/shopify/callback", nonce)
    return url, f"{payload}:{_sign(secret, payload)}"


def finish_install(hub: Hub, params: dict[str, str], cookie: str | None, now: float | None = None) -> dict[str, Any]:
    """Check HMAC, timestamp, state and domain; exchange the code; store the token; register webhooks."""
    client_id, secret = _app_credentials(hub)
    if not hub.connectors.oauth_callback_is_authentic(params, client_id, secret):
        raise BadRequest("invalid OAuth callback: bad hmac or stale timestamp")
    domain = _domain(params.get("shop", ""))
    nonce, cookie_shop, expires, signature = [*(cookie or "").split(":"), "", "", "", ""][:4]
    payload = f"{nonce}:{cookie_shop}:{expires}"
    if not (cookie and hmac.compare_digest(signature, _sign(secret, payload))
            and hmac.compare_digest(nonce, params.get("state", ""))
            and cookie_shop == domain and expires.isdigit() and int(expires) >= (now or time.time())):
        raise BadRequest("invalid OAuth callback: state does not match this browser's install")
    code = params.get("code", "")
    if not code:
        raise BadRequest("invalid OAuth callback: no code")
    try:
        token, scopes = hub.connectors.oauth_exchange(domain, client_id, secret, code)
    except ConnectorError as exc:
        raise BadRequest(f"Shopify refused the code exchange: {exc}") from exc
    view = _save(hub, domain, token)
    _register_webhooks(hub, view["id"])
    logger.info("store installed through OAuth", extra={"store_id": view["id"], "shop": domain, "scopes": scopes})
    return view


def _save(hub: Hub, domain: str, token: str) -> dict[str, Any]:
    with hub.db.transaction() as session:
        existing = session.execute(select(Store).where(Store.platform == "shopify", Store.shop_domain == domain)
                                   ).scalar_one_or_none()
        if existing is not None:  # a re-install: new token, connected again
            existing.access_token_encrypted = hub.cipher.encrypt(token)
            existing.status = "active"
            return stores.store_view(existing)
    return stores.add_shopify_store(hub, stores.NewShopifyStore(shop=domain, token=token))


def _register_webhooks(hub: Hub, store_id: int) -> None:
    storefront = hub.connectors.storefront(stores.credentials(hub, store_id))
    address = f"{hub.settings.public_url.rstrip('/')}/webhooks/shopify"
    try:
        storefront.register_webhooks(address, stores.WEBHOOK_TOPICS)
    except ConnectorError as exc:  # the scheduled pull still brings every order
        logger.warning("webhook registration failed", extra={"store_id": store_id, "reason": str(exc)[:200]})
    finally:
        storefront.close()


__all__ = ["STATE_COOKIE", "finish_install", "start_install"]
