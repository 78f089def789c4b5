"""/suppliers and a supplier's page in a real browser (Debian's chromium through Playwright), as a
user clicks them: add a supplier, create a key (seen once), upload the shared Czech Google Merchant
feed and read its 1,254 offers and the repeated id among the rejects, revoke the key; both pages
pass the dashboard's checks on a 390 px phone."""

from __future__ import annotations

from typing import Any

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services import suppliers
from hub.services.demo import run_demo
from tests.conftest import shared_path
from tests.e2e.page_checks import PHONE, check_page, signed_in
from tests.live import live_server


def test_add_a_supplier_key_upload_and_revoke(sqlite_hub: Hub, browser: Any) -> None:
    feed = shared_path("feeds", "gmc-importpc-cz.xml")
    run_demo(sqlite_hub, 6)  # suppliers with orders, so the scorecards have figures
    with live_server(create_app(sqlite_hub)) as url:
        desktop = signed_in(browser, url)
        page = desktop.page
        page.click("nav >> text=Suppliers")
        page.wait_for_url(f"{url}/suppliers")
        assert page.locator("main table tbody tr").count() >= 2  # the demo's suppliers with their scorecards

        page.fill("#f-code", "importpc")
        page.fill("#f-name", "ImportPC")
        page.fill("#f-currency", "CZK")
        page.select_option("#f-kind", "feed")
        page.click("button:text('Add the supplier')")
        page.wait_for_url(f"{url}/suppliers/importpc?note=added")
        assert page.get_by_role("heading", level=1).inner_text().startswith("ImportPC")

        page.fill("#f-label", "their ERP")
        page.click("button:text('Create a key')")
        secret = page.wait_for_selector(".secret").inner_text().strip()
        assert suppliers.authenticate_key(sqlite_hub.db, secret) is not None
        page.goto(f"{url}/suppliers/importpc")
        assert page.locator(".secret").count() == 0 and secret not in page.content()  # seen once

        page.set_input_files("#f-file", str(feed))
        page.click("button:text('Upload and import')")
        result = page.wait_for_selector("#upload-result").inner_text()
        assert "1,254 offers accepted" in result and "1 rejected" in result
        repeat = page.locator("#upload-result tbody tr").all_inner_texts()
        assert repeat == ["1008\tsku\tSKU repeated (first on line 1007)\tBC-FU-LI3560"]
        assert "BC-FU-LI3560" in page.locator("#runs details").inner_text()  # and in the run's rejects

        page.click("button[aria-label^='Revoke key']")
        page.wait_for_url(f"{url}/suppliers/importpc?note=revoked#keys")
        assert "revoked" in page.locator("#keys tbody tr").inner_text()
        assert suppliers.authenticate_key(sqlite_hub.db, secret) is None
        assert desktop.errors == [] and desktop.foreign == []

        phone = signed_in(browser, url, PHONE)
        for path in ("/suppliers", "/suppliers?days=7", "/suppliers/importpc", "/suppliers/demo-east"):
            check_page(phone, url, path, desktop=desktop)
