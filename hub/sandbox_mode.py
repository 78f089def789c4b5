"""`hub run --sandbox`: mount an emulated Shopify shop and two emulated suppliers, connect them.

The sandboxes are reached over real HTTP under /sandbox/ of this very server, so the hub talks to
them exactly as it talks to Shopify and to suppliers: the shop sells a few orders a minute and
sends signed webhooks, the suppliers publish their catalogues as feeds, take orders and ship them
after a while, and the hub routes, places, tracks and fulfils on its own schedule.

HUB_SANDBOX_STORES > 1 adds shops 2…N (for load tests: many stores on many workers), each its own
store with its own domain, token, webhook secret, orders and state file, mounted at
/sandbox/shopify-N; shop 1 stays exactly what `make run` shows.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from connectors.registry import ConnectorRegistry
from connectors.sandbox_faults import ASGIApp, FaultInjector, FaultPlan
from connectors.shopify.client import ShopifyClient
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify, create_app
from connectors.shopify.sandbox.data import EPOCH
from connectors.shopify.sandbox.durable import DurableSandboxShopify
from connectors.suppliers.sandbox.asgi import create_app as create_supplier_app
from connectors.suppliers.sandbox.config import SupplierSandboxConfig
from connectors.suppliers.sandbox.durable import DurableSandboxSupplier
from connectors.suppliers.sandbox.server import CONTROL_PATHS as SUPPLIER_CONTROL_PATHS
from connectors.suppliers.sandbox.server import SandboxSupplierServer
from hub.db.models import Order, Store, Supplier, SyncCursor
from hub.services import stores, suppliers
from hub.services.feeds import import_feed
from hub.services.listings import sync_listings
from hub.services.pull import ORDERS_CURSOR
from jobs.registry import JobSpec, registry

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

MOUNT = "/sandbox/shopify"
SUPPLIER_MOUNT = "/sandbox/suppliers"
SUPPLIERS = {  # code → (name, catalogue seed, price factor, priority)
    "sandbox-east": ("Sandbox East Wholesale", 7, Decimal("1.00"), 1),
    "sandbox-west": ("Sandbox West Dropship", 8, Decimal("0.92"), 2),
}


def shop_config(base: SandboxConfig, number: int) -> SandboxConfig:
    """Shop `number` (1 is the `make run` shop): its own domain, token, secret and seed."""
    if number == 1:
        return base
    return replace(base, shop_domain=f"sandbox-store-{number}.myshopify.com", shop_name=f"Sandbox Store {number}",
                   access_token=f"{base.access_token}_{number}", webhook_secret=f"{base.webhook_secret}-{number}",
                   seed=base.seed + number - 1)


def shop_mount(number: int) -> str:
    return MOUNT if number == 1 else f"{MOUNT}-{number}"


class SandboxRuntime:
    """The sandboxes of `hub run --sandbox`, their state kept under `HUB_VAR_DIR/sandbox/` so a
    restart goes on where the last run stopped (see connectors/*/sandbox/durable.py)."""

    def __init__(self, hub: Hub, public_base: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.hub = hub
        self.base = public_base.rstrip("/")
        settings = hub.settings
        state_dir = settings.var_dir / "sandbox"
        config = SandboxConfig(orders_per_minute=settings.sandbox_orders_per_minute,
                               orders=settings.sandbox_history_orders, history_end=now(),
                               max_orders=settings.sandbox_max_orders,
                               restore_rate=settings.sandbox_shop_restore_rate,
                               bucket_size=20 * settings.sandbox_shop_restore_rate)
        self.shops: dict[str, DurableSandboxShopify] = {}  # mount → shop
        self.store_ids: list[int] = []
        for number in range(1, settings.sandbox_stores + 1):
            shop_conf = shop_config(config, number)
            known, last_number = self._orders_known(shop_conf.shop_domain)
            name = "shop.json" if number == 1 else f"shop-{number}.json"
            shop = DurableSandboxShopify(shop_conf, state_dir / name, known_to_hub=known,
                                         number_floor=last_number, now=now)
            self.shops[shop_mount(number)] = shop
            self.store_ids.append(self._connect(shop, shop_mount(number)))
            shop.move_webhooks(f"{self.base}/webhooks/shopify")  # the port may differ from last time
            self._subscribe(shop)
        self.shop, self.store_id = self.shops[MOUNT], self.store_ids[0]
        self._http = httpx.Client(timeout=10)
        self.suppliers: dict[str, SandboxSupplierServer] = {code: DurableSandboxSupplier(SupplierSandboxConfig(
            name=name, seed=seed, coverage=0.8, price_factor=factor, ship_after=settings.sandbox_ship_after_seconds,
            split_rate=0.15), state_dir / "suppliers" / f"{code}.json", now=now)
            for code, (name, seed, factor, _) in SUPPLIERS.items()}
        self._connect_suppliers()

    def _orders_known(self, shop_domain: str) -> tuple[bool, int]:
        """Whether the hub holds orders of the sandbox shop, and the highest order number among them."""
        with self.hub.db.transaction() as session:
            names = session.execute(select(Order.name).join(Store, Store.id == Order.store_id).where(
                Store.platform == "shopify", Store.shop_domain == shop_domain)).scalars().all()
        numbers = [int(n.lstrip("#")) for n in names if n and n.lstrip("#").isdigit()]
        return bool(names), max(numbers, default=0)

    def mount(self, app: FastAPI) -> None:
        """Each sandbox under its path, behind the fault layer when HUB_SANDBOX_FAULTS asks for one."""
        plan = FaultPlan.parse(self.hub.settings.sandbox_faults, seed=self.hub.settings.sandbox_faults_seed)
        extra_shops = [mount for mount in self.shops if mount != MOUNT]
        self.faults = {name: FaultInjector(replace(plan, seed=plan.seed + n), exempt=SUPPLIER_CONTROL_PATHS)
                       for n, name in enumerate(["shop", *self.suppliers, *extra_shops])}
        for mount, shop in self.shops.items():
            shop_app: ASGIApp = create_app(shop)
            fault_key = "shop" if mount == MOUNT else mount
            app.mount(mount, self.faults[fault_key].asgi(shop_app) if plan.rates else shop_app)
        for code, server in self.suppliers.items():
            supplier_app: ASGIApp = create_supplier_app(server)
            app.mount(f"{SUPPLIER_MOUNT}/{code}", self.faults[code].asgi(supplier_app) if plan.rates else supplier_app)
        if plan.rates:
            logger.warning("sandbox faults on", extra={"rates": dict(plan.rates), "seed": plan.seed})

    def _connect_suppliers(self) -> None:
        """Both suppliers exist, point at their mount, and their catalogues arrive as full feeds."""
        with shop_in_process(self.hub, self.transport()):  # a changed feed pushes stock to the shops at once
            for code, (name, _, _, priority) in SUPPLIERS.items():
                connect_sandbox_supplier(self.hub, code, name, priority,
                                         {"base_url": f"{self.base}{SUPPLIER_MOUNT}/{code}"}, self.suppliers[code])
            for store_id in self.store_ids:
                sync_listings(self.hub, store_id)

    def transport(self) -> httpx.MockTransport:
        """Every shop in-process, each reached under its mount as the stores' base URLs say."""
        transports = {mount: shop.transport() for mount, shop in self.shops.items()}

        def handler(request: httpx.Request) -> httpx.Response:
            mount = next((m for m in transports if request.url.path.startswith(f"{m}/")), MOUNT)
            return transports[mount].handle_request(request)

        return httpx.MockTransport(handler)

    def _connect(self, shop: SandboxShopify, mount: str) -> int:
        """A sandbox store, created once; its address follows the port the hub runs on."""
        config = shop.config
        with self.hub.db.transaction() as session:
            store = session.execute(select(Store).where(Store.platform == "shopify",
                                                        Store.shop_domain == config.shop_domain)).scalar_one_or_none()
            if store is not None:
                store.api_base_url, store.status = self.base + mount, "active"
                return store.id
        view = stores.add_shopify_store(self.hub, stores.NewShopifyStore(
            shop=config.shop_domain, token=config.access_token, webhook_secret=config.webhook_secret,
            verify=False, currency=config.currency, base_url=self.base + mount, name=config.shop_name))
        first = min((o.updated_at for o in shop.data.orders), default=EPOCH)
        with self.hub.db.transaction() as session:  # the first pull brings the seeded history
            session.add(SyncCursor(store_id=view["id"], name=ORDERS_CURSOR,
                                   value=(first - timedelta(days=1)).isoformat()))
        logger.info("sandbox store connected", extra={"store_id": view["id"]})
        return int(view["id"])

    def _subscribe(self, shop: SandboxShopify) -> None:
        config = shop.config
        with ShopifyClient(config.shop_domain, config.access_token, transport=shop.transport()) as client:
            client.register_webhooks(f"{self.base}/webhooks/shopify", stores.WEBHOOK_TOPICS)

    def tick(self, _hub: Hub, _store: int | None) -> dict[str, int]:
        """Sell: create the orders due by now and send their webhooks to the hub, shop by shop."""
        created = sent = 0
        for shop in self.shops.values():
            created += shop.tick()
            sent += len(shop.deliver_webhooks(self._http))
        return {"orders_created": created, "webhooks_sent": sent}

    def register_job(self, interval_seconds: float = 5) -> None:
        if "sandbox.tick" not in registry.names():
            registry.register(JobSpec("sandbox.tick", self.tick, interval_seconds, per_store=False))


@contextmanager
def shop_in_process(hub: Hub, transport: httpx.BaseTransport) -> Iterator[None]:
    """Reach the shops in-process while starting: the server is not listening yet (the listings
    sync, and the stock push after a supplier feed that changed since the last run)."""
    real = hub.connectors
    hub.connectors = ConnectorRegistry(shopify_transport=transport)
    try:
        yield
    finally:
        hub.connectors = real


def connect_sandbox_supplier(hub: Hub, code: str, name: str, priority: int, config: dict[str, str],
                             server: SandboxSupplierServer) -> None:
    """A sandbox supplier in the hub (created once, its connection refreshed), its catalogue as a full feed."""
    with hub.db.transaction() as session:
        known = session.execute(select(Supplier.id).where(Supplier.code == code)).scalar_one_or_none()
    currency = server.config.currency
    if known is None:
        suppliers.add_supplier(hub.db, code, name, currency, kind="sandbox")
    with hub.db.transaction() as session:
        session.execute(update(Supplier).where(Supplier.code == code).values(config=config, priority=priority))
    feed = io.StringIO()
    writer = csv.writer(feed)
    writer.writerow(["sku", "cost", "shipping", "quantity", "currency"])
    for item in server.books.catalogue.values():
        writer.writerow([item.sku, item.cost, item.shipping, item.stock, currency])
    import_feed(hub, code, io.BytesIO(feed.getvalue().encode()), mode="full", fmt="csv", source="cli", force=True)
