"""/profit, /profit.csv, the overview's money header, the orders filters and the offline /docs,
through HTTP: signed in, bad input answered in words, the CSV equal to the report's."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services import profit as profit_service
from hub.services.profit_page import profit_csv
from tests import catalogue_builders as cb
from tests.conftest import ADMIN_TOKEN, SAME_SITE
from tests.factories import T0
from tests.integration.money_helpers import known_order

DAY = T0.date().isoformat()


def _signed_in(hub: Hub) -> TestClient:
    client = TestClient(create_app(hub), headers=SAME_SITE, follow_redirects=False, raise_server_exceptions=False)
    assert client.post("/login", data={"token": ADMIN_TOKEN, "next": "/"}).status_code == 303
    return client


def test_profit_pages_need_sign_in(sqlite_hub: Hub) -> None:
    client = TestClient(create_app(sqlite_hub), headers=SAME_SITE, follow_redirects=False)
    assert client.get(f"/profit?from={DAY}&to={DAY}").headers["location"].startswith("/login")
    assert client.get(f"/profit.csv?from={DAY}&to={DAY}").headers["location"].startswith("/login")


def test_the_page_shows_the_report_and_each_csv_is_the_report_as_the_cli_writes_it(sqlite_hub: Hub) -> None:
    store = cb.store(sqlite_hub.db)
    known_order(sqlite_hub, store, "1")
    known_order(sqlite_hub, store, "2", placed=T0 - timedelta(days=1))
    client = _signed_in(sqlite_hub)
    page = client.get(f"/profit?from={DAY}&to={DAY}&table=product&sort=revenue&dir=asc")
    assert page.status_code == 200
    assert 'id="kpi-revenue"' in page.text and "49.90 USD" in page.text
    assert page.text.count(">0.0%</span>") >= 3  # revenue, net profit and orders as the day before
    assert "<svg" in page.text and 'class="revenue"' in page.text
    assert 'aria-sort="ascending"' in page.text and f"/orders?sku=MUG&amp;from={DAY}" in page.text
    for group in ("day", "product", "supplier", "store", "order"):
        csv = client.get(f"/profit.csv?from={DAY}&to={DAY}&group_by={group}&currency=USD&store={store}")
        rows = profit_service.profit(sqlite_hub.db, DAY, DAY, group, "USD", "USD", store_id=store)
        assert csv.status_code == 200 and csv.content == profit_csv(rows).encode()
        assert csv.text.count("\n") == len(rows) + 1
    assert f'href="/orders?from={DAY}&amp;to={DAY}"' in page.text  # the day opens its orders


def test_bad_input_is_a_sentence_not_a_500(sqlite_hub: Hub) -> None:
    client = _signed_in(sqlite_hub)
    for query, words in (("from=2026-13-01&to=2026-12-01", "YYYY-MM-DD"), ("from=2026-12-02&to=2026-12-01",
                         "before"), ("range=last_decade", "range must be one of"), ("currency=XYZ&range=today",
                         "XYZ"), ("store=abc&range=today", "store must be")):
        page = client.get(f"/profit?{query}")
        assert page.status_code == 400 and words in page.text, query
    csv = client.get("/profit.csv?from=2026-12-01&to=2026-12-01&group_by=colour")
    assert csv.status_code == 400 and "group_by must be one of" in csv.text
    assert client.get("/profit?table=nonsense&sort=nonsense&dir=up").status_code == 200  # defaults, no error
    orders = client.get("/orders?from=yesterday")
    assert orders.status_code == 200 and "Dates are written YYYY-MM-DD." in orders.text


def test_the_overview_opens_with_money(sqlite_hub: Hub) -> None:
    client = _signed_in(sqlite_hub)
    overview = client.get("/")
    assert overview.status_code == 200 and 'id="money-today"' in overview.text and 'id="money-month"' in overview.text
    assert overview.text.index("money-today") < overview.text.index("Orders by lifecycle")
    assert "No money facts in this period" in overview.text


def test_api_docs_load_only_the_hubs_own_assets(sqlite_hub: Hub) -> None:
    client = TestClient(create_app(sqlite_hub), headers=SAME_SITE)
    docs = client.get("/docs").text
    assert "cdn" not in docs and "https://" not in docs and '<html lang="en">' in docs
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"):
        assert f"/static/apidocs/{asset}" in docs
        assert client.get(f"/static/apidocs/{asset}").status_code == 200


def test_long_periods_are_charted_per_week_and_month_and_each_opens_its_days(sqlite_hub: Hub) -> None:
    store = cb.store(sqlite_hub.db)
    known_order(sqlite_hub, store, "1")  # 2026-11-01, a Sunday: ISO week 2026-W44 runs 10-26 to 11-01
    client = _signed_in(sqlite_hub)
    weeks = client.get("/profit?from=2026-08-01&to=2026-11-30")
    assert weeks.status_code == 200 and "per week" in weeks.text
    assert 'href="/orders?from=2026-10-26&amp;to=2026-11-01"' in weeks.text
    months = client.get("/profit?from=2025-11-15&to=2026-11-20")
    assert months.status_code == 200 and "per month" in months.text
    assert 'href="/orders?from=2026-11-01&amp;to=2026-11-20"' in months.text  # clipped to the period
    assert months.text.count('class="revenue"') == 13  # every month of the period, quiet ones at zero


def test_other_costs_reach_the_cards_and_the_chart_as_the_summary_api_has_them(sqlite_hub: Hub) -> None:
    import re

    store = cb.store(sqlite_hub.db)
    known_order(sqlite_hub, store, "1")  # revenue 49.90 USD on T0's day
    client = _signed_in(sqlite_hub)
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    created = client.post("/api/v1/expenses", headers=auth, json={"expenses": [
        {"kind": "ad_spend", "date": DAY, "amount": "7.25", "currency": "USD", "platform": "google", "campaign": "c"},
        {"kind": "one_off", "date": DAY, "amount": "2.50", "currency": "USD", "name": "photos"}]})
    assert created.status_code == 201, created.text
    summary = client.get("/api/v1/profit/summary", params={"from": DAY, "to": DAY}, headers=auth).json()["current"]
    page = client.get(f"/profit?from={DAY}&to={DAY}")

    def card(name: str) -> str:
        found = re.search(rf'id="kpi-{name}".*?class="value[^"]*">([^<]+)<', page.text, re.S)
        assert found, name
        return found.group(1).split()[0].replace(",", "")

    assert (card("other_costs"), card("net_profit"), card("revenue")) == (
        summary["other_costs"], summary["net_profit"], summary["revenue"]) == ("9.75", "40.15", "49.90")
    assert ">40.15</td>" in page.text  # the per-day row (and the chart) are net of other costs
