"""The end state of `hub run --sandbox` with many sandbox stores, checked against what the shops and
the suppliers themselves hold: every shop order once in the hub, each routed line placed once at
one supplier (no duplicate there), every parcel fulfilled once at its own shop."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from connectors.shopify.client import ShopifyClient
from connectors.shopify.sandbox import SandboxConfig
from hub.db.engine import Database
from hub.db.models import (
    JobLease,
    Order,
    OrderLine,
    OutboxMessage,
    Shipment,
    Store,
    Supplier,
    SupplierOrder,
    SupplierOrderLine,
)
from hub.sandbox_mode import shop_config, shop_mount
from hub.tasks.scheduler import LEASE_JOB, LEASE_SCOPE
from tests.e2e.sandbox_run import SHOP_ORDERS


@dataclass(frozen=True)
class Lease:
    pid: int | None
    acquired_at: Any
    expires_at: Any


def scheduler_lease(db: Database) -> Lease | None:
    with db.read() as session:
        row = session.execute(select(JobLease.holder, JobLease.holder_pid, JobLease.acquired_at, JobLease.expires_at)
                              .where(JobLease.job == LEASE_JOB, JobLease.scope == LEASE_SCOPE)).one_or_none()
    if row is None or row.holder is None:
        return None
    return Lease(row.holder_pid, row.acquired_at, row.expires_at)


def steps_done(db: Database) -> int:
    """Supplier orders placed plus parcels fulfilled at the shops: only grows while the flow goes on."""
    with db.read() as session:
        placed = session.execute(select(func.count()).select_from(SupplierOrder)
                                 .where(SupplierOrder.placed_at.is_not(None))).scalar_one()
        fulfilled = session.execute(select(func.count()).select_from(Shipment)
                                    .where(Shipment.remote_fulfillment_id.is_not(None))).scalar_one()
    return int(placed) + int(fulfilled)


def shop_tracking(base_url: str, stores: int) -> dict[str, dict[str, list[str]]]:
    """Per shop domain: order id → the tracking numbers of its fulfillments, as the shop holds them."""
    held: dict[str, dict[str, list[str]]] = {}
    for number in range(1, stores + 1):
        config = shop_config(SandboxConfig(), number)
        orders: dict[str, list[str]] = {}
        after = None
        with ShopifyClient(config.shop_domain, config.access_token, base_url=base_url + shop_mount(number)) as client:
            while True:
                page = client.execute(SHOP_ORDERS, {"after": after})["orders"]
                for node in page["nodes"]:
                    orders[node["id"].rpartition("/")[2]] = [
                        t["number"] for f in node["fulfillments"] for t in f["trackingInfo"]]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
        held[config.shop_domain] = orders
    return held


def supplier_books(base_url: str, codes: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """(supplier code, reference) → the supplier's own record; no reference ordered twice there."""
    books: dict[tuple[str, str], dict[str, Any]] = {}
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for code in codes:
            stats = client.get(f"/sandbox/suppliers/{code}/_stats").json()
            assert stats["duplicates"] == [], (code, stats["duplicates"])
            assert set(stats["orders_per_reference"].values()) <= {1}, code
            for reference in stats["orders_per_reference"]:
                books[(code, reference)] = client.get(f"/sandbox/suppliers/{code}/orders/{reference}").json()
    return books


def check_end_state(db: Database, base_url: str, stores: int, orders_per_store: int) -> Counter[str]:
    """Assert the whole end state; returns a few counts of it (orders, supplier orders, parcels…)."""
    with db.read() as session:
        hub_orders = session.execute(select(Order.id, Store.shop_domain, Order.external_id)
                                     .join(Store, Store.id == Order.store_id)).all()
        lines = session.execute(select(OrderLine.id, OrderLine.order_id, OrderLine.sku, OrderLine.quantity,
                                       OrderLine.routing_status)).all()
        supplier_orders = session.execute(
            select(SupplierOrder.id, SupplierOrder.order_id, Supplier.code, SupplierOrder.reference,
                   SupplierOrder.state).join(Supplier, Supplier.id == SupplierOrder.supplier_id)).all()
        so_lines = session.execute(select(SupplierOrderLine.supplier_order_id, SupplierOrderLine.order_line_id,
                                          SupplierOrderLine.supplier_sku, SupplierOrderLine.quantity)).all()
        shipments = session.execute(select(Shipment.supplier_order_id, Shipment.tracking_number,
                                           Shipment.remote_fulfillment_id)).all()
        outbox = dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
        codes = list(session.execute(select(Supplier.code).where(Supplier.kind == "sandbox")).scalars())
    shops = shop_tracking(base_url, stores)
    books = supplier_books(base_url, codes)

    # Every shop order once in the hub, under its own store.
    assert Counter(domain for _, domain, _ in hub_orders) == {domain: orders_per_store for domain in shops}
    assert {(domain, ext) for _, domain, ext in hub_orders} == {
        (domain, ext) for domain, orders in shops.items() for ext in orders}, "the shops and the hub disagree"
    assert outbox.keys() <= {"done"}, f"outbox not all delivered: {outbox}"

    # Each routed line placed once: one supplier order per (order, supplier), its lines the line's quantity.
    assert not [k for k, c in Counter((o, code) for _, o, code, _, _ in supplier_orders).items() if c > 1], \
        "two supplier orders of one order at one supplier"
    assert {line.routing_status for line in lines} <= {"routed", "attention"}, Counter(ln.routing_status
                                                                                        for ln in lines)
    placed_qty: Counter[int] = Counter()
    for _, line_id, _, quantity in so_lines:
        placed_qty[line_id] += quantity
    for line in lines:
        expected = line.quantity if line.routing_status == "routed" else 0
        assert placed_qty[line.id] == expected, (line, placed_qty[line.id])

    # The suppliers hold exactly the hub's supplier orders, with the same lines, each shipped.
    by_so: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for so_id, _, sku, quantity in so_lines:
        by_so[so_id].append((sku, quantity))
    assert set(books) == {(code, ref) for _, _, code, ref, _ in supplier_orders}, "suppliers and hub disagree"
    parcels_of_order: dict[int, list[str]] = defaultdict(list)
    for so_id, order_id, code, ref, state in supplier_orders:
        record = books[(code, ref)]
        assert record["state"] == "shipped" and state in ("shipped", "delivered"), (ref, record["state"], state)
        assert sorted((ln["sku"], ln["quantity"]) for ln in record["lines"]) == sorted(by_so[so_id]), ref
        parcels_of_order[order_id] += [p["tracking_number"] for p in record["shipments"]]

    # Every parcel once in the hub, fulfilled once at its own shop; no other fulfillment there.
    assert all(remote is not None for _, _, remote in shipments), "a parcel not fulfilled at its shop"
    assert len(shipments) == len({(so, number) for so, number, _ in shipments})
    for order_id, domain, external_id in hub_orders:
        tracked = shops[domain][external_id]
        assert sorted(tracked) == sorted(parcels_of_order[order_id]), (domain, external_id, tracked)
    return Counter(orders=len(hub_orders), lines=len(lines), supplier_orders=len(supplier_orders),
                   parcels=len(shipments), unroutable_lines=sum(ln.routing_status == "attention" for ln in lines))
