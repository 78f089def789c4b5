"""On the sandboxes, each order's stored lifecycle follows it through the whole flow: pulled, routed
(or stuck on a line nobody stocks), placed, shipped in parts, fulfilled at the store, cancelled and
refunded at the store; the list filter and the overview read the same word."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from connectors.shopify.sandbox import SandboxShopify
from connectors.suppliers.sandbox.server import SandboxSupplierServer
from hub.bootstrap import Hub
from hub.db.models import Offer, Order, Supplier
from hub.services import orders as order_service
from hub.services import outbox, overview
from hub.services.lifecycle import order_facts, refresh_all
from hub.services.pull import pull_orders
from hub.services.routing import route_pending
from hub.services.supplier_polling import poll_shipments
from tests.integration.test_fulfilment_flow import flow  # noqa: F401  (the sandboxes, wired)


def _lifecycles(hub: Hub) -> dict[str, str]:
    with hub.db.read() as session:
        return {ext: value for ext, value in session.execute(select(Order.external_id, Order.lifecycle)).all()}


def _updated_at(hub: Hub, external_id: str) -> object:
    with hub.db.read() as session:
        return session.execute(select(Order.updated_at).where(Order.external_id == external_id)).scalar_one()


def _ship(hub: Hub, server: SandboxSupplierServer) -> None:
    httpx.Client(transport=server.transport()).post("http://x/_ship", json={})
    poll_shipments(hub)


def _no_stock(hub: Hub, sku: str, code: str | None = None) -> None:
    with hub.db.transaction() as session:
        query = Offer.__table__.update().where(Offer.supplier_sku == sku)
        if code is not None:
            supplier = session.execute(select(Supplier.id).where(Supplier.code == code)).scalar_one()
            query = query.where(Offer.supplier_id == supplier)
        session.execute(query.values(stock=0))


def test_each_order_reads_its_lifecycle_at_every_step(flow) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    hub, shop, suppliers, store_id = flow
    shop: SandboxShopify
    split, stuck, refunded, cancelled, by_store, plain = shop.data.orders
    ids = {name: str(order.id) for name, order in [("split", split), ("stuck", stuck), ("refunded", refunded),
                                                   ("cancelled", cancelled), ("by_store", by_store),
                                                   ("plain", plain)]}

    def expect(**wanted: str) -> None:
        seen = _lifecycles(hub)
        assert {name: seen[ids[name]] for name in wanted} == wanted

    _no_stock(hub, split.lines[1].variant.sku, "east")  # split: its second line only at west
    _no_stock(hub, stuck.lines[1].variant.sku)  # stuck: its second line nowhere
    assert by_store.fulfillments  # the sandbox seeds one order the store fulfilled itself

    pull_orders(hub, store_id)
    expect(split="received", stuck="received", refunded="received", cancelled="received", by_store="fulfilled",
           plain="received")

    shop.cancel_order(cancelled)
    pull_orders(hub, store_id)
    expect(cancelled="cancelled")

    route_pending(hub)
    expect(split="routed", stuck="needs_attention", refunded="routed", cancelled="cancelled", by_store="fulfilled",
           plain="routed")

    outbox.dispatch(hub)  # placement
    expect(split="placed", stuck="needs_attention", refunded="placed", plain="placed")

    stamp = _updated_at(hub, ids["plain"])
    _ship(hub, suppliers["east"])
    expect(split="partially_shipped", stuck="needs_attention", refunded="shipped", plain="shipped")
    assert _updated_at(hub, ids["plain"]) == stamp  # a derived word is no news for the ledger job

    _ship(hub, suppliers["west"])
    expect(split="shipped")

    outbox.dispatch(hub)  # store fulfillments with the tracking numbers
    expect(split="fulfilled", stuck="needs_attention", refunded="fulfilled", plain="fulfilled",
           by_store="fulfilled", cancelled="cancelled")

    shop.refund_order(stuck, items=[(stuck.lines[1], stuck.lines[1].quantity)])  # the line nobody stocks
    shop.refund_order(refunded, items=[(line, line.quantity) for line in refunded.lines], shipping=True)
    pull_orders(hub, store_id)
    expect(stuck="partially_refunded", refunded="refunded", plain="fulfilled")

    # the stored words are what the pure function says of the facts now (nothing left behind)
    before = _lifecycles(hub)
    with hub.db.transaction() as session:
        assert refresh_all(session) == 0
    assert _lifecycles(hub) == before

    # filters and counts read the same column
    page = order_service.page_orders(hub.db, lifecycle="fulfilled")
    assert sorted(row["external_id"] for row in page.rows) == sorted([ids["split"], ids["plain"], ids["by_store"]])
    assert overview.overview(hub.db)["lifecycles"] == {"fulfilled": 3, "partially_refunded": 1, "refunded": 1,
                                                       "cancelled": 1}


def test_facts_of_an_unknown_order_are_empty(hub: Hub) -> None:
    with hub.db.read() as session:
        assert order_facts(session, [424242]) == {}
