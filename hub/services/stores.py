"""Connecting, listing and removing stores. Tokens are encrypted before they touch the database."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.http import ConnectorError
from hub.db.engine import Database
from hub.db.models import Order, Store
from hub.domain.money import MoneyError, normalize_currency
from hub.errors import Conflict, NotFound, UserError
from hub.ports import StoreCredentials

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")
API_VERSION = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")
WEBHOOK_TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "orders/paid", "refunds/create",
                  "app/uninstalled")


def active_store_ids(db: Database, platforms: Iterable[str]) -> list[int]:
    with db.transaction() as session:
        rows = session.execute(
            select(Store.id).where(Store.status == "active", Store.platform.in_(list(platforms)))
            .order_by(Store.id)
        )
        return list(rows.scalars())


def validate_shop_domain(shop: str) -> str:
    domain = (shop or "").strip().lower()
    if not SHOP_DOMAIN.match(domain):
        raise UserError(f"not a Shopify shop domain: {shop!r} (expected NAME.myshopify.com)")
    return domain


@dataclass(frozen=True)
class NewShopifyStore:
    shop: str
    token: str
    webhook_secret: str | None = None
    api_version: str | None = None
    verify: bool = True
    currency: str | None = None
    base_url: str | None = None  # only for the sandbox store
    name: str | None = None


def add_shopify_store(hub: Hub, request: NewShopifyStore) -> dict[str, Any]:
    """Validate, optionally check the token with a `shop` query, store everything secret encrypted."""
    domain = validate_shop_domain(request.shop)
    version = request.api_version or hub.settings.shopify_api_version
    if not API_VERSION.match(version):
        raise UserError(f"not a Shopify API version: {version!r} (e.g. 2026-10)")
    if not request.token.strip():
        raise UserError("the access token is empty")
    if not request.token.isascii() or not request.token.isprintable():
        raise UserError("the access token has characters no Shopify token has (it is printable ASCII)")
    name, currency = request.name or domain.split(".", 1)[0], request.currency
    if request.verify:
        client = hub.connectors.storefront(StoreCredentials("shopify", domain, request.token, version,
                                                            request.base_url))
        try:
            info = client.shop()
        except ConnectorError as exc:
            raise UserError(f"could not verify the token with {domain}: {exc}") from exc
        finally:
            client.close()
        name, currency = request.name or info.name, info.currency
    try:
        currency = normalize_currency(currency or hub.settings.reporting_currency)
    except MoneyError as exc:
        raise UserError(str(exc)) from exc
    try:
        with hub.db.transaction() as session:
            again = _reconnect(session, hub, domain, request, name, currency, version)
            if again is not None:
                return again
            store = Store(platform="shopify", name=name, shop_domain=domain, currency=currency,
                          access_token_encrypted=hub.cipher.encrypt(request.token),
                          webhook_secret_encrypted=hub.cipher.encrypt(request.webhook_secret)
                          if request.webhook_secret else None,
                          api_version=version, api_base_url=request.base_url, status="active", settings={})
            session.add(store)
            session.flush()
            view = store_view(store)
    except IntegrityError as exc:
        raise Conflict(f"a store for {domain} is already connected") from exc
    logger.info("store connected", extra={"store_id": view["id"], "shop": domain})
    return view


def _reconnect(session: Session, hub: Hub, domain: str, request: NewShopifyStore, name: str, currency: str,
               version: str) -> dict[str, Any] | None:
    """A store disconnected before is connected again, its orders and settings kept; None when new."""
    store = session.execute(select(Store).where(Store.platform == "shopify", Store.shop_domain == domain,
                                                Store.status != "active")).scalar_one_or_none()
    if store is None:
        return None
    store.access_token_encrypted = hub.cipher.encrypt(request.token)
    store.webhook_secret_encrypted = hub.cipher.encrypt(request.webhook_secret) if request.webhook_secret else None
    store.name, store.currency, store.api_version, store.status = name, currency, version, "active"
    if request.base_url is not None:
        store.api_base_url = request.base_url
    logger.info("store connected again", extra={"store_id": store.id, "shop": domain})
    return store_view(store)


def disconnect_store(db: Database, store_id: int) -> dict[str, Any]:
    """Stop pulling, pushing and accepting webhooks for a store and forget its credentials; its
    orders, listings, money and settings stay (connecting it again picks them up)."""
    with db.transaction() as session:
        store = session.get(Store, store_id)
        if store is None:
            raise NotFound(f"store {store_id} not found")
        store.status, store.access_token_encrypted, store.webhook_secret_encrypted = "disconnected", None, None
        logger.info("store disconnected", extra={"store_id": store_id})
        return store_view(store)


def store_view(store: Store) -> dict[str, Any]:
    """What the API and CLI show of a store: never a token or a secret."""
    return {"id": store.id, "platform": store.platform, "name": store.name, "shop_domain": store.shop_domain,
            "currency": store.currency, "api_version": store.api_version, "status": store.status,
            "webhook_secret_set": store.webhook_secret_encrypted is not None,
            "created_at": store.created_at.isoformat()}


def get_store(db: Database, store_id: int) -> dict[str, Any]:
    with db.read() as session:
        store = session.get(Store, store_id)
        if store is None:
            raise NotFound(f"store {store_id} not found")
        return store_view(store)


def list_stores(db: Database) -> list[dict[str, Any]]:
    with db.transaction() as session:
        return [store_view(s) for s in session.execute(select(Store).order_by(Store.id)).scalars()]


def remove_store(db: Database, store_id: int) -> str:
    """Delete a store without orders; one with orders keeps its history but loses its credentials."""
    with db.transaction() as session:
        store = session.get(Store, store_id)
        if store is None:
            raise NotFound(f"store {store_id} not found")
        has_orders = session.execute(select(func.count()).select_from(Order).where(Order.store_id == store_id)
                                     ).scalar_one()
        if not has_orders:
            session.delete(store)
            return "deleted"
        store.status, store.access_token_encrypted, store.webhook_secret_encrypted = "removed", None, None
        return "removed"


def credentials(hub: Hub, store_id: int) -> StoreCredentials:
    with hub.db.transaction() as session:
        store = session.get(Store, store_id)
        if store is None or store.access_token_encrypted is None:
            raise NotFound(f"store {store_id} has no credentials")
        return StoreCredentials(store.platform, store.shop_domain, hub.cipher.decrypt(store.access_token_encrypted),
                                store.api_version or hub.settings.shopify_api_version, store.api_base_url)


def mark_disconnected(db: Database, store_id: int) -> None:
    with db.transaction() as session:
        store = session.get(Store, store_id)
        if store is not None:
            store.status = "disconnected"
