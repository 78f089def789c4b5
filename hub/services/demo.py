"""`hub demo`: the whole flow on the configured database, against in-process sandboxes.

A sandbox shop sells N orders; two sandbox suppliers with overlapping catalogues at different
prices publish their feeds; the hub pulls the orders, maps listings to offers, routes every line,
places each supplier order exactly once, lets the suppliers ship, and fulfils the store orders
with their tracking. Run it again on the same database: the new orders are added, nothing that
was placed is placed again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import func, select

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from connectors.suppliers.sandbox.config import SupplierSandboxConfig
from connectors.suppliers.sandbox.server import SandboxSupplierServer
from hub.db.base import utcnow
from hub.db.models import LedgerEntry, Order, OrderLine, Shipment, Store, SupplierOrder
from hub.services import outbox, stores
from hub.services.ledger import record_changed_orders
from hub.services.listings import sync_listings
from hub.services.payments import pull_payments
from hub.services.profit import profit_rows
from hub.services.pull import pull_orders
from hub.services.routing import route_pending
from hub.services.supplier_polling import poll_shipments

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

DEMO_SHOP = "demo-store.myshopify.com"
SUPPLIERS = {  # code → (name, catalogue seed, price factor, priority)
    "demo-east": ("East Wholesale", 7, Decimal("1.00"), 1),
    "demo-west": ("West Dropship", 8, Decimal("0.92"), 2),
}


@dataclass
class DemoSummary:
    orders_created: int
    orders_in_database: int
    lines: int
    lines_routed: int
    lines_needing_attention: int
    supplier_orders_placed: int
    supplier_orders_not_placed: int
    supplier_orders_duplicated_at_suppliers: int
    parcels_shipped: int
    store_fulfillments: int
    currency: str
    revenue: str
    fees: str
    supplier_cost: str
    profit: str
    margin_percent: str | None
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_demo(hub: Hub, orders: int, *, ship: bool = True) -> DemoSummary:
    started = time.perf_counter()
    shop = SandboxShopify(SandboxConfig(shop_domain=DEMO_SHOP, shop_name="Demo Store", orders=0,
                                        bucket_size=1e9, restore_rate=1e9))
    servers = {code: SandboxSupplierServer(SupplierSandboxConfig(
        name=name, seed=seed, coverage=0.8, price_factor=factor, ship_after=-1, split_rate=0.15))
        for code, (name, seed, factor, _) in SUPPLIERS.items()}
    hub.connectors = ConnectorRegistry(shopify_transport=shop.transport(),
                                       supplier_transports={code: s.transport() for code, s in servers.items()})
    store_id = _store(hub, shop)
    _suppliers(hub, servers)
    sync_listings(hub, store_id)
    since = utcnow() - timedelta(seconds=1)
    new = shop.create_orders(orders, at=utcnow())
    pull_orders(hub, store_id, since=since)
    new_ids = [str(order.id) for order in new]
    _settle(hub)
    if ship:
        for server in servers.values():
            httpx.Client(transport=server.transport()).post("http://demo/_ship", json={})
        poll_shipments(hub)
        _settle(hub)
    duplicated = sum(len(s.stats()["duplicates"]) for s in servers.values())
    record_changed_orders(hub.db, store_id)
    shop.settle_payouts()  # the shop pays its sales out, so /payouts has something to check
    pull_payments(hub, store_id)
    _other_costs(hub, store_id)
    return _summary(hub, store_id, new_ids, duplicated, time.perf_counter() - started)


def _other_costs(hub: Hub, store_id: int) -> None:
    """A day of ad spend, the store's plan and an app: so the reports show net profit and ROAS."""
    from hub.domain.expenses import validate
    from hub.services.expenses import record

    today = utcnow().date()
    currency = hub.settings.reporting_currency
    record(hub.db, [
        validate("ad_spend", today, "45", currency, platform="facebook", name="Demo prospecting",
                 store=str(store_id)),
        validate("recurring", today.replace(day=1), "39", currency, name="Store plan", store=str(store_id)),
        validate("recurring", today.replace(day=1), "20", currency, name="Reviews app"),
    ])


def _store(hub: Hub, shop: SandboxShopify) -> int:
    """The demo store, created once; the shop's ids continue after the orders already stored."""
    with hub.db.transaction() as session:
        store_id = session.execute(select(Store.id).where(Store.platform == "shopify",
                                                          Store.shop_domain == DEMO_SHOP)).scalar_one_or_none()
        if store_id is not None:
            last = session.execute(select(func.max(Order.external_id), func.count()).where(
                Order.store_id == store_id)).one()
            numbers = session.execute(select(Order.name).where(Order.store_id == store_id)).scalars().all()
            last_number = max((int(n.lstrip("#")) for n in numbers if n.lstrip("#").isdigit()), default=1000)
            shop.data.continue_after(int(last[0] or 0) + 1000, last_number)
            return int(store_id)
    view = stores.add_shopify_store(hub, stores.NewShopifyStore(shop=DEMO_SHOP, token=shop.config.access_token))
    return int(view["id"])


def _suppliers(hub: Hub, servers: dict[str, SandboxSupplierServer]) -> None:
    """Both suppliers exist with their sandbox connection, and their catalogue arrives as a feed."""
    from hub.sandbox_mode import connect_sandbox_supplier

    for code, (name, _, _, priority) in SUPPLIERS.items():
        connect_sandbox_supplier(hub, code, name, priority, {"code": code, "base_url": f"http://{code}.sandbox"},
                                 servers[code])


def _settle(hub: Hub, rounds: int = 20) -> None:
    """Route and deliver until nothing is left to do."""
    for _ in range(rounds):
        routed = route_pending(hub, limit=10_000)
        delivered = outbox.dispatch(hub, limit=10_000)
        if not routed and not delivered:
            return


def _summary(hub: Hub, store_id: int, new_ids: list[str], duplicated: int, seconds: float) -> DemoSummary:
    with hub.db.transaction() as session:
        ours = select(Order.id).where(Order.store_id == store_id, Order.external_id.in_(new_ids))
        line_states = dict(session.execute(select(OrderLine.routing_status, func.count())
                                           .where(OrderLine.order_id.in_(ours)).group_by(OrderLine.routing_status))
                           .all())
        placed = session.execute(select(func.count()).select_from(SupplierOrder).where(
            SupplierOrder.order_id.in_(ours), SupplierOrder.state.in_(["accepted", "shipped", "delivered"]))
        ).scalar_one()
        shipped = session.execute(select(func.count()).select_from(Shipment).join(
            SupplierOrder, SupplierOrder.id == Shipment.supplier_order_id).where(SupplierOrder.order_id.in_(ours))
        ).scalar_one()
        fulfilled = session.execute(select(func.count()).select_from(Shipment).join(
            SupplierOrder, SupplierOrder.id == Shipment.supplier_order_id).where(
            SupplierOrder.order_id.in_(ours), Shipment.remote_fulfillment_id.is_not(None))).scalar_one()
        not_placed = session.execute(select(func.count()).select_from(SupplierOrder).where(
            SupplierOrder.order_id.in_(ours), SupplierOrder.state.not_in(["accepted", "shipped", "delivered"]))
        ).scalar_one()
        total = session.execute(select(func.count()).select_from(Order).where(Order.store_id == store_id)
                                ).scalar_one()
        money = _money(session, list(session.execute(ours).scalars()), hub.settings.reporting_currency)
    return DemoSummary(
        orders_created=len(new_ids), orders_in_database=int(total), lines=sum(line_states.values()),
        lines_routed=int(line_states.get("routed", 0)), lines_needing_attention=int(line_states.get("attention", 0)),
        supplier_orders_placed=int(placed), supplier_orders_not_placed=int(not_placed),
        supplier_orders_duplicated_at_suppliers=duplicated,
        parcels_shipped=int(shipped), store_fulfillments=int(fulfilled), **money, seconds=round(seconds, 2))


def _money(session: Any, order_ids: list[int], currency: str) -> dict[str, Any]:
    """The run's orders, summed from their ledger in one aggregate: what the merchant earned on them."""
    totals = dict.fromkeys(("revenue", "fees", "supplier_cost", "shipping_cost", "profit"), Decimal(0))
    days = session.execute(select(func.min(LedgerEntry.booked_on), func.max(LedgerEntry.booked_on))
                           .where(LedgerEntry.order_id.in_(order_ids))).one() if order_ids else (None, None)
    first, last = days
    if first is not None and last is not None:
        wanted = {str(order_id) for order_id in order_ids}
        for row in profit_rows(session, first, last, "order", currency):
            if row.ref in wanted:
                view = row.view(currency)
                for name in totals:
                    totals[name] += Decimal(view[name])
    cost = totals["supplier_cost"] + totals["shipping_cost"]
    margin = (totals["profit"] / totals["revenue"] * 100).quantize(Decimal("0.01")) if totals["revenue"] else None
    return {"currency": currency, "revenue": str(totals["revenue"]), "fees": str(totals["fees"]),
            "supplier_cost": str(cost), "profit": str(totals["profit"]),
            "margin_percent": None if margin is None else str(margin)}
