"""/catalogue in a real browser (Debian's chromium through Playwright), the Shopify sandbox as the store.

The user clicks Catalogue, sees the unmapped listing first, searches it, maps it to an offer from
its page and sees it mapped; a listing selling faster than its stock is flagged (catalogue and
attention list); a cost rise moves a price past the approval tolerance, the user approves it, the
store sync runs (the outbox) and the page says "pushed", the price read back from the sandbox.
Every catalogue page passes the dashboard's checks at 390 px.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import Offer, Order, OrderLine, Store, Supplier
from hub.services import outbox, stock_cover, store_sync, stores
from hub.services.listings import sync_listings
from tests.e2e.page_checks import PHONE, check_page, signed_in
from tests.live import live_server


def _shop(hub: Hub) -> tuple[SandboxShopify, int]:
    """Three variants: the first has only an offer under another SKU (unmapped after the sync), the
    second 5 in stock while it sells 7 a day, the third plenty."""
    shop = SandboxShopify(SandboxConfig(products=3, variants_per_product=1, orders=0, bucket_size=1e9,
                                        restore_rate=1e9))
    hub.connectors = ConnectorRegistry(shopify_transport=shop.transport())
    store_id = int(stores.add_shopify_store(hub, stores.NewShopifyStore(
        shop=shop.config.shop_domain, token=shop.config.access_token))["id"])
    first, second, third = shop.data.variants
    with hub.db.transaction() as session:
        supplier = Supplier(code="acme", name="Acme", kind="feed", currency="USD", config={})
        session.add(supplier)
        session.flush()
        session.execute(Offer.__table__.insert(), [
            {"supplier_id": supplier.id, "supplier_sku": sku, "title": title, "cost": Decimal("4.00"),
             "shipping_cost": Decimal("1.00"), "currency": "USD", "stock": stock, "reserved": 0, "countries": [],
             "active": True, "changed": True}
            for sku, title, stock in ((f"ACME-{first.sku}", "Acme mug", 100), (second.sku, "Acme cup", 5),
                                      (third.sku, "Acme bowl", 500))])
    sync_listings(hub, store_id)
    placed = utcnow() - timedelta(days=2)
    with hub.db.transaction() as session:
        order = Order(store_id=store_id, external_id="9001", name="#9001", currency="USD", financial_status="paid",
                      fulfillment_status="unfulfilled", subtotal_price=Decimal(0), total_discounts=Decimal(0),
                      total_shipping=Decimal(0), total_tax=Decimal(0), total_price=Decimal(0), placed_at=placed,
                      remote_updated_at=placed, fingerprint="x")
        session.add(order)
        session.flush()
        session.add(OrderLine(order_id=order.id, external_id="1", sku=second.sku, title="cup", quantity=49,
                              variant_id=str(second.id), unit_price=Decimal("10"), total_discount=Decimal(0)))
        store = session.get(Store, store_id)
        assert store is not None
        store.settings = {**store.settings, "pricing": {"markup_percent": "100", "rounding": ".99",
                                                        "tolerance_percent": "1000"}}
    store_sync.push_prices(hub, store_id)  # every mapped price at (4 + 1) × 2 → 10.99
    with hub.db.transaction() as session:
        store = session.get(Store, store_id)
        assert store is not None
        store.settings = {**store.settings, "pricing": {**store.settings["pricing"], "tolerance_percent": "20"}}
    return shop, store_id


@pytest.mark.slow
def test_map_flag_and_approve_a_price_in_the_browser(sqlite_hub: Hub, browser: Any) -> None:
    hub = sqlite_hub
    shop, store_id = _shop(hub)
    first, second, third = shop.data.variants
    assert stock_cover.flag_running_out(hub, store_id)["flagged"] == 1  # 5 left, 7 a day: under a day
    with live_server(create_app(hub)) as url:
        watched = signed_in(browser, url)
        page = watched.page
        page.set_default_timeout(15_000)
        page.click("header nav >> text=Catalogue")
        page.wait_for_url(f"{url}/catalogue")
        top = page.locator("#listings tbody tr").first
        assert first.sku in top.inner_text() and top.locator(".mapping").inner_text() == "not mapped"
        flagged = page.locator("#listings tbody tr", has_text=second.sku)
        assert flagged.locator(".running-out").inner_text() == "running out"
        assert "0.7" in flagged.inner_text()  # 5 / (49 / 7) days

        page.fill("input[name=q]", first.sku)
        page.click("form[role=search] button:text('Search')")
        page.wait_for_url(f"**/catalogue?q={first.sku}*")
        assert page.locator("#listings tbody tr").count() == 1
        page.click(f"#listings a:text('{first.sku}')")
        page.wait_for_url(f"{url}/catalogue/listings/*")
        page.click(f"button[aria-label='Map to acme:ACME-{first.sku}']")
        page.wait_for_selector("p.flash:text('Mapped.')")
        assert f"acme:ACME-{first.sku}" in page.locator("#mappings").inner_text()
        page.click("header nav >> text=Catalogue")
        page.wait_for_url(f"{url}/catalogue")
        assert page.locator("#listings tbody tr", has_text=first.sku).locator(".mapping").inner_text() == "mapped"

        page.select_option("select[name=status]", "running_out")
        page.click("form[role=search] button:text('Search')")
        page.wait_for_url("**status=running_out*")
        assert page.locator("#listings tbody tr").all_inner_texts()[0].startswith(second.sku)
        assert page.locator("#listings tbody tr").count() == 1
        page.goto(f"{url}/attention")
        assert f"{second.sku}: stock for 0.7 days" in page.locator("main").inner_text()

        # The bowl's cost rises: (10 + 1) × 2 = 22, rounded up to 22.99, against 10.99, past the 20 % tolerance.
        with hub.db.transaction() as session:
            session.execute(update(Offer).where(Offer.supplier_sku == third.sku).values(cost=Decimal("10.00")))
        assert store_sync.push_prices(hub, store_id)["awaiting_approval"] >= 1
        page.goto(f"{url}/catalogue")
        page.click("nav.tabs >> text=Prices to approve")
        page.wait_for_url(f"{url}/catalogue/prices")
        page.click(f"button[aria-label='Approve 22.99 for {third.sku}']")
        page.wait_for_selector("p.flash:text('Approved')")
        decided = page.locator("#decided tr", has_text=third.sku)
        assert decided.locator(".state").inner_text() == "approved, push pending"
        assert outbox.dispatch(hub)["done"] == 1  # the store sync: the outbox delivers the push
        page.reload()
        page.wait_for_selector(f"#decided tr:has-text('{third.sku}') .state:text('pushed to the store')")
        assert next(v for v in shop.data.variants if v.sku == third.sku).price == Decimal("22.99")

        phone = signed_in(browser, url, PHONE)
        for path in ("/catalogue", "/catalogue/offers", "/catalogue/prices", "/catalogue?status=unmapped"):
            check_page(phone, url, path, desktop=watched)
        page.goto(f"{url}/catalogue?q={first.sku}")
        page.click(f"#listings a:text('{first.sku}')")
        page.wait_for_url(f"{url}/catalogue/listings/*")
        check_page(phone, url, page.url.replace(url, ""), name="catalogue-listing", desktop=watched)
