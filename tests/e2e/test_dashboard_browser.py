"""The dashboard in a real browser (Debian's chromium through Playwright), on data from `hub demo`."""

from __future__ import annotations

from pathlib import Path

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services.demo import run_demo
from tests.conftest import ADMIN_TOKEN
from tests.live import live_server


def test_sign_in_follow_an_order_and_resolve_attention(sqlite_hub: Hub, browser_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    summary = run_demo(sqlite_hub, 20)
    assert summary.store_fulfillments > 0
    page = browser_page
    with live_server(create_app(sqlite_hub)) as url:
        page.goto(f"{url}/")
        assert "/login" in page.url
        page.fill("#token", "wrong")
        page.click("button[type=submit]")
        assert page.get_by_role("alert").inner_text() == "That is not the admin token."
        page.fill("#token", ADMIN_TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")
        cards = page.locator(".card .value").all_inner_texts()
        assert cards[0] == str(summary.orders_in_database)
        page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

        page.click("text=Orders")
        page.wait_for_url(f"{url}/orders")
        page.select_option("select[name=status]", "routed")
        page.click("text=Search")
        page.locator("table a").first.click()
        page.wait_for_selector("h2:text('Timeline')")
        timeline = page.locator("table").last.inner_text()
        assert "received" in timeline and "routed" in timeline and "fulfilled" in timeline
        page.screenshot(path=str(tmp_path / "order.png"), full_page=True)

        page.click("header >> text=Attention")
        page.wait_for_url(f"{url}/attention")
        before = page.locator("article.item").count()
        assert before == summary.lines_needing_attention > 0 or before > 0
        first = page.locator("article.item").first
        first.locator("summary", has_text="Dismiss").click()
        first.locator("input[name=reason]").last.fill("checked by hand")
        first.get_by_role("button", name="Dismiss").click()
        page.wait_for_selector("#done")
        assert page.locator("article.item").count() == before - 1
