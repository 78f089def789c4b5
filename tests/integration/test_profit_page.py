"""The profit page's read model on SQLite and PostgreSQL: totals equal the report's rows, the
previous period, order counts, sorted breakdowns, and the orders list by day and SKU."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from hub.bootstrap import Hub
from hub.db.models import Store
from hub.domain.periods import Period
from hub.services import profit as profit_service
from hub.services import profit_page
from hub.services.orders import list_orders
from tests import catalogue_builders as cb
from tests.factories import T0
from tests.integration.money_helpers import known_order

DAY = T0.date()


def _shop(hub: Hub) -> tuple[int, int]:
    """Two stores; store A sells 3 orders on DAY and 1 the day before, store B 1 on DAY."""
    a = cb.store(hub.db)
    with hub.db.transaction() as session:
        second = Store(platform="shopify", name="Second", shop_domain="second.myshopify.com", currency="USD")
        session.add(second)
        session.flush()
        b = second.id
    for number in range(3):
        known_order(hub, a, f"A{number}", placed=T0 + timedelta(minutes=number))
    known_order(hub, a, "A-old", placed=T0 - timedelta(days=1))
    known_order(hub, b, "B0", placed=T0)
    return a, b


def test_totals_are_the_report_rows_summed_and_compare_with_the_previous_period(hub: Hub) -> None:
    a, _ = _shop(hub)
    period = Period(DAY, DAY)
    with hub.db.read() as session:
        now = profit_page.totals(session, period, "USD")
        before = profit_page.totals(session, period.previous(), "USD")
        only_a = profit_page.totals(session, period, "USD", store_id=a)
    rows = profit_service.profit(hub.db, DAY.isoformat(), DAY.isoformat(), "day", None, "USD")
    assert now.amounts["revenue"] == sum(Decimal(r["revenue"]) for r in rows) == Decimal("199.60")  # 4 × 49.90
    assert now.contribution == sum(Decimal(r["profit"]) for r in rows)
    assert (now.orders, before.orders, only_a.orders) == (4, 1, 3)
    assert only_a.amounts["revenue"] == Decimal("149.70")
    assert now.other_costs == 0 and now.net_profit == now.contribution and now.margin == Decimal("100.00")
    assert now.average_order_profit("USD") == Decimal("49.90")
    cards = {k.name: k for k in profit_page.kpis(now, before, "USD")}
    assert list(cards) == ["revenue", "net_profit", "margin", "orders", "average_order_profit", "refunds", "fees",
                           "supplier_cost", "shipping_cost", "other_costs"]
    assert cards["revenue"].value == "199.60 USD" and cards["revenue"].previous == "49.90 USD"
    assert cards["revenue"].change == Decimal("300.0") and cards["orders"].change == Decimal("300.0")
    assert cards["margin"].change == Decimal("0.0") and cards["refunds"].change is None
    assert not cards["fees"].higher_is_better


def test_breakdowns_sort_on_the_server_and_add_up_to_the_total(hub: Hub) -> None:
    _shop(hub)
    period = Period(DAY - timedelta(days=1), DAY)
    with hub.db.read() as session:
        total = profit_page.totals(session, period, "USD")
        by_store = profit_page.table(session, period, "store", "USD", None, "revenue", descending=True)
        by_store_up = profit_page.table(session, period, "store", "USD", None, "revenue", descending=False)
        by_order = profit_page.table(session, period, "order", "USD", None, "key", descending=False)
        by_product = profit_page.table(session, period, "product", "USD", None, "nonsense")
        days = profit_page.period_rows(session, period, "USD", None)
    assert [Decimal(r["revenue"]) for r in by_store] == [Decimal("199.60"), Decimal("49.90")]
    assert by_store_up == list(reversed(by_store))
    assert sum(Decimal(r["profit"]) for r in by_store) == total.contribution
    assert len(by_order) == 5 and sum(Decimal(r["profit"]) for r in by_order) == total.contribution
    assert [Decimal(r["profit"]) for r in by_product] == sorted((Decimal(r["profit"]) for r in by_product),
                                                               reverse=True)  # unknown sort: profit, highest first
    assert [r["key"] for r in days] == [(DAY - timedelta(days=1)).isoformat(), DAY.isoformat()]


def test_the_overview_money_is_today_and_the_last_30_days(hub: Hub) -> None:
    _shop(hub)
    money = profit_page.overview_money(hub.db, DAY, "USD")
    assert money["today"].orders == 4 and money["month"].orders == 5
    assert money["month"].amounts["revenue"] == Decimal("249.50") and money["period"].days == 30
    assert [r["key"] for r in money["days"]] == [(DAY - timedelta(days=1)).isoformat(), DAY.isoformat()]


def test_orders_are_listed_by_the_day_profit_books_them_and_by_sku(hub: Hub) -> None:
    a, _ = _shop(hub)
    known_order(hub, a, "late", placed=datetime.combine(DAY, datetime.max.time(), tzinfo=T0.tzinfo))
    on_day, _ = list_orders(hub.db, placed=(DAY, DAY))
    assert len(on_day) == 5 and {o["placed_at"][:10] for o in on_day} == {DAY.isoformat()}
    both, _ = list_orders(hub.db, placed=(DAY - timedelta(days=1), DAY))
    assert len(both) == 6
    assert list_orders(hub.db, placed=(DAY + timedelta(days=1), DAY + timedelta(days=9)))[0] == []
    assert len(list_orders(hub.db, sku="MUG")[0]) == 6 and list_orders(hub.db, sku="MUG-nope")[0] == []
