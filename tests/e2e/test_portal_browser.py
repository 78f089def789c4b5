"""The supplier portal in a real browser (Debian's chromium through Playwright), on the sandboxes.

The store is the Shopify sandbox emulator and two sandbox suppliers ("east", "west") split its
catalogue, so orders are routed and placed to both. East signs in with its key (a wrong key is
refused), sees only its orders, marks one shipped, and after the outbox runs the fulfillment is
on the sandbox store's order. West's key sees none of it and cannot act on east's ids; an expired
cookie and eleven wrong keys are refused. Every portal page passes check_page at 390 px.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from connectors.suppliers.sandbox.config import SupplierSandboxConfig
from connectors.suppliers.sandbox.server import SandboxSupplierServer
from hub.api import portal_session
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import Offer, Order, Supplier, SupplierOrder
from hub.services import outbox, portal, stores, suppliers
from hub.services.listings import sync_listings
from hub.services.pull import pull_orders
from hub.services.routing import route_pending
from tests.e2e.page_checks import PHONE, check_page, watch
from tests.e2e.portal_pages import portal_sign_in, portal_signed_in
from tests.live import live_server

CODES = ("east", "west")


@pytest.fixture
def world(sqlite_hub: Hub) -> dict[str, Any]:
    """A sandbox shop whose orders are routed and placed to east and west (each has half the SKUs)."""
    hub = sqlite_hub
    shop = SandboxShopify(SandboxConfig(orders=6, lines_per_order=2, bucket_size=1e6, restore_rate=1e6))
    servers = {code: SandboxSupplierServer(SupplierSandboxConfig(seed=seed, ship_after=-1, split_rate=0))
               for seed, code in enumerate(CODES, start=1)}
    hub.connectors = ConnectorRegistry(shopify_transport=shop.transport(),
                                       supplier_transports={code: s.transport() for code, s in servers.items()})
    hub.settings.orders_initial_lookback_days = 3650
    store_id = stores.add_shopify_store(hub, stores.NewShopifyStore(
        shop=shop.config.shop_domain, token=shop.config.access_token))["id"]
    with hub.db.transaction() as session:
        for half, code in enumerate(CODES):
            supplier = Supplier(code=code, name=f"{code.title()} Goods", kind="sandbox", currency="USD",
                                config={"code": code, "base_url": f"http://{code}.sandbox"})
            session.add(supplier)
            session.flush()
            for variant in shop.data.variants[half::2]:
                session.add(Offer(supplier_id=supplier.id, supplier_sku=variant.sku, cost=Decimal("2.00"),
                                  shipping_cost=Decimal("1.00"), currency="USD", stock=1000, countries=[]))
    sync_listings(hub, store_id)
    pull_orders(hub, store_id)
    route_pending(hub)
    outbox.dispatch(hub)
    with hub.db.transaction() as session:
        placed = {code: session.execute(
            select(SupplierOrder.id, SupplierOrder.reference, Order.external_id)
            .join(Supplier, Supplier.id == SupplierOrder.supplier_id).join(Order, Order.id == SupplierOrder.order_id)
            .where(Supplier.code == code, SupplierOrder.state == "accepted").order_by(SupplierOrder.id)).all()
            for code in CODES}
    assert all(placed.values()), placed
    keys = {code: suppliers.create_key(hub.db, code, "portal test")[1] for code in CODES}
    return {"hub": hub, "shop": shop, "placed": placed, "keys": keys}


def _references(page: Any) -> list[str]:
    return sorted(page.locator("section.order h2").all_inner_texts())


def test_a_supplier_signs_in_ships_and_the_store_is_fulfilled(world: dict[str, Any], browser: Any,
                                                              tmp_path: Path) -> None:
    hub, shop, placed, keys = world["hub"], world["shop"], world["placed"], world["keys"]
    feed = tmp_path / "east.csv"
    feed.write_text("sku,title,qty,price\nE-NEW,New mug,5,3.00\nE-BAD,Broken,lots,3.00\n")
    with live_server(create_app(hub)) as url:
        watched = watch(browser, url, PHONE)
        check_page(watched, url, "/supplier/login", name="portal-login")
        page = watched.page
        portal_sign_in(page, url, "hub_sk_not-a-key")
        assert "not a valid supplier key" in page.locator("#login-error").inner_text()
        portal_sign_in(page, url, keys["east"])
        page.wait_for_url(f"{url}/supplier")
        desktop = portal_signed_in(browser, url, keys["east"])
        check_page(watched, url, "/supplier", name="portal-orders", desktop=desktop)
        assert _references(page) == sorted(ref for _id, ref, _ext in placed["east"])
        assert not any(ref in page.content() for _id, ref, _ext in placed["west"])

        first_id, first_ref, external_id = placed["east"][0]
        page.fill(f"#t-{first_id}-carrier", "DHL")
        page.fill(f"#t-{first_id}-number", "JD0002123456789")
        page.fill(f"#t-{first_id}-url", "https://www.dhl.com/track?n=JD0002123456789")
        page.click(f"form[action='/supplier/orders/{first_id}/tracking'] button")
        assert "Tracking saved" in page.get_by_role("status").inner_text()
        assert first_ref not in _references(page) or page.locator(f"[data-reference='{first_ref}']").count() == 1

        second_ref, west_ref = placed["east"][1][1], placed["west"][0][1]
        tracking = tmp_path / "tracking.csv"
        tracking.write_text(f"reference,tracking_number,carrier\n{second_ref},CSV-1,UPS\n{west_ref},CSV-2,UPS\n")
        page.set_input_files("#f-file", str(tracking))
        page.click("button:text('Upload tracking')")
        assert "1 new parcel, 0 already known, 1 rejected" in page.get_by_role("status").inner_text()
        assert f"no supplier order with reference '{west_ref}'" in page.locator("table", has_text="Reason").inner_text()

        outbox.dispatch(hub)  # the outbox delivers the fulfillment to the sandbox store, as the worker does
        store_order = next(o for o in shop.data.orders if str(o.id) == external_id)
        assert "JD0002123456789" in [f.number for f in store_order.fulfillments]
        by_csv = next(o for o in shop.data.orders if str(o.id) == placed["east"][1][2])
        assert "CSV-1" in [f.number for f in by_csv.fulfillments]
        page.reload()
        row = page.locator("#shipped + .scroll tr", has_text="JD0002123456789")
        assert "Yes" in row.inner_text()  # the store has the fulfillment

        check_page(watched, url, "/supplier/scorecard", name="portal-scorecard")
        assert page.locator("#sc-sent").inner_text() == str(len(placed["east"]))
        assert page.locator("#sc-fill").inner_text() == "100.0 %"

        page.goto(f"{url}/supplier/feeds")
        page.set_input_files("#f-file", str(feed))
        page.select_option("#f-mode", "delta")
        page.click("button:text('Upload the feed')")
        page.wait_for_url(f"{url}/supplier/feeds/*")
        assert page.locator("#accepted").inner_text() == "1" and page.locator("#rejected").inner_text() == "1"
        assert "E-BAD" in page.locator("table").inner_text()
        run_path = page.url.removeprefix(url)
        check_page(watched, url, "/supplier/feeds", name="portal-feeds")
        check_page(watched, url, run_path, name="portal-feed-run")


def test_another_supplier_sees_none_of_it_and_sessions_end(world: dict[str, Any], browser: Any) -> None:
    hub, placed, keys = world["hub"], world["placed"], world["keys"]
    east_id, east_ref, _ext = placed["east"][0]
    with live_server(create_app(hub)) as url:
        west = portal_signed_in(browser, url, keys["west"], PHONE)
        page = west.page
        assert _references(page) == sorted(ref for _id, ref, _ext in placed["west"])
        assert east_ref not in page.content()
        forged = page.request.post(f"{url}/supplier/orders/{east_id}/tracking", headers={"Origin": url},
                                   form={"carrier": "UPS", "number": "1Z999"})
        assert forged.status == 404  # not "forbidden": another supplier's ids are not probed
        with hub.db.transaction() as session:
            assert session.get(SupplierOrder, east_id).state == "accepted"  # type: ignore[union-attr]
        for admin in ("/", "/orders", "/attention"):  # the portal session opens no admin page
            page.goto(f"{url}{admin}")
            page.wait_for_url(re.compile(re.escape(f"{url}/login?next=")))
        page.goto(f"{url}/supplier")
        page.wait_for_url(f"{url}/supplier")
        page.click("text=Sign out")
        page.wait_for_url(f"{url}/supplier/login")

        owner = portal.sign_in(hub.db, keys["east"])
        assert owner is not None
        stale = portal_session.issue(hub, owner, now=time.time() - portal_session.LIFETIME_SECONDS - 60)
        expired = browser.new_page()
        expired.context.add_cookies([{"name": portal_session.COOKIE, "value": stale, "url": f"{url}/supplier"}])
        expired.goto(f"{url}/supplier")  # an expired session signs in again
        expired.wait_for_url(re.compile(re.escape(f"{url}/supplier/login?next=/supplier") + "$"))

        for attempt in range(11):
            portal_sign_in(expired, url, f"hub_sk_guess-{attempt}")
            expected = "Too many failed attempts" if attempt == 10 else "not a valid supplier key"
            assert expected in expired.locator("#login-error").inner_text(), attempt
        portal_sign_in(expired, url, keys["east"])  # even the right key waits now
        assert "Too many failed attempts" in expired.locator("#login-error").inner_text()
