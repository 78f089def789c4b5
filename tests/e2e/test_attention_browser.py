"""/attention in a real browser (Debian's chromium through Playwright), on `hub demo` data with its
sandbox suppliers: a person maps an unmapped SKU from the item itself and sees the line routed and
placed at the supplier; dismisses another item with a reason and reads it on the order's timeline;
the page passes the dashboard's checks at 390 px."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import AttentionItem, Offer, Order, OrderLine, Supplier, SupplierOrder, SupplierOrderLine
from hub.services import attention, wakeups
from hub.services.demo import run_demo
from hub.tasks.local import install
from tests.e2e.celery_support import wait_for
from tests.e2e.page_checks import PHONE, check_page, signed_in
from tests.live import live_server


def _unmapped(hub: Hub) -> tuple[AttentionItem, OrderLine, str, Offer]:
    """A no-mapping item, its line, and an offer with stock for it (what the person picks)."""
    with hub.db.read() as session:
        items = session.execute(select(AttentionItem).where(AttentionItem.kind == "no_mapping",
                                                            AttentionItem.resolved_at.is_(None))
                                .order_by(AttentionItem.id)).scalars().all()
        assert items, "the demo left no unmapped line"
        item = items[0]
        line = session.get(OrderLine, int(item.details["order_line_id"]))
        assert line is not None
        offer, code = session.execute(select(Offer, Supplier.code).join(Supplier, Supplier.id == Offer.supplier_id)
                                      .where(Offer.stock - Offer.reserved >= line.quantity, Offer.cost < 5)
                                      .order_by(Offer.id).limit(1)).one()
        return item, line, code, offer


def _every_kind(hub: Hub, skip_order: int) -> None:
    """One item of each other kind on demo rows (for the page checks: every form drawn on a phone)."""
    with hub.db.transaction() as session:
        line, store_id = session.execute(select(OrderLine, Order.store_id).join(Order, Order.id == OrderLine.order_id)
                                         .where(OrderLine.routing_status == "routed", Order.id != skip_order)
                                         .order_by(OrderLine.id).limit(1)).one()
        so = session.execute(select(SupplierOrder).where(SupplierOrder.order_id == line.order_id)).scalars().first()
        assert so is not None
        common = {"store_id": store_id, "order_id": line.order_id}
        attention.record(session, [
            attention.Cause("check:stock", "out_of_stock", f"line {line.sku}: out of stock at every mapped supplier",
                            details={"order_line_id": line.id, "sku": line.sku}, **common),
            attention.Cause("check:refused", "supplier_rejected", f"supplier refused {so.reference}: no stock",
                            supplier_order_id=so.id, **common),
            attention.Cause("check:late", "late_shipment", f"{so.reference} not shipped", supplier_order_id=so.id,
                            **common),
            attention.Cause("check:snoozed", "stalled_shipment", "parcel not moving", supplier_order_id=so.id,
                            details={"snoozed_until": (utcnow() + timedelta(days=1)).isoformat(),
                                     "contact_note": "they will call the carrier"}, **common),
            attention.Cause("check:price", "price_approval", "price 10.00 → 19.00 is over the tolerance",
                            store_id=store_id, details={"listing_id": 1, "price": "19.00"})])


def _placed(hub: Hub, line_id: int) -> bool:
    with hub.db.read() as session:
        return session.execute(select(SupplierOrder.state).join(
            SupplierOrderLine, SupplierOrderLine.supplier_order_id == SupplierOrder.id).where(
            SupplierOrderLine.order_line_id == line_id)).scalar_one_or_none() == "accepted"


@pytest.mark.slow
def test_map_an_unmapped_sku_see_it_placed_and_dismiss_another(sqlite_hub: Hub, browser: Any) -> None:
    hub = sqlite_hub
    run_demo(hub, 20)
    item, line, code, offer = _unmapped(hub)
    pump = install(hub)  # as `hub run` does: what an action commits is routed and placed in the background
    try:
        with live_server(create_app(hub)) as url:
            phone, desktop = signed_in(browser, url, PHONE), signed_in(browser, url)
            _every_kind(hub, line.order_id)
            check_page(phone, url, "/attention", desktop=desktop)
            check_page(phone, url, f"/attention?item={item.id}&q={offer.supplier_sku}", name="attention-search")

            page = desktop.page
            page.goto(f"{url}/attention")
            card = page.locator(f"#item-{item.id}")
            card.locator(f"#q-{item.id}").fill(offer.supplier_sku)
            card.get_by_role("button", name="Search").click()
            page.wait_for_url(f"**/attention?item={item.id}*")
            card = page.locator(f"#item-{item.id}")
            found = card.locator(f"ul.offers form:has(input[value='{offer.id}'])")
            assert code in found.inner_text() and offer.supplier_sku in found.inner_text()
            found.get_by_role("button", name="Map to this").click()
            page.wait_for_selector("#done")
            done = page.locator("#done").inner_text()
            assert f"Routed to {code} as H{line.order_id}-" in done and "The item is closed." in done
            assert page.locator(f"#item-{item.id}").count() == 0  # closed: its cause is gone

            wait_for(lambda: _placed(hub, line.id), 20, "the supplier order placed", lambda: "")
            page.goto(f"{url}/orders/{line.order_id}")
            timeline = page.locator("table").last.inner_text()
            assert f"{line.sku} mapped to {code}:{offer.supplier_sku} (the admin)" in timeline
            assert f"Placed with {code}" in timeline and "line is routed now" in timeline

            with hub.db.read() as session:
                other = session.execute(select(AttentionItem).where(
                    AttentionItem.resolved_at.is_(None), AttentionItem.order_id.is_not(None),
                    AttentionItem.order_id != line.order_id).order_by(AttentionItem.id)).scalars().first()
                assert other is not None and other.order_id is not None
                order_name = session.execute(select(Order.name).where(Order.id == other.order_id)).scalar_one()
            check_page(phone, url, f"/orders/{other.order_id}", name="order-with-attention")
            page.goto(f"{url}/orders/{other.order_id}")
            page.locator(f"a[href='/attention#item-{other.id}']").click()  # from the order to its item
            page.wait_for_url(f"**/attention#item-{other.id}")
            card = page.locator(f"#item-{other.id}")
            card.locator("summary", has_text="Dismiss").click()
            card.locator(f"#r-{other.id}-dismiss").fill("Sold out for good; the customer was refunded")
            card.get_by_role("button", name="Dismiss").click()
            page.wait_for_selector("#done")
            assert "Dismissed." in page.locator("#done").inner_text()
            page.goto(f"{url}/orders/{other.order_id}")
            timeline = page.locator("table").last.inner_text()
            assert "dismissed by the admin: Sold out for good; the customer was refunded" in timeline, order_name
            assert phone.errors == [] and desktop.errors == []
    finally:
        wakeups.set_publisher(None)
        pump.close()
