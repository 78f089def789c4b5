"""Other costs on SQLite and PostgreSQL: idempotent import, store scope, FX per day, the KPI summary."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from hub.bootstrap import Hub
from hub.db.models import FxRate, Store
from hub.domain.expenses import validate
from hub.errors import NotFound, UserError
from hub.services import expenses, kpis
from tests import catalogue_builders as cb
from tests.integration.money_helpers import known_order

D = Decimal
NOV1 = date(2026, 11, 1)
CSV = ("date,platform,campaign,amount,currency,store\n"
       "2026-11-01,facebook,BF,10.00,USD,\n"
       "2026-11-01,google,Search,20.00,EUR,Shop\n"
       "2026-11-02,google,Search,5,USD,{store}\n"
       "2026-11-02,google,Search,5,USD,Nope\n"
       "2026-11-03,google,Search,abc,USD,\n")


def _import(hub: Hub, text: str) -> expenses.ImportResult:
    return expenses.import_csv(hub.db, io.BytesIO(text.encode()))


def _rate(hub: Hub, day: date, base: str, quote: str, rate: str) -> None:
    with hub.db.transaction() as session:
        session.add(FxRate(day=day, base=base, quote=quote, rate=D(rate)))


def test_import_keeps_good_rows_reports_bad_ones_and_updates_on_reimport(hub: Hub) -> None:
    store_id = cb.store(hub.db)
    first = _import(hub, CSV.format(store=store_id))
    assert (first.rows, first.written) == (5, 3)
    assert [(e.line, e.field) for e in first.errors] == [(5, "store"), (6, "amount")]
    assert "no store named 'Nope'" in first.errors[0].message
    again = _import(hub, CSV.format(store=store_id).replace("10.00", "12.50"))
    assert again.written == 3
    listed = expenses.list_expenses(hub.db)
    assert len(listed) == 3  # updated, not doubled
    assert sorted((e.day.isoformat(), e.platform, e.amount, e.currency, e.store_id) for e in listed) == [
        ("2026-11-01", "facebook", "12.50", "USD", None), ("2026-11-01", "google", "20.00", "EUR", store_id),
        ("2026-11-02", "google", "5.00", "USD", store_id)]
    assert [e.kind for e in expenses.list_expenses(hub.db, kind="ad_spend", store_id=store_id)] == ["ad_spend"] * 2


def test_header_without_required_columns_is_a_user_error(hub: Hub) -> None:
    with pytest.raises(UserError, match="missing column"):
        _import(hub, "day,amount\n2026-11-01,1\n")
    with pytest.raises(UserError, match="UTF-8"):
        expenses.import_csv(hub.db, io.BytesIO(b"\xff\xfe\x00date"))


def test_record_is_idempotent_and_delete_removes(hub: Hub) -> None:
    plan = validate("recurring", "2026-11-01", "30.00", "USD", name="Shopify plan")
    [first] = expenses.record(hub.db, [plan])
    [again] = expenses.record(hub.db, [validate("recurring", "2026-11-01", "39.00", "USD", name="Shopify plan",
                                                end_day="2027-01-31")])
    assert again.id == first.id and again.amount == "39.00" and again.end_day == date(2027, 1, 31)
    with pytest.raises(UserError, match=r"expenses\[1\]\.store: no store with id 99"):
        expenses.record(hub.db, [plan, validate("one_off", "2026-11-05", "5", "USD", name="Logo", store="99")],
                        indexed=True)
    expenses.delete_expense(hub.db, first.id)
    assert expenses.list_expenses(hub.db) == []
    with pytest.raises(NotFound):
        expenses.delete_expense(hub.db, first.id)


def test_summary_from_orders_and_other_costs_with_fx_per_day(hub: Hub) -> None:
    store_id = cb.store(hub.db)
    known_order(hub, store_id)  # revenue 49.90 USD on 2026-11-01
    _rate(hub, date(2026, 10, 30), "EUR", "USD", "1.10")  # the latest on or before the day counts
    _rate(hub, date(2026, 11, 2), "EUR", "USD", "2.00")
    _import(hub, CSV.format(store=store_id))  # 10 USD (all stores) + 20 EUR (the store) on 11-01
    expenses.record(hub.db, [validate("recurring", "2026-11-01", "30.00", "USD", name="Plan"),
                             validate("one_off", "2026-11-01", "7.77", "USD", name="Logo", store=str(store_id)),
                             validate("one_off", "2026-11-01", "3.00", "GBP", name="No rate")])
    with hub.db.read() as session:
        total = kpis.summary(session, NOV1, NOV1, "USD")
        shop = kpis.summary(session, NOV1, NOV1, "USD", store_id)
        days = kpis.other_costs_by_day(session, NOV1, date(2026, 11, 30), "USD")
    view = total.view()
    # Whether the profit report marks the order incomplete (no supplier cost yet) is its business.
    assert isinstance(view.pop("incomplete"), bool) and isinstance(view.pop("estimated"), bool)
    assert view == {
        "start": "2026-11-01", "end": "2026-11-01", "currency": "USD", "store_id": None,
        "revenue": "49.90", "refunds": "0.00", "fees": "0.00", "supplier_cost": "0.00", "shipping_cost": "0.00",
        "fx": "0.00", "contribution_profit": "49.90", "ad_spend": "32.00", "recurring_costs": "1.00",
        "one_off_costs": "7.77", "other_costs": "40.77", "net_profit": "9.13", "margin": "18.30",
        "contribution_margin": "100.00", "orders": 1, "average_order_profit": "49.90", "roas": "1.56",
        "profit_on_ad_spend": "1.56", "fx_missing": True, "fx_missing_for": ["GBP 2026-11-01"]}
    # The store's report: its own costs only (22.00 EUR-converted ad spend, 7.77 one-off).
    assert (shop.ad_spend, shop.recurring_costs, shop.one_off_costs, shop.net_profit, shop.fx_missing) == (
        D("22.00"), D("0.00"), D("7.77"), D("20.13"), False)
    assert len(days) == 30 and sum((d.recurring for d in days), D(0)) == D("30.00")
    assert days[1].view("USD") == {"day": "2026-11-02", "ad_spend": "5.00", "recurring": "1.00", "one_off": "0.00",
                                   "total": "6.00", "currency": "USD", "fx_missing": False}


def test_compare_with_the_previous_period_of_the_same_length(hub: Hub) -> None:
    store_id = cb.store(hub.db)
    known_order(hub, store_id)
    expenses.record(hub.db, [validate("ad_spend", "2026-10-31", "8.00", "USD", platform="google"),
                             validate("ad_spend", "2026-11-01", "10.00", "USD", platform="google")])
    with hub.db.read() as session:
        result = kpis.compare(session, NOV1, date(2026, 11, 2), "USD")
    assert (result.previous.start, result.previous.end) == (date(2026, 10, 30), date(2026, 10, 31))
    view = result.view()
    assert view["change"]["ad_spend"] == {"absolute": "2.00", "percent": "25.00"}
    assert view["change"]["revenue"] == {"absolute": "49.90", "percent": None}
    assert view["change"]["net_profit"] == {"absolute": "47.90", "percent": "598.75"}  # 39.90 against -8.00
    assert view["change"]["orders"] == {"absolute": "1", "percent": None}
    assert view["change"]["roas"] == {"absolute": "4.99", "percent": None}  # from 0.00 (no revenue)
    assert view["change"]["average_order_profit"] == {"absolute": None, "percent": None}  # no orders before


def test_a_removed_store_takes_its_costs_along(hub: Hub) -> None:
    with hub.db.transaction() as session:
        extra = Store(platform="shopify", name="Second", shop_domain="second.myshopify.com", currency="USD",
                      settings={})
        session.add(extra)
        session.flush()
        extra_id = extra.id
    expenses.record(hub.db, [validate("one_off", "2026-11-01", "1", "USD", name="x", store="second")])
    with hub.db.transaction() as session:
        session.delete(session.get(Store, extra_id))
    assert expenses.list_expenses(hub.db) == []


def test_many_costs_mixing_new_and_known_keep_their_ids_in_input_order(hub: Hub) -> None:
    def item(n: int, amount: str) -> object:
        return validate("ad_spend", date(2026, 1, 1) + timedelta(days=n % 300), amount, "USD", platform="p",
                        name=f"c{n}")

    first = expenses.record(hub.db, [item(n, "1") for n in range(0, 1200, 2)])  # type: ignore[misc]
    known = {view.name: view.id for view in first}
    mixed = [item(n, "2") for n in reversed(range(1200))]  # 600 updates among 600 inserts, across batches
    views = expenses.record(hub.db, mixed)  # type: ignore[arg-type]
    assert [view.name for view in views] == [f"c{n}" for n in reversed(range(1200))]
    assert all(view.id == known[view.name] for view in views if view.name in known)
    assert {view.amount for view in views} == {"2.00"} and len({view.id for view in views}) == 1200
