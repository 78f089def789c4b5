"""On the sandboxes, end to end: order → route → place → the supplier ships → the store order is
fulfilled with the tracking number; running everything again creates no second fulfillment; an
order split over two suppliers ends with two fulfillments, each with its own tracking."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from connectors.suppliers.sandbox.config import SupplierSandboxConfig
from connectors.suppliers.sandbox.server import SandboxSupplierServer
from hub.bootstrap import Hub
from hub.db.models import Offer, Order, Shipment, Supplier, SupplierOrder
from hub.services import outbox, stores
from hub.services.listings import sync_listings
from hub.services.pull import pull_orders
from hub.services.routing import route_pending
from hub.services.supplier_polling import poll_shipments


@pytest.fixture
def flow(hub: Hub) -> tuple[Hub, SandboxShopify, dict[str, SandboxSupplierServer], int]:
    shop = SandboxShopify(SandboxConfig(orders=6, lines_per_order=2, bucket_size=1e6, restore_rate=1e6))
    suppliers = {"east": SandboxSupplierServer(SupplierSandboxConfig(seed=1, ship_after=-1, split_rate=0)),
                 "west": SandboxSupplierServer(SupplierSandboxConfig(seed=2, ship_after=-1, split_rate=0))}
    hub.connectors = ConnectorRegistry(shopify_transport=shop.transport(),
                                       supplier_transports={code: s.transport() for code, s in suppliers.items()})
    hub.settings.orders_initial_lookback_days = 3650
    store_id = stores.add_shopify_store(hub, stores.NewShopifyStore(
        shop=shop.config.shop_domain, token=shop.config.access_token))["id"]
    with hub.db.transaction() as session:
        for priority, code in enumerate(suppliers):
            supplier = Supplier(code=code, name=code, kind="sandbox", currency="USD", priority=priority,
                                config={"code": code, "base_url": f"http://{code}.sandbox"})
            session.add(supplier)
            session.flush()
            for variant in shop.data.variants:
                session.add(Offer(supplier_id=supplier.id, supplier_sku=variant.sku, cost=Decimal("2.00"),
                                  shipping_cost=Decimal("1.00"), currency="USD", stock=1000, countries=[]))
    sync_listings(hub, store_id)
    return hub, shop, suppliers, store_id


def _run_everything(hub: Hub, suppliers: dict[str, SandboxSupplierServer]) -> None:
    route_pending(hub)
    outbox.dispatch(hub)
    for server in suppliers.values():
        httpx.Client(transport=server.transport()).post("http://x/_ship", json={})
    poll_shipments(hub)
    outbox.dispatch(hub)


def test_orders_end_fulfilled_with_their_tracking_exactly_once(flow) -> None:  # type: ignore[no-untyped-def]
    hub, shop, suppliers, store_id = flow
    # Split one order over both suppliers: its second SKU only at west.
    split_order = shop.data.orders[0]
    second_sku = split_order.lines[1].variant.sku
    with hub.db.transaction() as session:
        east = session.execute(select(Supplier.id).where(Supplier.code == "east")).scalar_one()
        session.execute(Offer.__table__.update().where(Offer.supplier_id == east,
                                                       Offer.supplier_sku == second_sku).values(stock=0))
    pull_orders(hub, store_id)
    _run_everything(hub, suppliers)
    _run_everything(hub, suppliers)  # again: nothing new may happen

    ours = [o for o in shop.data.orders if not o.fulfillments or _shipments_of(hub, str(o.id))]
    assert split_order in ours and len(ours) >= 3
    for order in ours:
        expected = {s.tracking_number for s in _shipments_of(hub, str(order.id))}
        assert expected, f"order {order.id} never shipped"
        numbers = [f.number for f in order.fulfillments]
        assert sorted(numbers) == sorted(expected), order.id  # one fulfillment per parcel, no duplicate
        assert all(fo.status == "CLOSED" for fo in order.fulfillment_orders)
    assert len(split_order.fulfillments) == 2
    with hub.db.transaction() as session:
        states = set(session.execute(select(SupplierOrder.state)).scalars())
    assert states == {"shipped"}
    created = sum(server.stats()["orders_created"] for server in suppliers.values())
    assert created == len(ours) + 1  # one supplier order per (order, supplier)


def _shipments_of(hub: Hub, external_id: str) -> list[Shipment]:
    with hub.db.transaction() as session:
        return list(session.execute(
            select(Shipment).join(SupplierOrder, SupplierOrder.id == Shipment.supplier_order_id)
            .join(Order, Order.id == SupplierOrder.order_id).where(Order.external_id == external_id)).scalars())



def test_an_order_the_supplier_cancels_on_its_side_is_credited_and_routed_again(flow) -> None:  # type: ignore[no-untyped-def]
    from hub.db.models import AttentionItem, LedgerEntry, OrderLine

    hub, _shop, suppliers, store_id = flow
    pull_orders(hub, store_id)
    route_pending(hub)
    outbox.dispatch(hub)
    with hub.db.transaction() as session:
        first = session.execute(select(SupplierOrder).where(SupplierOrder.state == "accepted")
                                .order_by(SupplierOrder.id).limit(1)).scalar_one()
        reference, order_id, supplier_order_id = first.reference, first.order_id, first.id
        code = session.execute(select(Supplier.code).where(Supplier.id == first.supplier_id)).scalar_one()
    suppliers[code].books.cancel(reference)  # out of stock at the supplier: it cancels by itself
    assert poll_shipments(hub)["cancelled"] == 1
    assert poll_shipments(hub)["cancelled"] == 0  # known now: nothing more happens
    with hub.db.transaction() as session:
        state = session.get(SupplierOrder, supplier_order_id).state  # type: ignore[union-attr]
        money = session.execute(select(LedgerEntry.amount).where(
            LedgerEntry.supplier_order_id == supplier_order_id)).scalars().all()
        lines = set(session.execute(select(OrderLine.routing_status).where(OrderLine.order_id == order_id)).scalars())
        status = session.get(Order, order_id).status  # type: ignore[union-attr]
        items = session.execute(select(AttentionItem.kind).where(AttentionItem.order_id == order_id)).scalars().all()
    assert state == "cancelled" and money and sum(money) == 0  # charged, then credited
    assert "pending" in lines and status == "new" and "supplier_cancelled" in items
    route_pending(hub)  # its lines go to a supplier again, under a new reference
    outbox.dispatch(hub)
    with hub.db.transaction() as session:
        again = session.execute(select(SupplierOrder.state).where(
            SupplierOrder.order_id == order_id, SupplierOrder.id != supplier_order_id)).scalars().all()
    assert "accepted" in again
