"""`hub run --sandbox`: mount the emulated Shopify shop, connect it as a store, let it sell.

The sandbox is reached over real HTTP at /sandbox/shopify of this very server, so the hub talks
to it exactly as it talks to Shopify; its webhooks come back to /webhooks/shopify signed.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from connectors.shopify.client import ShopifyClient
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify, create_app
from connectors.shopify.sandbox.data import EPOCH
from hub.db.models import Store, SyncCursor
from hub.services import stores
from hub.services.pull import ORDERS_CURSOR
from jobs.registry import JobSpec, registry

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

MOUNT = "/sandbox/shopify"


class SandboxRuntime:
    def __init__(self, hub: Hub, public_base: str, orders_per_minute: float = 6.0) -> None:
        self.hub = hub
        self.base = public_base.rstrip("/")
        self.shop = SandboxShopify(SandboxConfig(orders_per_minute=orders_per_minute))
        self.store_id = self._connect()
        self._subscribe()
        self._http = httpx.Client(timeout=10)

    def mount(self, app: FastAPI) -> None:
        app.mount(MOUNT, create_app(self.shop))

    def _connect(self) -> int:
        """The sandbox store, created once; its address follows the port the hub runs on."""
        config = self.shop.config
        with self.hub.db.transaction() as session:
            store = session.execute(select(Store).where(Store.platform == "shopify",
                                                        Store.shop_domain == config.shop_domain)).scalar_one_or_none()
            if store is not None:
                store.api_base_url, store.status = self.base + MOUNT, "active"
                return store.id
        view = stores.add_shopify_store(self.hub, stores.NewShopifyStore(
            shop=config.shop_domain, token=config.access_token, webhook_secret=config.webhook_secret,
            verify=False, currency=config.currency, base_url=self.base + MOUNT, name=config.shop_name))
        with self.hub.db.transaction() as session:  # the first pull brings the seeded history
            session.add(SyncCursor(store_id=view["id"], name=ORDERS_CURSOR,
                                   value=(EPOCH - timedelta(days=1)).isoformat()))
        logger.info("sandbox store connected", extra={"store_id": view["id"]})
        return int(view["id"])

    def _subscribe(self) -> None:
        config = self.shop.config
        with ShopifyClient(config.shop_domain, config.access_token, transport=self.shop.transport()) as client:
            client.register_webhooks(f"{self.base}/webhooks/shopify", stores.WEBHOOK_TOPICS)

    def tick(self, _hub: Hub, _store: int | None) -> dict[str, int]:
        """Sell: create the orders due by now and send their webhooks to the hub."""
        created = self.shop.tick()
        delivered = self.shop.deliver_webhooks(self._http)
        return {"orders_created": created, "webhooks_sent": len(delivered)}

    def register_job(self, interval_seconds: float = 5) -> None:
        if "sandbox.tick" not in registry.names():
            registry.register(JobSpec("sandbox.tick", self.tick, interval_seconds, per_store=False))
