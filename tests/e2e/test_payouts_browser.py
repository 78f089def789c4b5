"""/payouts, a payout and /anomalies in a real browser on `hub demo` data: the page's numbers equal
the API's, links lead to the orders, no console error, and on a 390 px phone the content scrolls
inside its own box. Screenshots (desktop and phone) are written for review."""

from __future__ import annotations

from pathlib import Path

import httpx

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services.demo import run_demo
from tests.conftest import ADMIN_TOKEN
from tests.live import live_server


def test_payouts_and_anomalies_pages(sqlite_hub: Hub, browser_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_demo(sqlite_hub, 30)
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    # The browser's own favicon request is the layout's business (no icon yet); any other 4xx/5xx is ours.
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    with live_server(create_app(sqlite_hub)) as url:
        api = httpx.get(f"{url}/api/v1/payouts", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()
        assert api["payouts"], "the demo pays its sales out"
        page.goto(f"{url}/login?next=/")
        page.fill("#token", ADMIN_TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")
        page.click("nav >> text=Payouts")
        page.wait_for_url(f"{url}/payouts")
        rows = page.locator("table").first.locator("tr").all_inner_texts()[1:]
        assert len(rows) == len(api["payouts"])
        for row, payout in zip(rows, api["payouts"], strict=True):
            assert payout["external_id"] in row and f"{payout['received']} {payout['currency']}" in row
            assert f"{payout['expected']} {payout['currency']}" in row and "matches" in row
        page.screenshot(path=str(tmp_path / "payouts.png"), full_page=True)
        page.click(f"text={api['payouts'][0]['external_id']}")
        page.wait_for_url(f"{url}/payouts/{api['payouts'][0]['id']}")
        assert "the payout is what the hub's books expect" in page.inner_text("main")
        page.locator("main table a").first.click()
        page.wait_for_url(f"{url}/orders/*")
        assert "Sale, " in page.inner_text("main")  # the order's money facts in words
        page.click("nav >> text=Anomalies")
        page.wait_for_url(f"{url}/anomalies")
        assert "Money that disagrees" in page.inner_text("main")
        page.screenshot(path=str(tmp_path / "anomalies.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        for path in ("/payouts", f"/payouts/{api['payouts'][0]['id']}", "/anomalies"):
            page.goto(f"{url}{path}")
            overflow = page.evaluate("() => { const m = document.querySelector('main');"
                                     " return [m.scrollWidth, m.clientWidth]; }")
            assert overflow[0] <= overflow[1], (path, overflow)  # wide tables scroll in their own box
            page.screenshot(path=str(tmp_path / f"phone{path.replace('/', '_')}.png"), full_page=True)
    assert errors == []
