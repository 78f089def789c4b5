"""/stores, /stores/{id} and /jobs in a real browser (Debian's chromium through Playwright), as a user
clicks them: sign in, open Stores, connect the sandbox shop (served live over HTTP) with a wrong
token first (the error is beside the field and nothing is saved), then the right one; read its
products and its orders with "Run now" on the jobs page and see the runs listed and the store's
last pull; change the pricing rule, read
the preview, save it. Every page passes the dashboard's checks at 390 px."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import func, select

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from connectors.shopify.sandbox import create_app as sandbox_app
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import Store
from hub.services import store_settings
from tests import catalogue_builders as cb
from tests.e2e.page_checks import DESKTOP, PHONE, SCREENSHOTS, check_page, signed_in
from tests.live import live_server


class LiveShop(httpx.BaseTransport):
    """Every Shopify call goes over real HTTP to the sandbox shop served at `base`."""

    def __init__(self, base: str) -> None:
        self.base = httpx.URL(base)
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme=self.base.scheme, host=self.base.host, port=self.base.port)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _stores(hub: Hub) -> int:
    with hub.db.read() as session:
        return int(session.execute(select(func.count()).select_from(Store)).scalar_one())


def _offers_for(hub: Hub, shop: SandboxShopify) -> None:
    """A supplier selling the shop's first products, so reading the products maps them."""
    supplier = cb.supplier(hub.db, "acme")
    for variant in shop.data.variants[:6]:
        cb.offer(hub.db, supplier, variant.sku, str((variant.price / 3).quantize(Decimal("0.01"))))


def test_connect_a_store_run_a_job_and_preview_prices(sqlite_hub: Hub, browser: Any) -> None:
    shop = SandboxShopify(SandboxConfig(products=4, variants_per_product=2, orders=3, bucket_size=1_000_000,
                                        restore_rate=1_000_000))
    _offers_for(sqlite_hub, shop)
    with live_server(sandbox_app(shop)) as shop_url, live_server(create_app(sqlite_hub)) as url:
        transport = LiveShop(shop_url)
        sqlite_hub.connectors = ConnectorRegistry(shopify_transport=transport)
        watched = signed_in(browser, url)
        page = watched.page
        page.click("nav >> text=Stores")
        page.wait_for_url(f"{url}/stores")

        page.fill("#f-shop", shop.config.shop_domain)
        page.fill("#f-token", "shpat_wrong")
        page.click("text=Check and connect")
        page.wait_for_selector("#f-token-error")
        assert "could not verify the token" in page.inner_text("#f-token-error")
        assert page.get_attribute("#f-token", "aria-invalid") == "true"
        assert page.input_value("#f-shop") == shop.config.shop_domain  # kept; the token never echoed
        assert page.input_value("#f-token") == "" and _stores(sqlite_hub) == 0

        page.fill("#f-token", shop.config.access_token)
        page.click("text=Check and connect")
        page.wait_for_selector("text=Store connected.")
        store_id = int(page.url.split("/stores/")[1].split("?")[0])
        page.click("text=← All stores")
        row = page.locator("li.store", has_text=shop.config.shop_name)
        assert "not pulled yet" in row.inner_text() and shop.config.shop_domain in row.inner_text()

        page.click("nav >> text=Jobs")
        page.wait_for_url(f"{url}/jobs")
        job = page.locator("#job-products-sync")
        assert "never" in job.inner_text()
        job.locator("text=Run now").click()
        page.wait_for_selector("#job-products-sync tr.run td:has-text('variants 8')", state="attached",
                               timeout=20_000)
        assert page.inner_text("#job-products-sync [data-outcome]") == "ok"

        page.locator("#job-orders-pull").locator("text=Run now").click()
        page.wait_for_selector("#job-orders-pull tr.run", state="attached", timeout=20_000)
        page.click("nav >> text=Stores")
        page.wait_for_selector("li.store:has-text('Sandbox Store') >> text=healthy")
        assert page.inner_text("li.store [data-health=pull]").endswith("UTC, ok")  # the last pull

        page.goto(f"{url}/stores/{store_id}")
        page.check("input[name=pricing_on]")
        page.fill("#f-markup_percent", "150")
        page.select_option("#f-rounding", "whole")
        page.click("button:text('Preview')")
        preview = page.wait_for_selector("#preview")
        assert preview is not None
        assert "6 of 6 listings mapped to an offer would change price" in preview.inner_text()
        assert page.locator("#preview tr").count() == 7  # the head and six moves, old → new
        assert store_settings.current(sqlite_hub.db, store_id).pricing_on is False  # a preview saves nothing
        page.screenshot(path=str(SCREENSHOTS / "store-pricing-preview-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)  # the preview (a POST's answer, out of check_page's reach) fits a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(SCREENSHOTS / "store-pricing-preview-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        page.click("text=Save pricing rules")
        page.wait_for_selector("text=Pricing rules saved")
        saved = store_settings.current(sqlite_hub.db, store_id)
        assert saved.pricing_on and saved.pricing["markup_percent"] == "150" and saved.pricing["rounding"] == "whole"

        sqlite_hub.settings.shopify_client_id = "app-id"  # the "Install" form shows too
        sqlite_hub.settings.shopify_client_secret = SecretStr("app-secret")
        phone = signed_in(browser, url, PHONE)
        for path in ("/stores", f"/stores/{store_id}", f"/stores/{store_id}?confirm=disconnect", "/jobs"):
            check_page(phone, url, path, desktop=watched)
        assert watched.errors == [], watched.errors
        transport.close()
