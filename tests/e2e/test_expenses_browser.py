"""/expenses in a real browser (Debian's chromium through Playwright): add a recurring cost with the
form, import ad spend from a file, and the page fits a 390 px phone without a console error."""

from __future__ import annotations

from pathlib import Path

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services import expenses
from tests import catalogue_builders as cb
from tests.conftest import ADMIN_TOKEN
from tests.live import live_server


def test_add_import_and_fit_a_phone(sqlite_hub: Hub, browser_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cb.store(sqlite_hub.db)
    page = browser_page
    spend = tmp_path / "spend.csv"
    spend.write_text("date,platform,campaign,amount,currency,store\n2026-11-01,facebook,BF,10.00,USD,Shop\n"
                     "2026-11-02,google,Search,abc,USD,\n")
    with live_server(create_app(sqlite_hub)) as url:
        page.goto(f"{url}/expenses")
        page.fill("#token", ADMIN_TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/expenses")
        errors: list[str] = []  # on the page from here on (the sign-in page is not this test's)
        page.on("console", lambda message: errors.append(f"{message.text} {message.location['url']}")
                if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.check("input[name=kind][value=recurring]")
        page.fill("#f-name", "Shopify plan")
        page.fill("#f-amount", "29.999")
        page.fill("#f-date", "2026-11-01")
        page.click("text=Add the cost")
        assert page.locator("#amount-error").inner_text() == "has more than 2 decimals for USD"
        page.fill("#f-amount", "29.00")
        page.click("text=Add the cost")
        page.wait_for_selector("td:text('Shopify plan')")
        page.set_input_files("#f-file", str(spend))
        page.click("button:text('Import')")
        status = page.get_by_role("status").inner_text()
        assert status == "2 rows: 1 written, 1 rejected."
        assert [(e.kind, e.amount, e.store_name) for e in expenses.list_expenses(sqlite_hub.db)] == [
            ("ad_spend", "10.00", "Shop"), ("recurring", "29.00", None)]
        page.screenshot(path=str(tmp_path / "expenses-desktop.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{url}/expenses")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(tmp_path / "expenses-phone.png"), full_page=True)
    assert errors == []
